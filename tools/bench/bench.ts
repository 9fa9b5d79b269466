/**
 * npm run bench [-- --replicas N] — prints speed figures (no assertions) of the
 * service on a fresh 6-partition topic of the local broker. Default: ONE process
 * with all roles. --replicas N: a producer-only process plus N consumer-only ones.
 * Phases, in this order so each reads a clean state: light load (latency as the
 * service reports it), a burst (time until each group committed it), POST /produce
 * latency, then bare-kafkajs baselines with the service stopped, POST /produce
 * under concurrency, and draining a backlog against bare kafkajs consumers.
 * --consume-only [--backlog N] [--consume-rounds N] [--cpu-prof DIR]: just that phase.
 * Then, on Node 24, both engines beside their bare clients and Kafka's Java tools
 * (engine-compare.ts). --engines-only [--engine-backlog N] [--engine-rounds N]
 * [--group-protocol consumer|classic] [--cpu-prof DIR]: just that phase. --node24 PATH (or
 * BENCH_NODE24) names the Node 24 binary (default tools/node24/node_modules/.bin/node).
 * Last, rebalances under steady load with replica processes on both engines and
 * protocols (rebalance-phase.ts); --rebalance-only: just that phase.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import kafkajs from 'kafkajs'; // CommonJS: ConfigResourceTypes is no named export
import { ensureLocalBroker } from '../../test/support/kafka-broker.js';
import {
  buildAppIfStale,
  REPO_ROOT,
  ReplicaProcess,
} from '../../test/support/replica-process.js';
import { TestAdmin } from '../../test/support/test-admin.js';
import { waitFor } from '../../test/support/wait-for.js';
import {
  compareConsume,
  consumeGoals,
  consumeRows,
  javaLine,
} from './consume-compare.js';
import { compareEngines } from './engine-compare.js';
import { ENGINE_HEADERS, engineLines, engineRows } from './engine-report.js';
import { cpuMs } from './proc-stats.js';
import { compareProduce, produceRows } from './produce-concurrency.js';
import { compareRebalances } from './rebalance-phase.js';
import {
  REBALANCE_HEADERS,
  rebalanceLines,
  rebalanceRows,
} from './rebalance-report.js';

const PARTITIONS = 6;
const LIGHT = { perPartition: 1, requests: 30, intervalMs: 100 }; // 60 records/s
// 30,000 records: large enough that consuming, not producing, sets the time.
const BURST = { perPartition: 500, requests: 10 };
const PRODUCE = [
  { perPartition: 1, requests: 20 },
  { perPartition: 50, requests: 10 },
  { perPartition: 500, requests: 5 },
];
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const flag = process.argv.indexOf('--replicas');
const consumerReplicas = flag > 0 ? Number(process.argv[flag + 1]) : 0;
// --produce-only: just the concurrent POST /produce comparison (phase 5).
const produceOnly = process.argv.includes('--produce-only');
const PRODUCE_LOAD = { connections: 32, seconds: 5, rounds: 3 };
// --consume-only: just draining a backlog, service vs bare kafkajs (phase 6).
const consumeOnly = process.argv.includes('--consume-only');
const CONSUME_LOAD = {
  partitions: PARTITIONS,
  backlog: numberFlag('--backlog', 600_000),
  rounds: numberFlag('--consume-rounds', 3),
  perRecordSeconds: 15,
  // --cpu-prof DIR: profile the service's CPU while it drains (slows it down).
  cpuProfDir: stringFlag('--cpu-prof'),
};
// --engines-only: just the engines on Node 24 (phase 7).
const enginesOnly = process.argv.includes('--engines-only');
const ENGINE_LOAD = {
  partitions: PARTITIONS,
  // Long enough that the JVM's and each process' warm-up do not set the rate.
  backlog: numberFlag('--engine-backlog', 1_800_000),
  rounds: numberFlag('--engine-rounds', 3),
  node:
    stringFlag('--node24') ??
    process.env.BENCH_NODE24 ??
    join(REPO_ROOT, 'tools/node24/node_modules/.bin/node'),
  groupProtocol: protocolFlag(),
  // --cpu-prof DIR: profile each Node contender while it drains (slows it down).
  cpuProfDir: stringFlag('--cpu-prof'),
};
// --rebalance-only: just the rebalances with replica processes (phase 8).
const rebalanceOnly = process.argv.includes('--rebalance-only');
const REBALANCE_LOAD = {
  partitions: PARTITIONS,
  // One record per partition every 25 ms: a partition's pause shows as a gap.
  recordsPerSecond: 240,
  node24: ENGINE_LOAD.node,
};
const say = (line = '') => console.log(line);
const ms = (n: number | null) => (n === null ? '-' : `${Math.round(n)} ms`);
const rate = (records: number, millis: number) =>
  `${Math.round((records * 1000) / millis)}/s`;

async function main(): Promise<void> {
  if (![0, 1, 2, 3].includes(consumerReplicas))
    throw new Error('--replicas must be 1, 2 or 3');
  await buildAppIfStale();
  const startedBroker = await ensureLocalBroker(brokers);
  const suffix = randomUUID().slice(0, 8);
  const topic = `bench-${suffix}`;
  const groupIds = {
    realtime: `bench-realtime-${suffix}`,
    analytics: `bench-analytics-${suffix}`,
  };
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  const admin = await new TestAdmin(brokers).connect();
  try {
    await admin.createTopic(topic, PARTITIONS);
    const settings = consumerSettings();
    const env = {
      ...settings,
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC: topic,
      REALTIME_GROUP_ID: groupIds.realtime,
      ANALYTICS_GROUP_ID: groupIds.analytics,
      LOG_LEVEL: 'warn',
    };
    const producePhase = async () => {
      say(
        `\nPOST /produce {} (18 records) under ${PRODUCE_LOAD.connections} concurrent clients, producer-only service vs a minimal node:http + kafkajs server (median of ${PRODUCE_LOAD.rounds} alternating ${PRODUCE_LOAD.seconds} s rounds):`,
      );
      const result = await compareProduce(env, dir, PRODUCE_LOAD, say);
      table(
        ['server', 'requests', 'records', 'p99', 'failed'],
        produceRows(result),
      );
    };
    const consumePhase = async () => {
      say(
        `\nDraining a backlog of ${CONSUME_LOAD.backlog} records on ${PARTITIONS} partitions, fresh group from the beginning until committed = end offsets, each contender its own process (median of ${CONSUME_LOAD.rounds} alternating rounds; records/s from the group's join, and from the process' spawn):`,
      );
      const result = await compareConsume(admin, env, dir, CONSUME_LOAD, say);
      table(
        [
          'consumer',
          'records/s',
          'from spawn',
          'CPU s/100k handled',
          'peak RSS',
          'vs bare: rate / CPU',
        ],
        consumeRows(result, CONSUME_LOAD.perRecordSeconds),
      );
      say(`  Kafka's Java ConsumerPerformance: ${javaLine(result.java)}`);
      say(`  goals: ${consumeGoals(result)}`);
    };
    const enginePhase = async () => {
      if (!existsSync(ENGINE_LOAD.node)) {
        say(
          `\nEngines on Node 24: skipped, no ${ENGINE_LOAD.node} (npm install --prefix tools/node24 --no-save node@24, or set BENCH_NODE24)`,
        );
        return;
      }
      say(
        `\nEngines on Node ${nodeVersion(ENGINE_LOAD.node)}: draining a backlog of ${ENGINE_LOAD.backlog} records on ${PARTITIONS} partitions, each contender its own process and fresh group until committed = end offsets (median of ${ENGINE_LOAD.rounds} alternating rounds; Java's rate is its fetch rate, its CPU the whole JVM's):`,
      );
      await withOwnAdmin(async (phaseAdmin) => {
        const result = await compareEngines(
          phaseAdmin,
          env,
          dir,
          ENGINE_LOAD,
          say,
        );
        table(ENGINE_HEADERS, engineRows(result));
        engineLines(result).forEach((line) => say(`  ${line}`));
      });
    };
    const rebalancePhase = async () => {
      say(
        `\nRebalances under steady load (${REBALANCE_LOAD.recordsPerSecond} records/s, ${PARTITIONS} partitions, the realtime group, 3 replica processes of dist/ per engine, session 10 s, heartbeat 1 s): moved partitions from the replicas' journals (owner = process, or instance id if static); pauses are the longest gap between two handled records of a partition; latency from send to handled:`,
      );
      await withOwnAdmin(async (phaseAdmin) => {
        const runs = await compareRebalances(
          phaseAdmin,
          env,
          dir,
          REBALANCE_LOAD,
          say,
        );
        table(REBALANCE_HEADERS, rebalanceRows(runs));
        rebalanceLines(runs).forEach((line) => say(`  ${line}`));
      });
      say(
        `  load at the end ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
      );
    };
    if (produceOnly || consumeOnly || enginesOnly || rebalanceOnly) {
      say(
        `node ${process.version} · ${cpus().length} cores · load ${loadavg()[0]?.toFixed(2)}`,
      );
      await (produceOnly
        ? producePhase()
        : consumeOnly
          ? consumePhase()
          : enginesOnly
            ? enginePhase()
            : rebalancePhase());
      return;
    }
    const start = (name: string, roles: string) =>
      ReplicaProcess.start({ name, dir, env: { ...env, APP_ROLES: roles } });
    const producer = await start(
      'replica-1',
      consumerReplicas ? 'producer' : 'producer,realtime,analytics',
    );
    const consumers = consumerReplicas
      ? await Promise.all(
          Array.from({ length: consumerReplicas }, (_, i) =>
            start(`consumer-${i + 1}`, 'realtime,analytics'),
          ),
        )
      : [producer];
    await waitForSplit(consumers);
    const pom = readFileSync(join(REPO_ROOT, 'tools/kafka/pom.xml'), 'utf8');
    say(
      `node ${process.version} · Kafka ${/<kafka.version>(.+)</.exec(pom)?.[1]} (${startedBroker ? 'started by bench' : 'already running'}, ${await brokerSetting(admin, 'group.coordinator.append.linger.ms')}) · ${cpus().length} cores · load ${loadavg()[0]?.toFixed(2)}`,
    );
    say(
      `${consumerReplicas ? `1 producer-only + ${consumerReplicas} consumer-only processes` : '1 process, all roles'} · ${Object.entries(
        settings,
      )
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')} · journal on`,
    );

    // 1. Light load: produce→consume latency as the service reports it.
    const streams = await Promise.all(
      consumers.map((c) => openStream(`${c.url}/realtime/stream`)),
    );
    const lightStart = performance.now();
    for (let i = 1; i <= LIGHT.requests; i++) {
      await produce(producer, LIGHT.perPartition);
      await sleep(lightStart + i * LIGHT.intervalMs - performance.now());
    }
    await waitForGroups(admin, groupIds, topic, 30_000);
    const realtime = streams.flatMap((s) => s.close());
    const light = await analyticsLatency(consumers);

    // 2. Burst: from the first POST until committed offsets = end offsets.
    const burst = BURST.perPartition * PARTITIONS * BURST.requests;
    const pids = consumers.map((c) => c.pid);
    const cpuBefore = [cpuMs(pids), cpuMs([brokerPid()])];
    const burstStart = performance.now();
    for (let i = 0; i < BURST.requests; i++)
      await produce(producer, BURST.perPartition);
    const producedMs = performance.now() - burstStart;
    const doneAt = await waitForGroups(admin, groupIds, topic, 90_000);
    const burstMs = Math.max(...Object.values(doneAt)) - burstStart;
    const cpu = [cpuMs(pids), cpuMs([brokerPid()])].map(
      (after, i) =>
        `${Math.round(((after - (cpuBefore[i] ?? 0)) * 100) / burstMs)}%`,
    );
    const burstTail = await analyticsLatency(consumers);
    say(
      `\nBurst of ${burst} records (${BURST.requests} POSTs of ${burst / BURST.requests}), produced in ${ms(producedMs)}; committed offsets polled every 50 ms:`,
    );
    table(
      ['group', 'first POST → all committed', 'consumed'],
      Object.keys(groupIds).map((group) => {
        const took = (doneAt[group] ?? NaN) - burstStart;
        return [group, ms(took), rate(burst, took)];
      }),
    );
    say(`  CPU meanwhile (% of one core): service ${cpu[0]}, broker ${cpu[1]}`);
    const lightRate = rate(LIGHT.perPartition * PARTITIONS, LIGHT.intervalMs);
    say('\nProduce → consume latency, as the service reports it:');
    table(
      ['load', 'source', 'records', 'p50', 'p95'],
      [
        [
          `${lightRate} steady`,
          'realtime SSE',
          `${realtime.length}`,
          ms(pct(realtime, 0.5)),
          ms(pct(realtime, 0.95)),
        ],
        [`${lightRate} steady`, 'GET /analytics', ...light],
        ['burst (last 1000)', 'GET /analytics', ...burstTail],
      ],
    );

    // 3. POST /produce, sequential requests (the groups still consume the backlog).
    say('\nPOST /produce, sequential requests (consumers running):');
    const rows: string[][] = [];
    for (const { perPartition, requests } of PRODUCE) {
      const took: number[] = [];
      for (let i = 0; i < requests; i++)
        took.push(await produce(producer, perPartition));
      const sum = took.reduce((a, b) => a + b, 0);
      rows.push([
        `${perPartition * PARTITIONS}`,
        `${requests}`,
        ms(pct(took, 0.5)),
        ms(pct(took, 0.95)),
        ms(Math.max(...took)),
        rate(perPartition * PARTITIONS * requests, sum),
      ]);
    }
    table(
      ['records/request', 'requests', 'p50', 'p95', 'max', 'records'],
      rows,
    );

    // 4. Baselines with the service stopped: what kafkajs and the broker allow.
    await Promise.all(
      [...new Set([producer, ...consumers])].map((r) => r.stop('SIGTERM')),
    );
    const base = await bareConsumer(admin, topic, `bench-bare-${suffix}`);
    say('\nBaselines, service stopped, one bare kafkajs consumer:');
    say(`  eachMessage, no handler, no commit:   ${base.readPerSec}/s`);
    say(
      `  commitOffsets, ${PARTITIONS} partitions × 100 in turn: ${base.commitsPerSec}/s (mean ${base.commitMs.toFixed(1)} ms each)`,
    );
    say(`  journal line (appendFileSync):        ${journalMicros(dir)} µs`);

    // 5. POST /produce under concurrency against a hand-written server.
    await producePhase();

    // 6. Draining a backlog: the service against bare kafkajs consumers.
    await consumePhase();

    // 7. Both engines on Node 24, beside their bare clients and Kafka's Java tools.
    await enginePhase();

    // 8. Rebalances under steady load, replica processes of both engines and protocols.
    await rebalancePhase();
  } finally {
    await ReplicaProcess.killAll();
    await admin.deleteTopics([
      topic,
      ...Object.values(groupIds).map((g) => `${topic}.${g}.dlq`),
    ]);
    await admin.deleteGroups([
      ...Object.values(groupIds),
      `bench-bare-${suffix}`,
    ]);
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
    await startedBroker?.stop();
  }
}

/**
 * Runs a phase with its own admin: kafkajs' admin keeps refreshing the metadata
 * of every topic it has seen, and the earlier phases' topics are deleted ("does
 * not host this topic").
 */
