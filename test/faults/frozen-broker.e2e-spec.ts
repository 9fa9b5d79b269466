import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  type Leadership,
  activeController,
  faultsCluster,
  leadership,
  ledElsewhere,
  offsetsPartitionOf,
  signalNode,
} from '../support/cluster-faults.js';
import {
  TaggedLoad,
  expectNoLoss,
  formatReport,
  settleAndCheck,
} from '../support/loss-checker.js';
import { type GroupName, Scenario } from '../support/replica-cluster.js';
import {
  type ReplicaProcess,
  buildAppIfStale,
} from '../support/replica-process.js';
import { parseMetrics, sampleValue } from '../support/metrics-text.js';
import { TestAdmin } from '../support/test-admin.js';
import { uniqueName } from '../support/unique.js';
import { waitFor } from '../support/wait-for.js';

// The faults' private 3-node cluster, shared with leader-kill.
const { ports: PORTS, brokers, cluster } = faultsCluster();
const OFFSETS = '__consumer_offsets';
/** The readiness budget of a probe (a Kubernetes probe timeout is 1 s). */
const PROBE_BUDGET_MS = 500;
/** After the cluster moved leadership away: readiness 200 within, and produce back within. */
const READY_AFTER_MOVE_MS = 2_000;
const PRODUCE_AFTER_MOVE_MS = 3_000;
/** The service's bound on one commit request (KAFKA_REQUEST_TIMEOUT_MS' default). */
const COMMIT_TIMEOUT_MS = 2_000;
const RATE = 20;

interface Sample {
  replica: string;
  at: number;
  status: number;
  ms: number;
  /** What a probe that was not 200 said (its failing checks' messages). */
  reason?: string;
}

/** GET /health/ready on every replica, every 250 ms, each answer's status and latency kept. */
class ReadinessSampler {
  readonly samples: Sample[] = [];
  private stopping = false;
  private readonly loop: Promise<void>;

