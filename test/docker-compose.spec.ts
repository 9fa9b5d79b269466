import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { APP_ROLES, loadConfiguration } from '../src/config/configuration.js';

/**
 * Docker cannot run where this suite runs, so these checks read the files the
 * way compose and the image builder would and hold them to the facts that
 * matter: versions, health, start order, topic creation, and that the consumer
 * groups scale without host port clashes.
 */
type PortEntry = string | { published?: string | number; target?: number };

interface Service {
  image?: string;
  build?: unknown;
  container_name?: string;
  command?: string | string[];
  environment?: Record<string, string | number> | string[];
  env_file?: unknown;
  ports?: PortEntry[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string | string[] };
  stop_grace_period?: string;
  init?: boolean;
}

const root = new URL('../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;
const dockerfile = read('Dockerfile');
const defaults = loadConfiguration({});

const APP_SERVICES = ['producer', 'realtime', 'analytics'];
const SCALABLE = ['realtime', 'analytics'];

function envOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  const pairs = Array.isArray(env)
    ? env.map((entry) => entry.split(/=(.*)/s, 2))
    : Object.entries(env);
  return Object.fromEntries(pairs.map(([k, v]) => [k, String(v ?? '')]));
}

function commandOf(service: Service): string {
  const command = service.command ?? [];
  return Array.isArray(command) ? command.join(' ') : command;
}

/** The fixed host port of a ports entry, or undefined when the host picks one. */
function hostPort(entry: PortEntry): string | undefined {
  if (typeof entry !== 'string') {
    return entry.published === undefined ? undefined : String(entry.published);
  }
  const parts = entry.replace(/\/(tcp|udp)$/, '').split(':');
  const host =
    parts.length === 3 ? parts[1] : parts.length === 2 ? parts[0] : '';
  return host === '' ? undefined : host;
}

function containerPort(entry: PortEntry): string {
  return typeof entry === 'string'
    ? (entry
        .replace(/\/(tcp|udp)$/, '')
        .split(':')
        .pop() ?? '')
    : String(entry.target);
}

function durationMs(value: string): number {
  const units: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 36e5 };
  let total = 0;
  for (const [, amount, unit] of value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(amount) * units[unit];
  }
  return total;
}

/** `NAME://host:port` entries of a Kafka listener list. */
function listeners(value: string): Map<string, { host: string; port: string }> {
  return new Map(
    value.split(',').map((entry) => {
      const match = /^(\w+):\/\/([^:]*):(.+)$/.exec(entry.trim());
      if (!match) {
        throw new Error(`"${entry}" is not NAME://host:port`);
      }
      const [, name, host, port] = match;
      return [name, { host, port }];
    }),
  );
}

const kafkaEnv = envOf(services.kafka ?? {});