async function withOwnAdmin(phase: (admin: TestAdmin) => Promise<void>) {
  const admin = await new TestAdmin(brokers).connect();
  try {
    await phase(admin);
  } finally {
    await admin.disconnect();
  }
}

/** CONSUMER_* defaults from .env.example, overridden by this shell's environment. */
function consumerSettings(): Record<string, string> {
  const example = readFileSync(join(REPO_ROOT, '.env.example'), 'utf8');
  return Object.fromEntries(
    [...example.matchAll(/^(CONSUMER_\w+)=(.+)$/gm)].map(([, name, value]) => [
      name as string,
      process.env[name as string] ?? (value as string),
    ]),
  );
}

async function brokerSetting(admin: TestAdmin, name: string): Promise<string> {
  const client = admin.kafka.admin();
  await client.connect();
  try {
    const { controller } = await client.describeCluster();
    const { resources } = await client.describeConfigs({
      resources: [
        {
          type: kafkajs.ConfigResourceTypes.BROKER,
          name: String(controller),
          configNames: [name],
        },
      ],
      includeSynonyms: false,
    });
    return `${name}=${resources[0]?.configEntries[0]?.configValue ?? '?'}`;
  } finally {
    await client.disconnect();
  }
}

async function produce(via: ReplicaProcess, perPartition: number) {
  const began = performance.now();
  const { status, body } = await via.post('/produce', {
    messagesPerPartition: perPartition,
  });
  if (status !== 201)
    throw new Error(`POST /produce: ${status} ${JSON.stringify(body)}`);
  return performance.now() - began;
}

