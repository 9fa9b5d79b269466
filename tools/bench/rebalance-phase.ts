/**
 * Bench phase: rebalances under steady load, with real replica processes of
 * the service (node dist/main.js, the realtime group only) on a fresh
 * 6-partition topic per engine: kafkajs / classic, platformatic / classic,
 * platformatic / consumer (KIP-848), and platformatic / consumer with static
 * members (KAFKA_GROUP_INSTANCE_ID r0, r1, r2). Each engine's replicas go
 * through, in this order: a control (a 4th process boots in another group: no
 * rebalance, only a boot on the same cores), a rolling restart of 3 (SIGTERM,
 * start again with the same settings, wait until ready and the group settled,
 * next), a graceful leave (SIGTERM one of 3), a join (a 3rd joins 2) and a
 * crash (SIGKILL one of 3). What each did to the records is read afterwards from the replicas'
 * journals (rebalance-measure.ts).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { TestAdmin } from '../../test/support/test-admin.js';
import { waitFor } from '../../test/support/wait-for.js';
import { RebalanceCluster, type RebalanceEngine } from './rebalance-cluster.js';
import { steadyLoad } from './rebalance-load.js';
import {
  combineSteps,
  indexHandled,
  measureStep,
  type Step,
  type StepFigures,
} from './rebalance-measure.js';

export interface RebalanceLoad {
  partitions: number;
  recordsPerSecond: number;
  /** The Node 24 binary (≥ 24.6) the replicas run on; the platformatic rows need it. */
  node24: string;
}

