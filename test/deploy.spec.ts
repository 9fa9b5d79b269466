import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { parseAllDocuments } from 'yaml';
import { loadConfiguration } from '../src/config/configuration.js';
import { GroupConsumerRegistry } from '../src/kafka/consumer/group-consumer.registry.js';
import type { KafkaAdmin } from '../src/kafka/client/kafka-admin.port.js';
import { HealthController } from '../src/health/health.controller.js';
import { ConsumerLagReport } from '../src/metrics/consumer-lag.report.js';
import { ConsumerLagCollector } from '../src/metrics/consumer-lag.collector.js';
import { MetricsController } from '../src/metrics/metrics.controller.js';
import { MetricsService } from '../src/metrics/metrics.service.js';
import { variablesTheCodeReads } from './support/config-keys.js';
import { systemBinary } from './support/system-binary.js';

const deploy = new URL('../deploy/', import.meta.url);
const k8sDir = new URL('k8s/', deploy);

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- manifests are untyped YAML */
type Doc = Record<string, any>;

const docs: Doc[] = readdirSync(k8sDir)
  .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
  .flatMap((file) =>
    parseAllDocuments(readFileSync(new URL(file, k8sDir), 'utf8')).map(
      (doc) => doc.toJS() as Doc,
    ),
  );
const ofKind = (kind: string) => docs.filter((doc) => doc.kind === kind);
const configMap: Record<string, string> = ofKind('ConfigMap')[0]?.data;
/** Every role's workload: the producer's Deployment, the groups' StatefulSets. */
const deployments = [...ofKind('Deployment'), ...ofKind('StatefulSet')];
const statefulSets = ofKind('StatefulSet');
/** The oldest Node the Dockerfile's `node:24-slim` can be (docker-compose.spec checks the tag). */
const IMAGE_NODE = '24.6.0';
/** A pod name the StatefulSet gives: its name and the highest ordinal KEDA may reach. */
const podNameOf = (set: Doc): string => `${set.metadata.name}-99`;
const roleOf = (deployment: Doc): string =>
  deployment.spec.template.spec.containers[0].env.find(
    (e: Doc) => e.name === 'APP_ROLES',
  ).value;
/** The container's env as a pod sees it: values, and the pod's name where a fieldRef asks for it. */
const envOf = (deployment: Doc): Record<string, string> =>
  Object.fromEntries(
    deployment.spec.template.spec.containers[0].env.flatMap((e: Doc) =>
      typeof e.value === 'string'
        ? [[e.name, e.value]]
        : e.valueFrom?.fieldRef?.fieldPath === 'metadata.name'
          ? [[e.name, podNameOf(deployment)]]
          : [],
    ),
  );

/** Every metric name the service exposes, as Prometheus stores it (histogram series included). */
async function exposedMetricNames(): Promise<Set<string>> {
  const metrics = new MetricsService();
  const config = loadConfiguration({});
  const registry = new GroupConsumerRegistry();
  new ConsumerLagCollector(
    metrics,
    registry,
    new ConsumerLagReport(
      registry,
      {} as KafkaAdmin,
      config.kafka,
      config.consumers,
      config.metrics,
    ),
    config.kafka,
  );
  const names = new Set<string>();
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (metric.type.toString() === 'histogram') {
      for (const suffix of ['_bucket', '_sum', '_count']) {
        names.add(metric.name + suffix);
      }
    }
  }
  return names;
}

function metricNamesIn(expr: string): string[] {
  return [...expr.matchAll(/\b((?:kafka|nkg)_[a-z0-9_]+)/g)].map((m) => m[1]);
}