/** Polls until each group's committed offsets equal the end offsets; when each got there. */
async function waitForGroups(
  admin: TestAdmin,
  groupIds: Record<string, string>,
  topic: string,
  timeoutMs: number,
): Promise<Record<string, number>> {
  const done: Record<string, number> = {};
  await waitFor(
    async () => {
      for (const [name, groupId] of Object.entries(groupIds))
        if (done[name] === undefined && (await admin.caughtUp(groupId, topic)))
          done[name] = performance.now();
      return Object.keys(done).length === Object.keys(groupIds).length;
    },
    { timeoutMs, intervalMs: 50, what: 'both groups to commit every record' },
  );
  return done;
}

async function waitForSplit(replicas: ReplicaProcess[]): Promise<void> {
  await waitFor(
    async () => {
      const views = await Promise.all(replicas.map((r) => r.consumers()));
      return ['realtime', 'analytics'].every((name) => {
        const groups = views.map((v) => v.groups.find((g) => g.name === name));
        const owned = groups.flatMap((g) => g?.assignedPartitions ?? []);
        return (
          groups.every((g) => g?.status === 'joined') &&
          new Set(owned).size === PARTITIONS
        );
      });
    },
    { timeoutMs: 30_000, what: 'every partition to be owned in both groups' },
  );
}