export const SCENARIOS = ['boot', 'join', 'leave', 'crash', 'rolling'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface ScenarioResult {
  /** The figures, or why the scenario was not measured. */
  figures: StepFigures | string;
  /** 1-minute load average of the host at the scenario's first event. */
  load: number;
}

export interface EngineRun {
  engine: RebalanceEngine;
  /** Why the engine did not run at all. */
  skipped?: string;
  scenarios: Partial<Record<Scenario, ScenarioResult>>;
  /** Records sent, handled at least once, never handled; the load's send failures. */
  records?: {
    sent: number;
    handled: number;
    missing: number;
    failures: number;
  };
  /** Each rolling restart's SIGTERM to the replica ready again (a static member away longer than its session loses its partitions). */
  restartsMs?: number[];
  /** Settles of the group, and those after which a replica still said 'rebalancing'. */
  settles?: { all: number; rebalancing: number };
}

const SLOTS = ['r0', 'r1', 'r2'];
// Quiet time before each event, the steady state its figures are read against;
// also the tail after each settle, so partitions' first records after it are in.
const QUIET_MS = 1_500;

export async function compareRebalances(
  admin: TestAdmin,
  env: Record<string, string>,
  dir: string,
  load: RebalanceLoad,
  progress: (line: string) => void,
): Promise<EngineRun[]> {
  // Every row on Node 24 when there is one; kafkajs alone on this Node otherwise.
  const noNode24 = whyNotNode24(load.node24);
  const node = noNode24 ? process.execPath : load.node24;
  progress(`  replicas on Node ${nodeVersion(node)} (${node})`);
  const engine = (
    client: RebalanceEngine['client'],
    protocol: RebalanceEngine['protocol'],
    staticMembers = false,
  ): RebalanceEngine => ({
    label: `${client} / ${protocol}${staticMembers ? ', static' : ''}`,
    client,
    protocol,
    staticMembers,
    node,
  });
  const engines = [
    engine('kafkajs', 'classic'),
    engine('platformatic', 'classic'),
    engine('platformatic', 'consumer'),
    engine('platformatic', 'consumer', true),
  ];
  const runs: EngineRun[] = [];
  for (const each of engines) {
    if (each.client === 'platformatic' && noNode24) {
      progress(`  ${each.label}: skipped (${noNode24})`);
      runs.push({ engine: each, skipped: noNode24, scenarios: {} });
      continue;
    }
    const began = Date.now();
    runs.push(await runEngine(admin, env, dir, each, load, progress));
    progress(
      `  ${each.label}: done in ${Math.round((Date.now() - began) / 1000)} s`,
    );
  }
  return runs;
}

async function runEngine(
  admin: TestAdmin,
  env: Record<string, string>,
  dir: string,
  engine: RebalanceEngine,
  load: RebalanceLoad,
  progress: (line: string) => void,
): Promise<EngineRun> {
  const suffix = randomUUID().slice(0, 8);
  const topic = `bench-rebalance-${suffix}`;
  const groupId = `bench-rebalance-${suffix}`;
  await admin.createTopic(topic, load.partitions);
  const cluster = new RebalanceCluster(
    admin,
    dir,
    {
      ...env,
      KAFKA_TOPIC: topic,
      KAFKA_TOPIC_PARTITIONS: String(load.partitions),
      REALTIME_GROUP_ID: groupId,
      APP_ROLES: 'realtime',
      // The classic protocol's timeouts, set like the broker's KIP-848 ones
      // (tools/kafka/kafka.sh): the two protocols then expire a member alike.
      CONSUMER_SESSION_TIMEOUT_MS: '10000',
      CONSUMER_HEARTBEAT_INTERVAL_MS: '1000',
      SHUTDOWN_TIMEOUT_MS: '10000',
      LOG_LEVEL: 'warn',
    },
    engine,
  );
  const steps: Partial<Record<Scenario, Step[]>> = {};
  const loads: Partial<Record<Scenario, number>> = {};
  const restartsMs: number[] = [];
  let failed: { scenario: Scenario | 'start'; why: string } | undefined;
  let current: Scenario | 'start' = 'start';
  let writer: ReturnType<typeof steadyLoad> | undefined;
  /** One event: `act` sends the signal or starts the replica; then the group settles. */
  const step = async (
    scenario: Scenario,
    act: () => Promise<number | undefined>,
  ) => {
    current = scenario;
    loads[scenario] ??= loadavg()[0] ?? NaN;
    const t0 = Date.now();
    const stoppedPid = await act();
    const settledAt = await cluster.settled();
    // An observation window, not a wait for a state: the records after the settle.
    await sleep(QUIET_MS);
    (steps[scenario] ??= []).push({ t0, t1: settledAt + QUIET_MS, stoppedPid });
    progress(`    ${scenario}: settled ${settledAt - t0} ms after the event`);
  };
  try {
    await Promise.all(SLOTS.map((slot) => cluster.start(slot)));
    await cluster.settled(60_000);
    const wrong = await cluster.mismatch();
    if (wrong) throw new Error(wrong);
    writer = steadyLoad(admin, topic, load.partitions, load.recordsPerSecond);
    await sleep(QUIET_MS); // the steady state before the first event
    await step('boot', async () => void (await cluster.bootElsewhere()));
    for (const slot of SLOTS)
      await step('rolling', async () => {
        const began = Date.now();
        const pid = await cluster.stop(slot, 'SIGTERM');
        await cluster.start(slot);
        restartsMs.push(Date.now() - began);
        return pid;
      });
    await step('leave', () => cluster.stop('r2', 'SIGTERM'));
    await step('join', async () => void (await cluster.start('r2')));
    await step('crash', () => cluster.stop('r2', 'SIGKILL'));
  } catch (error) {
    failed = {
      scenario: current,
      why: `${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    };
    progress(`    ${engine.label}, ${current}: failed: ${failed.why}`);
  }
  const written = await writer?.stop();
  // Everything written handled before the journals are read (bounded).
  const caughtUp = await waitFor(() => admin.caughtUp(groupId, topic), {
    timeoutMs: 30_000,
    what: 'the group caught up',
  }).catch(() => false);
  await cluster.dispose();
  const journal = cluster.journal();
  await admin.deleteTopics([topic]);
  await admin.deleteGroups([groupId]);
  const sentAt = writer?.sentAt ?? new Map<string, number>();
  const handledIds = new Set(journal.map((e) => e.id));
  const handled = indexHandled(journal);
  const figures = (done: Step[]) =>
    combineSteps(
      done.map((one) =>
        measureStep(
          handled,
          one,
          (pid) => cluster.ownerOf(pid),
          sentAt,
          QUIET_MS,
        ),
      ),
    );
  const scenarios: EngineRun['scenarios'] = {};
  for (const scenario of SCENARIOS) {
    const done = steps[scenario] ?? [];
    const unmeasured =
      failed && (failed.scenario === scenario || done.length === 0);
    scenarios[scenario] = {
      figures: unmeasured
        ? `not measured (${failed?.scenario}: ${failed?.why})`
        : figures(done),
      load: loads[scenario] ?? NaN,
    };
  }
  if (!caughtUp)
    progress(`    ${engine.label}: the group did not catch up in 30 s`);
  return {
    engine,
    scenarios,
    records: {
      sent: sentAt.size,
      handled: [...sentAt.keys()].filter((id) => handledIds.has(id)).length,
      missing: [...sentAt.keys()].filter((id) => !handledIds.has(id)).length,
      failures: written?.failures.length ?? 0,
    },
    restartsMs,
    settles: {
      all: cluster.settles,
      rebalancing: cluster.rebalancingAfterSettle,
    },
  };
}

/** undefined if `node` is a Node ≥ 24.6 binary, otherwise why not. */
function whyNotNode24(node: string): string | undefined {
  if (!existsSync(node))
    return `no ${node}: npm install --prefix tools/node24 --no-save node@24, or --node24 PATH / BENCH_NODE24`;
  const version = nodeVersion(node);
  const [major = 0, minor = 0] = version.slice(1).split('.').map(Number);
  return major > 24 || (major === 24 && minor >= 6)
    ? undefined
    : `${node} is ${version}; @platformatic/kafka needs Node ≥ 24.6`;
}

/** `v24.x.y` of a node binary. */
function nodeVersion(node: string): string {
  return execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
}

function sleep(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, millis));
}