describe('docker-compose.yml', () => {
  it('defines the broker, the topic init and the three app services', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['kafka', 'kafka-init', ...APP_SERVICES].sort(),
    );
  });

  it('runs the official apache/kafka image at the local broker version', () => {
    const pom = read('tools/kafka/pom.xml');
    const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];

    expect(version).toBeDefined();
    expect(services.kafka.image).toBe(`apache/kafka:${version}`);
    expect(services['kafka-init'].image).toBe(services.kafka.image);
  });

  it('configures one combined KRaft node with replication factor 1', () => {
    expect(kafkaEnv).toMatchObject({
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_NODE_ID: '1',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    });
    expect(kafkaEnv.CLUSTER_ID).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const controller = listeners(kafkaEnv.KAFKA_LISTENERS).get(
      kafkaEnv.KAFKA_CONTROLLER_LISTENER_NAMES,
    );
    expect(kafkaEnv.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(
      `1@kafka:${controller?.port}`,
    );
  });

  it('checks the broker with kafka-broker-api-versions on a port it listens on', () => {
    const test = services.kafka.healthcheck?.test ?? [];
    const command = Array.isArray(test) ? test.join(' ') : test;
    const ports = [...listeners(kafkaEnv.KAFKA_LISTENERS).values()].map(
      (listener) => listener.port,
    );

    expect(command).toMatch(/kafka-broker-api-versions\.sh/);
    expect(command).toMatch(
      new RegExp(`--bootstrap-server localhost:(${ports.join('|')})\\b`),
    );
  });

  it('creates the topic once (--if-not-exists) with the configured partitions', () => {
    const init = services['kafka-init'];
    const command = commandOf(init);
    const { topic, topicPartitions } = defaults.kafka;

    expect(command).toMatch(/kafka-topics\.sh .*--create/);
    expect(command).toContain('--if-not-exists');
    expect(command).toContain(`--topic \${KAFKA_TOPIC:-${topic}}`);
    expect(command).toContain(
      `--partitions \${KAFKA_TOPIC_PARTITIONS:-${topicPartitions}}`,
    );
    // Like the service: the broker's default.replication.factor.
    expect(command).not.toContain('--replication-factor');
    expect(command).toContain(`--bootstrap-server ${internalBroker()}`);
    expect(init.depends_on).toEqual({
      kafka: { condition: 'service_healthy' },
    });
  });

  describe.each(APP_SERVICES)('%s', (name) => {
    const service = services[name];
    const env = envOf(service);

    it('starts after a healthy broker and a created topic', () => {
      expect(service.depends_on).toEqual({
        kafka: { condition: 'service_healthy' },
        'kafka-init': { condition: 'service_completed_successfully' },
      });
    });

    it('reaches the broker on the in-network listener it advertises', () => {
      expect(env.KAFKA_BROKERS).toBe(internalBroker());
    });

    it('runs known roles only', () => {
      const roles = env.APP_ROLES.split(',').map((role) => role.trim());

      expect(roles.length).toBeGreaterThan(0);
      expect(APP_ROLES).toEqual(expect.arrayContaining(roles));
      expect(loadConfiguration(env).app.roles).toEqual(roles);
    });

    it('is built from the Dockerfile and listens on the port it publishes', () => {
      expect(service.build).toBeDefined();
      for (const entry of service.ports ?? []) {
        expect(containerPort(entry)).toBe(env.PORT);
      }
    });

    it('reads .env when present, runs under an init, and has time to drain', () => {
      expect(service.env_file).toEqual([{ path: '.env', required: false }]);
      expect(service.init).toBe(true);
      // main.ts force-exits 5 s after SHUTDOWN_TIMEOUT_MS; compose must not SIGKILL first.
      expect(durationMs(service.stop_grace_period ?? '10s')).toBeGreaterThan(
        defaults.app.shutdownTimeoutMs + 5_000,
      );
    });
  });

  it('runs every role in some service', () => {
    const roles = APP_SERVICES.flatMap((name) =>
      envOf(services[name]).APP_ROLES.split(','),
    );
    expect([...new Set(roles)].sort()).toEqual([...APP_ROLES].sort());
  });

  it.each(SCALABLE)('%s scales (--scale) without a host port clash', (name) => {
    const service = services[name];

    expect(service.container_name).toBeUndefined();
    expect((service.ports ?? []).map(hostPort)).toEqual(
      (service.ports ?? []).map(() => undefined),
    );
  });
});

/** host:port of the broker's inter-broker (in-network) listener, as advertised. */
function internalBroker(): string {
  const name = kafkaEnv.KAFKA_INTER_BROKER_LISTENER_NAME;
  const advertised = listeners(kafkaEnv.KAFKA_ADVERTISED_LISTENERS).get(name);
  const bound = listeners(kafkaEnv.KAFKA_LISTENERS).get(name);
  expect(advertised?.host).toBe('kafka');
  expect(bound?.port).toBe(advertised?.port);
  return `${advertised?.host}:${advertised?.port}`;
}

describe('Dockerfile', () => {
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages.at(-1) ?? '';

  it('builds in one stage and runs from another, on Node 24 (the platformatic engine needs 24.6+)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) {
      // node:24-slim floats to the newest 24.x; a pinned 24.x must be 24.6 or later.
      const tag = /^node:(24(?:\.(\d+))?[-\w.]*)\s/.exec(stage);
      expect(tag, stage.split('\n')[0]).not.toBeNull();
      expect(Number(tag?.[2] ?? 6)).toBeGreaterThanOrEqual(6);
    }
    expect(stages[0]).toMatch(/^RUN npm ci\b/m);
    expect(stages[0]).toMatch(/tsc -p tsconfig\.build\.json/);
  });

  it('ships production dependencies only and runs as a non-root user', () => {
    expect(runtime).toMatch(/^RUN npm ci --omit=dev\b/m);
    expect(runtime).toMatch(/NODE_ENV=production/);
    const user = /^USER\s+(\S+)/m.exec(runtime)?.[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
  });

  it('checks liveness on /health/live and starts node directly', () => {
    expect(runtime).toMatch(/^HEALTHCHECK[^]*\/health\/live/m);
    expect(runtime).toMatch(/^STOPSIGNAL SIGTERM$/m);
    // Exec form, no npm or shell in between: SIGTERM reaches node itself.
    const cmd = /^CMD (\[.*\])$/m.exec(runtime)?.[1] ?? 'null';
    expect(JSON.parse(cmd)).toEqual(['node', 'dist/main.js']);
  });

  it('keeps .env and local build output out of the build context', () => {
    const ignored = read('.dockerignore').split('\n');
    expect(ignored).toEqual(
      expect.arrayContaining(['.env', 'node_modules', 'dist']),
    );
  });
});