/** GET /analytics latency of each process (its last 1000 records): [records, p50, p95]. */
async function analyticsLatency(replicas: ReplicaProcess[]) {
  type Latency = { count: number; p50Ms: number | null; p95Ms: number | null };
  const all = await Promise.all(
    replicas.map(
      async (r) =>
        (await r.get<{ latency: Latency }>('/analytics')).body.latency,
    ),
  );
  const each = (f: (l: Latency) => string) => all.map(f).join(' / ');
  return [
    each((l) => `${Math.min(l.count, 1000)}`),
    each((l) => ms(l.p50Ms)),
    each((l) => ms(l.p95Ms)),
  ];
}

/** Collects latencyMs of the realtime SSE stream until close() (bounded to 60 s anyway). */
async function openStream(url: string) {
  const latencies: number[] = [];
  const abort = new AbortController();
  const signal = AbortSignal.any([abort.signal, AbortSignal.timeout(60_000)]);
  const response = await fetch(url, { signal });
  void (async () => {
    let buffer = '';
    for await (const chunk of response.body ?? []) {
      const lines = (buffer + Buffer.from(chunk).toString()).split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines.filter((l) => l.startsWith('data:')))
        latencies.push(
          (JSON.parse(line.slice(5)) as { latencyMs: number }).latencyMs,
        );
    }
  })().catch(() => undefined);
  return {
    close: () => {
      abort.abort();
      return latencies;
    },
  };
}

