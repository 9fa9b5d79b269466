import type { GroupPauseBoard } from '../src/kafka/control/group-pause.board.js';
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
const deployments = ofKind('Deployment');
const roleOf = (deployment: Doc): string =>
  deployment.spec.template.spec.containers[0].env.find(
    (e: Doc) => e.name === 'APP_ROLES',
  ).value;
const envOf = (deployment: Doc): Record<string, string> =>
  Object.fromEntries(
    deployment.spec.template.spec.containers[0].env
      .filter((e: Doc) => typeof e.value === 'string')
      .map((e: Doc) => [e.name, e.value]),
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
      {} as GroupPauseBoard,
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

  it('has one Deployment per role, each a valid configuration of names the code reads', () => {
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
      expect(() =>
        loadConfiguration({ ...configMap, ...envOf(deployment) }),
      ).not.toThrow();
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
    const [service] = ofKind('Service');
    const producer = deployments.find((d) => roleOf(d) === 'producer');
    expect(service.spec.selector).toEqual(
      producer?.spec.template.metadata.labels,
    );
    expect(service.spec.ports[0].targetPort).toBe('http');
  });

  it('gives every pod the time to drain: grace period > preStop + readiness delay + shutdown timeout', () => {
    for (const deployment of deployments) {
      const [container] = deployment.spec.template.spec.containers;
      const settings = loadConfiguration({
        ...configMap,
        ...envOf(deployment),
      });
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
      const deployment = deployments.find((d) => roleOf(d) === role);
      const object = scaled.find(
        (s) => s.spec.scaleTargetRef.name === deployment?.metadata.name,
      );
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
});