describe('deploy/prometheus and deploy/grafana', () => {
  const promtool = systemBinary('promtool', 'prometheus');

  it.skipIf(!promtool)(
    'alert rules pass promtool check and their unit tests',
    () => {
      const rules = new URL('prometheus/', deploy).pathname;
      expect(
        execFileSync(promtool ?? '', ['check', 'rules', 'alerts.yml'], {
          cwd: rules,
          encoding: 'utf8',
        }),
      ).toMatch(/SUCCESS: 6 rules found/);
      expect(
        execFileSync(promtool ?? '', ['test', 'rules', 'alerts.test.yml'], {
          cwd: rules,
          encoding: 'utf8',
        }),
      ).toMatch(/SUCCESS/);
    },
  );

  it('use only metrics the service exposes', async () => {
    const exposed = await exposedMetricNames();
    const alerts = parseAllDocuments(
      readFileSync(new URL('prometheus/alerts.yml', deploy), 'utf8'),
    )[0].toJS() as Doc;
    const dashboard = JSON.parse(
      readFileSync(new URL('grafana/nest-kafka-groups.json', deploy), 'utf8'),
    ) as Doc;
    const exprs = [
      ...alerts.groups.flatMap((g: Doc) => g.rules.map((r: Doc) => r.expr)),
      ...dashboard.panels.flatMap((p: Doc) =>
        p.targets.map((t: Doc) => t.expr),
      ),
    ] as string[];
    const used = new Set(exprs.flatMap(metricNamesIn));

    expect(used.size).toBeGreaterThan(8);
    expect([...used].filter((name) => !exposed.has(name))).toEqual([]);
  });
});