/** The topic read by a bare consumer, then 6 parallel chains of commits like the service's. */
async function bareConsumer(admin: TestAdmin, topic: string, groupId: string) {
  const ends = Object.values(await admin.endOffsets(topic));
  const total = ends.reduce((a, b) => a + b, 0);
  const consumer = admin.kafka.consumer({ groupId, maxWaitTimeInMs: 1_000 });
  let count = 0;
  let first = 0;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: PARTITIONS,
      eachMessage: async () => {
        first ||= performance.now();
        count++;
      },
    });
    await waitFor(() => count >= total, {
      timeoutMs: 30_000,
      intervalMs: 20,
      what: 'the bare consumer to read the topic',
    });
    const readMs = performance.now() - first;
    const began = performance.now();
    await Promise.all(
      Array.from({ length: PARTITIONS }, async (_, partition) => {
        for (let i = 1; i <= 100; i++)
          await consumer.commitOffsets([
            { topic, partition, offset: String(i) },
          ]);
      }),
    );
    const commitsMs = performance.now() - began;
    return {
      readPerSec: Math.round((total * 1000) / readMs),
      commitsPerSec: Math.round((PARTITIONS * 100 * 1000) / commitsMs),
      commitMs: commitsMs / 100,
    };
  } finally {
    await consumer.disconnect();
  }
}