  constructor(replicas: ReplicaProcess[]) {
    this.loop = (async () => {
      while (!this.stopping) {
        await Promise.all(replicas.map((r) => this.sample(r)));
        // Pacing the sampler, not waiting for a state.
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
  }

  async stop(): Promise<Sample[]> {
    this.stopping = true;
    await this.loop;
    return this.samples;
  }

  private async sample(replica: ReplicaProcess): Promise<void> {
    const at = Date.now();
    const { status, reason } = await fetch(`${replica.url}/health/ready`, {
      signal: AbortSignal.timeout(5_000),
    }).then(
      async (r) => ({ status: r.status, reason: downReasons(await r.text()) }),
      (error: unknown) => ({ status: 0, reason: String(error) }),
    );
    this.samples.push({
      replica: replica.name,
      at,
      status,
      ms: Date.now() - at,
      ...(status === 200 ? {} : { reason }),
    });
  }
}

/** The longest event-loop delay a replica saw since its /metrics was last read (ms). */
async function loopDelayMaxMs(
  replica: ReplicaProcess,
): Promise<number | undefined> {
  const text = await fetch(`${replica.url}/metrics`, {
    signal: AbortSignal.timeout(5_000),
  }).then(
    (r) => r.text(),
    () => '',
  );
  const seconds = sampleValue(
    parseMetrics(text),
    'nodejs_eventloop_lag_max_seconds',
  );
  return seconds === undefined ? undefined : Math.round(seconds * 1_000);
}

/** The messages of a terminus answer's failing checks, or the text itself. */
function downReasons(text: string): string {
  try {
    const body = JSON.parse(text) as {
      error?: Record<string, { message?: string }>;
    };
    const messages = Object.entries(body.error ?? {}).map(
      ([check, { message }]) => `${check}: ${message ?? 'down'}`,
    );
    return messages.join('; ') || text.slice(0, 200);
  } catch {
    return text.slice(0, 200);
  }
}

/** How many samples said each reason, most said first. */
function reasonCounts(samples: readonly Sample[]): string {
  const counts = new Map<string, number>();
  for (const { replica, reason } of samples) {
    const key = `${replica}: ${reason ?? '?'}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `\n    ${n} x ${reason}`)
    .join('');
}

/** Node id of the node on `address` (node N listens on BASE+N-1). */
const nodeOf = (address: string) =>
  PORTS.indexOf(Number(address.split(':')[1])) + 1;

/**
 * A node that coordinates groups (leads a partition of __consumer_offsets),
 * other than the first bootstrap broker when there is one: after an earlier
 * freeze leadership does not move back by itself.
 */
function coordinatorNode(view: Leadership): number {
  const first = nodeOf(brokers[0]);
  const leaders = (view[OFFSETS] ?? []).filter((l) => l > 0);
  return leaders.find((l) => l !== first) ?? leaders[0] ?? first;
}

/** Group ids whose coordinators are both `node` (one __consumer_offsets leader). */
function groupsCoordinatedBy(
  view: Leadership,
  node: number,
): Record<GroupName, string> {
  const leaders = view[OFFSETS] ?? [];
  const pick = (prefix: string) => {
    // Each id lands on one of the partitions at random; `node` leads at least one.
    for (let i = 0; i < 10_000; i++) {
      const id = uniqueName(prefix);
      if (leaders[offsetsPartitionOf(id, leaders.length)] === node) return id;
    }
    throw new Error(
      `node ${node} coordinates no group: ${JSON.stringify(leaders)}`,
    );
  };
  return { realtime: pick('rt'), analytics: pick('an') };
}

describe('one node of a 3-node cluster frozen (SIGSTOP), RF from the broker default, ~20 produce requests/s', () => {
  let admin: TestAdmin;
  let scenario: Scenario | undefined;
  let frozen: number | undefined;

  beforeAll(async () => {
    await Promise.all([cluster.start(), buildAppIfStale()]);
    admin = await new TestAdmin(brokers).connect();
    // The first coordinator lookup creates __consumer_offsets on a fresh cluster.
    await waitFor(
      async () => {
        await admin.describeGroup(uniqueName('warm-up'));
        const view = await leadership(brokers, [OFFSETS]);
        return view[OFFSETS]?.every((leader) => leader > 0);
      },
      { timeoutMs: 60_000, what: `${OFFSETS} with a leader per partition` },
    );
  });

  afterEach(async () => {
    if (frozen !== undefined) signalNode(frozen, 'SIGCONT');
    frozen = undefined;
    await scenario?.dispose();
    scenario = undefined;
  });

  afterAll(async () => {
    await admin?.disconnect();
    await cluster.stop();
  });

  /**
   * Starts two replicas (the service creates the topic with the broker's
   * replication), loads replica 1, freezes the node `choose` names, keeps it
   * frozen until the cluster moved every leadership away plus 6 s, thaws it,
   * and checks loss, readiness, the produce window and redelivery.
   */
  async function frozenNode(
    label: string,
    choose: (view: Leadership) => number,
    groupIds?: (view: Leadership) => Record<GroupName, string>,
  ) {
    const before = await leadership(brokers, [OFFSETS]);
    // The service's defaults: no replication factor, request and produce timeouts.
    scenario = new Scenario(admin, 3, {}, groupIds?.(before));
    scenario.printOnFailure();
    const replicas = await scenario.start('r1', 'r2');
    const r1 = replicas[0];
    // The topic the service created got the cluster's replication (RF 3, min
    // ISR 2). Read once every leader of the new topic answers the replica's
    // background cluster view (a moment after the replicas are up).
    const topicHealth = await waitFor(
      async () => {
        const health = await r1.get<{
          details: Record<string, { status?: string }>;
        }>('/health');
        const topic = health.body.details['kafka-topic'];
        return topic?.status === 'up' ? topic : undefined;
      },
      { what: "the new topic's leaders answering r1's cluster view" },
    );
    expect(topicHealth).toMatchObject({
      status: 'up',
      replicationFactor: 3,
      minInsyncReplicas: 2,
    });
    const topics = [scenario.topic, OFFSETS];
    const view = await leadership(brokers, topics);
    const node = choose(view);
    const port = PORTS[node - 1];
    const others = brokers.filter((b) => nodeOf(b) !== node);

    const load = new TaggedLoad(() => r1, label, RATE);
    await waitFor(() => load.acknowledged >= 60, { what: '3 s of load' });
    const sampler = new ReadinessSampler(replicas);
    // The probes' client shares this process with the load and the polls: its
    // own event-loop delay is printed beside the slowest probe.
    const testLoop = monitorEventLoopDelay({ resolution: 10 });
    testLoop.enable();
    // And each replica's (prom-client's, since its last scrape: this one).
    await Promise.all(replicas.map(loopDelayMaxMs));
    const frozenAt = Date.now();
    signalNode(port, 'SIGSTOP');
    frozen = port;
    const movedAt = await waitFor(
      async () =>
        ledElsewhere(await leadership(others, topics), node)
          ? Date.now()
          : undefined,
      {
        timeoutMs: 60_000,
        intervalMs: 100,
        what: `leadership off node ${node}`,
      },
    );
    // Hold the freeze 6 s past the move: the service must be whole meanwhile.
    await waitFor(() => Date.now() >= movedAt + 6_000, {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: 'the freeze held 6 s past the move',
    });
    const thawedAt = Date.now();
    signalNode(port, 'SIGCONT');
    frozen = undefined;
    const ackedAtThaw = load.acknowledged;
    await waitFor(() => load.acknowledged >= ackedAtThaw + 60, {
      timeoutMs: 60_000,
      what: '60 more acknowledged requests after the thaw',
    });
    const [attempts, samples] = await Promise.all([
      load.stop(),
      sampler.stop(),
    ]);
    const { report, stalls } = await settleAndCheck(
      admin,
      scenario,
      attempts,
      90_000,
    );

    const moveMs = movedAt - frozenAt;
    const afterMove = samples.filter(
      (s) => s.at >= movedAt + READY_AFTER_MOVE_MS && s.at < thawedAt,
    );
    testLoop.disable();
    const replicaLoops = await Promise.all(replicas.map(loopDelayMaxMs));
    const slowestSample = samples.reduce((a, b) => (b.ms > a.ms ? b : a));
    const slowest = slowestSample.ms;
    const during = samples.filter((s) => s.at >= frozenAt && s.at < thawedAt);
    const twice = Object.values(scenario.groupIds).map(
      (g) => report.groups[g]?.twice.length ?? 0,
    );
    console.log(
      `frozen ${label} (node ${node}, port ${port}, KAFKA_BROKERS ${brokers.join(',')}) for ${thawedAt - frozenAt} ms:\n${formatReport(report)}\n` +
        `  leadership moved off node ${node} ${moveMs} ms after the freeze\n` +
        `  produce error window ${load.errorWindowMs()} ms (${load.failures().length} non-2xx)\n` +
        `  readiness during the freeze: ${during.filter((s) => s.status === 200).length} x 200, ${during.filter((s) => s.status !== 200).length} x other; ` +
        `${afterMove.length} samples from move+2 s to thaw: ${afterMove.filter((s) => s.status !== 200).length} not 200${reasonCounts(afterMove.filter((s) => s.status !== 200))}; slowest probe ${slowest} ms ` +
        `(${slowestSample.replica}, ${slowestSample.at - frozenAt} ms after the freeze, status ${slowestSample.status}; event loops delayed up to ${Math.round(testLoop.max / 1e6)} ms in this process, ${replicas.map((r, i) => `${r.name} ${replicaLoops[i] ?? '?'}`).join(' / ')} ms in the replicas)\n` +
        `  consume stall realtime ${stalls[0]} ms / analytics ${stalls[1]} ms; handled twice realtime ${twice[0]} / analytics ${twice[1]}`,
    );

    expectNoLoss(report, Object.values(scenario.groupIds));
    // Nothing here needs a person: no error line, and no requests piling up
    // on the frozen connection (MaxListenersExceededWarning).
    const logs = replicas.map((r) => r.logs()).join('\n');
    expect(logs.split('\n').filter((l) => /\bERROR\b/.test(l))).toEqual([]);
    expect(logs).not.toMatch(/MaxListenersExceededWarning/);
    expect(slowest).toBeLessThan(PROBE_BUDGET_MS);
    expect(afterMove.length).toBeGreaterThan(0);
    // On both engines since 2026-12-06: the platformatic engine's probes had
    // 0 late samples in every quiet run since its three causes were mended
    // (docs/faults.md, "The second engine"); on a host loaded by other
    // sessions 1-5 `kafka-topic` samples of some runs were late.
    expect(afterMove.filter((s) => s.status !== 200)).toEqual([]);
    expect(load.errorWindowMs()).toBeLessThanOrEqual(
      moveMs + PRODUCE_AFTER_MOVE_MS,
    );
    // Handled again: at most what a group handles while one commit times out
    // (RATE requests/s x 3 records), not what it handled during the freeze.
    for (const n of twice)
      expect(n).toBeLessThanOrEqual(
        ((RATE * 3 * COMMIT_TIMEOUT_MS) / 1_000) * 2,
      );
    return { node, report };
  }

  it('the leader of a partition (not the first bootstrap broker) hangs: nothing lost, readiness and produce back soon after the cluster moves', async () => {
    await frozenNode('leader', (view) => {
      const first = nodeOf(brokers[0]);
      const leaders = view[scenario?.topic ?? ''] ?? [];
      return leaders.find((l) => l !== first) ?? first;
    });
  }, 240_000);

  it('the groups coordinator hangs: commits resume within the commit timeout, redelivery bounded by it', async () => {
    let coordinator = 0;
    await frozenNode(
      'coordinator',
      () => coordinator,
      (view) =>
        groupsCoordinatedBy(view, (coordinator = coordinatorNode(view))),
    );
  }, 240_000);

  it('the broker listed first in KAFKA_BROKERS hangs: produce back within 3 s of the cluster moving leadership', async () => {
    await frozenNode('first-bootstrap', () => nodeOf(brokers[0]));
  }, 240_000);

  it('the active controller hangs: the quorum elects another; nothing lost, and readiness and produce back soon after the move', async () => {
    // Each node is a controller too (KRaft, combined): the quorum's leader
    // also hands out the blocks of producer ids the brokers give out, and a
    // broker without a block waits on the frozen controller for one. Every
    // send that times out retires its producer session, so the kafkajs
    // engine keeps spare sessions with their ids taken ahead (docs/faults.md,
    // "A fresh producer id"); @platformatic/kafka asks another broker at each
    // retry.
    await frozenNode('active-controller', () => activeController(PORTS));
  }, 240_000);
});