describe('deploy/k8s manifests against the code', () => {
  const codeReads = new Set(variablesTheCodeReads());
  const config = () => loadConfiguration(configMap);
  const settingsOf = (workload: Doc) =>
    loadConfiguration({ ...configMap, ...envOf(workload) }, IMAGE_NODE);

  it('lists every manifest in kustomization.yaml', () => {
    const kustomization = parseAllDocuments(
      readFileSync(new URL('kustomization.yaml', k8sDir), 'utf8'),
    )[0].toJS() as Doc;
    const files = readdirSync(k8sDir).filter(
      (f) => f.endsWith('.yaml') && f !== 'kustomization.yaml',
    );
    expect([...(kustomization.resources as string[])].sort()).toEqual(
      files.sort(),
    );
  });

  it('has one workload per role, each a valid configuration of names the code reads', () => {
    expect(deployments.map(roleOf).sort()).toEqual([
      'analytics',
      'producer',
      'realtime',
    ]);
    for (const name of Object.keys(configMap)) {
      expect(codeReads, `ConfigMap key ${name}`).toContain(name);
    }
    for (const deployment of deployments) {
      for (const { name } of deployment.spec.template.spec.containers[0].env) {
        expect(
          codeReads,
          `env ${name} of ${deployment.metadata.name}`,
        ).toContain(name);
      }
      expect(() => settingsOf(deployment)).not.toThrow();
    }
  });

  it('probes, scrapes and serves on the paths and port the app has', () => {
    const route = (controller: object, method: string) =>
      `/${Reflect.getMetadata(PATH_METADATA, controller)}/${Reflect.getMetadata(PATH_METADATA, (controller as any).prototype[method])}`;
    const live = route(HealthController, 'live');
    const ready = route(HealthController, 'ready');
    const metricsPath = `/${Reflect.getMetadata(PATH_METADATA, MetricsController)}`;
    for (const deployment of deployments) {
      const pod = deployment.spec.template;
      const [container] = pod.spec.containers;
      const port = Number(envOf(deployment).PORT);
      expect(container.ports).toEqual([{ name: 'http', containerPort: port }]);
      expect(container.livenessProbe.httpGet).toEqual({
        path: live,
        port: 'http',
      });
      expect(container.readinessProbe.httpGet).toEqual({
        path: ready,
        port: 'http',
      });
      expect(pod.metadata.annotations).toMatchObject({
        'prometheus.io/port': String(port),
        'prometheus.io/path': metricsPath,
      });
      expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
      expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
      expect(deployment.spec.selector.matchLabels).toEqual(pod.metadata.labels);
    }
    const service = ofKind('Service').find(
      (s) => s.metadata.name === 'nest-kafka-groups',
    )!;
    const producer = deployments.find((d) => roleOf(d) === 'producer');
    expect(service.spec.selector).toEqual(
      producer?.spec.template.metadata.labels,
    );
    expect(service.spec.ports[0].targetPort).toBe('http');
  });

  it('gives every pod the time to drain: grace period > preStop + readiness delay + shutdown timeout', () => {
    for (const deployment of deployments) {
      const [container] = deployment.spec.template.spec.containers;
      const settings = settingsOf(deployment);
      const preStopMs =
        (container.lifecycle?.preStop?.sleep?.seconds ?? 0) * 1_000;
      const needed =
        preStopMs +
        settings.health.shutdownReadinessDelayMs +
        settings.app.shutdownTimeoutMs;
      expect(
        deployment.spec.template.spec.terminationGracePeriodSeconds * 1_000,
        deployment.metadata.name,
      ).toBeGreaterThan(needed);
    }
  });

  it('scales each group with KEDA on its exact group id and topic, never past the partition count', () => {
    const { consumers, kafka } = config();
    const groupIds: Record<string, string> = {
      realtime: consumers.realtimeGroupId,
      analytics: consumers.analyticsGroupId,
    };
    const scaled = ofKind('ScaledObject');
    expect(scaled).toHaveLength(2);
    for (const [role, groupId] of Object.entries(groupIds)) {
      const deployment = statefulSets.find((d) => roleOf(d) === role);
      const object = scaled.find(
        (s) => s.spec.scaleTargetRef.name === deployment?.metadata.name,
      );
      expect(object?.spec.scaleTargetRef).toEqual({
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        name: deployment?.metadata.name,
      });
      const [trigger] = object?.spec.triggers ?? [];
      expect(trigger.type).toBe('kafka');
      expect(trigger.metadata).toMatchObject({
        consumerGroup: groupId,
        topic: kafka.topic,
        bootstrapServers: kafka.brokers.join(','),
      });
      expect(object?.spec.maxReplicaCount).toBe(kafka.topicPartitions);
      expect(object?.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
      const pdb = ofKind('PodDisruptionBudget').find(
        (p) => p.metadata.name === deployment?.metadata.name,
      );
      expect(pdb?.spec.selector.matchLabels).toEqual(
        deployment?.spec.template.metadata.labels,
      );
    }
  });

  it('runs each group as static members of a StatefulSet: instance id from the pod name, platformatic engine, headless Service', () => {
    expect(statefulSets.map(roleOf).sort()).toEqual(['analytics', 'realtime']);
    for (const set of statefulSets) {
      const name = set.metadata.name as string;
      const [container] = set.spec.template.spec.containers;
      const idVar = container.env.find(
        (e: Doc) => e.name === 'KAFKA_GROUP_INSTANCE_ID',
      );
      expect(idVar?.valueFrom, name).toEqual({
        fieldRef: { fieldPath: 'metadata.name' },
      });
      const settings = settingsOf(set);
      expect(settings.kafka.client, name).toBe('platformatic');
      expect(settings.kafka.groupProtocol, name).toBe('consumer');
      expect(settings.kafka.groupInstanceId).toBe(podNameOf(set));
      // kafkajs refuses static membership, and the platformatic engine needs the image's Node.
      expect(() =>
        loadConfiguration(
          { ...configMap, ...envOf(set), KAFKA_CLIENT: 'kafkajs' },
          IMAGE_NODE,
        ),
      ).toThrow(/KAFKA_GROUP_INSTANCE_ID .*needs KAFKA_CLIENT=platformatic/);
      expect(() =>
        loadConfiguration({ ...configMap, ...envOf(set) }, '20.19.0'),
      ).toThrow(/needs Node 22.22\+ or 24.6\+/);

      // Scaling starts and stops pods together; an update replaces one at a time.
      expect(set.spec.podManagementPolicy).toBe('Parallel');
      expect(set.spec.updateStrategy).toEqual({ type: 'RollingUpdate' });
      const headless = ofKind('Service').find(
        (s) => s.metadata.name === set.spec.serviceName,
      );
      expect(headless?.spec.clusterIP, name).toBe('None');
      expect(headless?.spec.selector).toEqual(set.spec.selector.matchLabels);
      expect(set.spec.selector.matchLabels).toEqual(
        set.spec.template.metadata.labels,
      );
      // Probes kept: readiness is what makes a rolling update wait for the member to be back.
      expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
      expect(container.livenessProbe.httpGet.path).toBe('/health/live');
      const pdb = ofKind('PodDisruptionBudget').find(
        (p) => p.metadata.name === name,
      );
      expect(pdb?.spec.maxUnavailable).toBe(1);
    }
  });
});