function brokerPid(): number {
  const file = join(
    REPO_ROOT,
    '.kafka',
    brokers[0]?.split(':')[1] ?? '9092',
    'broker.pid',
  );
  return existsSync(file) ? Number(readFileSync(file, 'utf8')) : -1;
}

/** Cost of one journal line (ReplicaProcess always sets CONSUMER_JOURNAL_FILE). */
function journalMicros(dir: string): string {
  const line = `${JSON.stringify({ group: 'bench-analytics-0123abcd', id: randomUUID(), partition: 0, offset: '1234', pid: 1, at: Date.now() })}\n`;
  const began = performance.now();
  for (let i = 0; i < 5_000; i++)
    appendFileSync(join(dir, 'probe.jsonl'), line);
  return (((performance.now() - began) * 1000) / 5_000).toFixed(1);
}

function numberFlag(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!(Number.isInteger(value) && value > 0))
    throw new Error(`${name} takes a positive whole number`);
  return value;
}

function protocolFlag(): 'consumer' | 'classic' {
  const value = stringFlag('--group-protocol', false) ?? 'consumer';
  if (value !== 'consumer' && value !== 'classic')
    throw new Error(`--group-protocol takes consumer or classic, got ${value}`);
  return value;
}

/** `v24.x.y` of another node binary. */
function nodeVersion(node: string): string {
  return execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
}

function stringFlag(name: string, path = true): string | undefined {
  const at = process.argv.indexOf(name);
  const value = at < 0 ? undefined : process.argv[at + 1];
  if (at >= 0 && !value) throw new Error(`${name} takes a value`);
  return value && (path ? resolve(value) : value);
}

function pct(values: number[], q: number): number | null {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? null;
}

function table(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)),
  );
  const line = (cells: string[]) =>
    '  ' +
    cells
      .map((c, i) =>
        i ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[0] ?? 0),
      )
      .join('  ');
  [headers, ...rows].forEach((r) => say(line(r)));
}

function sleep(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, millis)));
}

process.once('SIGINT', () => {
  void ReplicaProcess.killAll().finally(() => process.exit(130));
});

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  void ReplicaProcess.killAll().finally(() => process.exit(1));
});
