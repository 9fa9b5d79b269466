import { inject } from 'vitest';
import {
  Scenario,
  sessionTimeoutUnderTest,
  TAKEOVER_MARGIN_MS,
  tally,
} from './support/replica-cluster.js';
import { parseMetrics } from './support/metrics-text.js';
import {
  buildAppIfStale,
  type GroupView,
  ReplicaProcess,
} from './support/replica-process.js';
import { TestAdmin } from './support/test-admin.js';
import { waitFor } from './support/wait-for.js';

interface PauseView {
  groupId: string;
  paused: boolean;
  all: { since: string; until: string | null; by: string | null } | null;
  partitions: { partition: number; until: string | null; by: string | null }[];
}
type PausedGroupView = GroupView & {
  pause: PauseView;
  lag: { status: string; partitions: { partition: number; status: string }[] };
};

interface DashboardView {
  groups: {
    name: string;
    status: string;
    partitions: { status: string; paused: { by: string | null } | null }[];
  }[];
}

const PARTITIONS = 4;

/**
 * Issue #24, "Pause a group, across all replicas", with real processes: the
 * pause is a record in the compacted control topic, every replica applies it
 * to the partitions it owns now and later, and the broker's committed offsets
 * say whether the paused group moved.
 */
describe('pausing a consumer group across replicas (real processes)', () => {
  const brokers = inject('kafkaBrokers');
  let admin: TestAdmin;
  let s: Scenario;
  let r1: ReplicaProcess;
  let r2: ReplicaProcess;
  let produced = 0;

  beforeAll(async () => {
    await buildAppIfStale();
    admin = await new TestAdmin(brokers).connect();
    s = new Scenario(admin, PARTITIONS);
    await s.createTopic();
    [r1, r2] = await s.start('r1', 'r2');
    await s.splitWithin(60_000);
  });

  afterAll(async () => {
    await ReplicaProcess.killAll();
    await s?.dispose();
    await admin?.deleteTopics([`${s.topic}.control`]).catch(() => undefined);
    await admin?.disconnect();
  });

  const analytics = () => s.groupIds.analytics;
  const realtime = () => s.groupIds.realtime;

  async function produce(via: ReplicaProcess, perPartition: number) {
    const { status, body } = await via.post<{ total: number }>('/produce', {
      messagesPerPartition: perPartition,
    });
    expect(status).toBe(201);
    produced += body.total;
  }

  async function groupView(
    r: ReplicaProcess,
    name: 'analytics' | 'realtime',
  ): Promise<PausedGroupView> {
    const view = await r.consumers();
    return view.groups.find((g) => g.name === name) as PausedGroupView;
  }

  async function committed(groupId: string): Promise<Record<number, number>> {
    return admin.committedOffsets(groupId, s.topic);
  }

  /** The dashboard's first view (its event stream), as the page gets it. */
  async function dashboardView(r: ReplicaProcess): Promise<DashboardView> {
    const controller = new AbortController();
    const response = await fetch(`${r.url}/dashboard/events`, {
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    let text = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) throw new Error('the event stream ended');
        text += Buffer.from(value).toString('utf8');
        const line = text.split('\n').find((l) => l.startsWith('data:'));
        if (line && text.includes('\n\n')) {
          return JSON.parse(line.slice(5)) as DashboardView;
        }
      }
    } finally {
      controller.abort();
    }
  }

  /** kafka_consumergroup_lag_seconds of analytics, per partition, from these replicas. */
  async function analyticsLagSeconds(replicas: ReplicaProcess[]) {
    const seconds: Record<string, number> = {};
    for (const r of replicas) {
      const text = await (await fetch(`${r.url}/metrics`)).text();
      for (const m of parseMetrics(text)) {
        if (
          m.name === 'kafka_consumergroup_lag_seconds' &&
          m.labels.consumergroup === analytics()
        ) {
          seconds[m.labels.partition] = m.value;
        }
      }
    }
    return seconds;
  }

  async function analyticsLagOnMetrics(r: ReplicaProcess): Promise<number> {
    const text = await (await fetch(`${r.url}/metrics`)).text();
    return parseMetrics(text)
      .filter(
        (m) =>
          m.name === 'kafka_consumergroup_lag' &&
          m.labels.consumergroup === analytics(),
      )
      .reduce((sum, m) => sum + m.value, 0);
  }

  it('a paused group does not move on any replica, the other group does; a partition that moves stays paused; resume drains everything', async () => {
    s.printOnFailure();
    await produce(r1, 5);
    for (const group of [realtime(), analytics()]) {
      await waitFor(() => admin.caughtUp(group, s.topic), {
        what: `${group} caught up before the pause`,
        timeoutMs: 60_000,
      });
    }
    const baseline = await committed(analytics());
    const handledBefore = s
      .journals()
      .filter((e) => e.group === analytics()).length;

    const paused = await r1.post<PauseView>('/consumers/analytics/pause', {
      by: 'e2e',
    });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({
      groupId: analytics(),
      paused: true,
      all: { by: 'e2e', until: null },
    });
    // Every replica read the control record.
    for (const r of [r1, r2]) {
      await waitFor(
        async () => (await groupView(r, 'analytics')).pause.paused,
        {
          what: `${r.name} sees analytics paused`,
        },
      );
    }

    await produce(r1, 20);
    await waitFor(() => admin.caughtUp(realtime(), s.topic), {
      what: 'realtime caught up while analytics is paused',
      timeoutMs: 60_000,
    });
    expect(await committed(analytics())).toEqual(baseline);
    // Lag grows in /metrics; the lag status says PAUSED; readiness stays 200.
    const lag = await waitFor(
      async () => {
        const total =
          (await analyticsLagOnMetrics(r1)) + (await analyticsLagOnMetrics(r2));
        return total >= 20 * PARTITIONS ? total : 0;
      },
      { what: 'analytics lag in /metrics', timeoutMs: 30_000 },
    );
    console.log(
      `analytics lag in /metrics while paused: ${lag}; lag seconds by partition: ${JSON.stringify(await analyticsLagSeconds([r1, r2]))}`,
    );
    expect(
      await admin.topicConfig(`${s.topic}.control`, 'cleanup.policy'),
    ).toBe('compact');
    const page = await waitFor(
      async () => {
        const view = await dashboardView(r1);
        const band = view.groups.find((g) => g.name === 'analytics');
        return band?.partitions.every((p) => p.status === 'PAUSED')
          ? band
          : undefined;
      },
      { what: 'the dashboard shows analytics paused' },
    );
    expect(page.status).toBe('PAUSED');
    expect(page.partitions[0].paused?.by).toBe('e2e');
    const realtimeBand = (await dashboardView(r1)).groups.find(
      (g) => g.name === 'realtime',
    );
    expect(realtimeBand?.partitions.some((p) => p.paused)).toBe(false);
    for (const r of [r1, r2]) {
      const view = await groupView(r, 'analytics');
      expect(view.lag.partitions.every((p) => p.status === 'PAUSED')).toBe(
        true,
      );
      expect((await r.get('/health/ready')).status).toBe(200);
    }

    // SIGKILL r2: r1 takes its analytics partitions and keeps them paused.
    const before = await groupView(r2, 'analytics');
    expect(before.assignedPartitions.length).toBeGreaterThan(0);
    const timeout = await sessionTimeoutUnderTest(admin);
    const killedAt = Date.now();
    await s.stop(r2, 'SIGKILL');
    await waitFor(
      async () => {
        const view = await groupView(r1, 'analytics');
        return view.status === 'joined' &&
          view.assignedPartitions.length === PARTITIONS
          ? view
          : undefined;
      },
      {
        what: 'r1 owns every analytics partition',
        timeoutMs: timeout + TAKEOVER_MARGIN_MS + 30_000,
      },
    );
    console.log(
      `r1 owns analytics' partitions ${Date.now() - killedAt} ms after SIGKILL of r2`,
    );
    await waitFor(
      async () =>
        (await groupView(r1, 'realtime')).assignedPartitions.length ===
        PARTITIONS,
      { what: 'r1 owns every realtime partition', timeoutMs: 60_000 },
    );
    await produce(r1, 10);
    await waitFor(() => admin.caughtUp(realtime(), s.topic), {
      what: 'realtime caught up on the survivor',
      timeoutMs: 60_000,
    });
    const survivor = await groupView(r1, 'analytics');
    expect(survivor.pause).toMatchObject({ paused: true, all: { by: 'e2e' } });
    expect(survivor.lag.status).toBe('PAUSED');
    expect(await committed(analytics())).toEqual(baseline);
    // Not even handled without a commit: no record of a paused partition reached a handler.
    expect(s.journals().filter((e) => e.group === analytics())).toHaveLength(
      handledBefore,
    );
    const health = await r1.get<{
      details: Record<string, { pause?: PauseView }>;
    }>('/health');
    expect(health.status).toBe(200);
    expect(health.body.details.analytics?.pause?.paused).toBe(true);

    // A replica that starts while the group is paused takes partitions and holds them too.
    const r3 = await s.spawn('r3');
    await r3.ready();
    const r3View = await waitFor(
      async () => {
        const view = await groupView(r3, 'analytics');
        return view.status === 'joined' && view.assignedPartitions.length > 0
          ? view
          : undefined;
      },
      { what: 'r3 owns analytics partitions', timeoutMs: 60_000 },
    );
    expect(r3View.pause).toMatchObject({ paused: true, all: { by: 'e2e' } });
    await produce(r1, 5);
    await waitFor(() => admin.caughtUp(realtime(), s.topic), {
      what: 'realtime caught up with r3 in the group',
      timeoutMs: 60_000,
    });
    expect(await committed(analytics())).toEqual(baseline);
    expect(s.journals().filter((e) => e.group === analytics())).toHaveLength(
      handledBefore,
    );
    console.log(
      `r3 joined while paused and holds analytics partitions ${JSON.stringify(r3View.assignedPartitions)}`,
    );

    const resumed = await r1.post<PauseView>('/consumers/analytics/resume', {});
    expect(resumed.status).toBe(200);
    expect(resumed.body.paused).toBe(false);
    await waitFor(() => admin.caughtUp(analytics(), s.topic), {
      what: 'analytics drained after the resume',
      timeoutMs: 60_000,
    });
    const ids = await s.topicIds();
    expect(ids).toHaveLength(produced);
    const { missing, duplicated } = tally(s.journals(), analytics(), ids);
    console.log(
      `analytics: ${produced} produced, missing ${missing.length}, duplicated ${duplicated.length}`,
    );
    expect(missing).toEqual([]);
  });

  it('a pause with `until` in the near future ends by itself', async () => {
    s.printOnFailure();
    const baseline = await committed(analytics());
    const until = new Date(Date.now() + 6_000).toISOString();
    const paused = await r1.post<PauseView>('/consumers/analytics/pause', {
      until,
      by: 'e2e-until',
    });
    expect(paused.status).toBe(200);
    expect(paused.body.all?.until).toBe(until);
    await produce(r1, 5);
    await waitFor(() => admin.caughtUp(realtime(), s.topic), {
      what: 'realtime caught up',
      timeoutMs: 60_000,
    });
    // Still before `until` (the realtime drain is quick): analytics has not moved.
    if (Date.now() < Date.parse(until) - 1_000) {
      expect(await committed(analytics())).toEqual(baseline);
    }
    await waitFor(() => admin.caughtUp(analytics(), s.topic), {
      what: 'analytics drained once `until` passed',
      timeoutMs: 60_000,
    });
    const drainedAt = Date.now();
    expect(drainedAt).toBeGreaterThanOrEqual(Date.parse(until));
    console.log(
      `until: analytics drained ${drainedAt - Date.parse(until)} ms after until`,
    );
    expect((await groupView(r1, 'analytics')).pause.paused).toBe(false);
  });

  it('pausing a list of partitions pauses only those', async () => {
    s.printOnFailure();
    const baseline = await committed(analytics());
    const paused = await r1.post<PauseView>('/consumers/analytics/pause', {
      partitions: [1],
      by: 'e2e-partitions',
    });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({
      paused: true,
      all: null,
      partitions: [{ partition: 1, by: 'e2e-partitions', until: null }],
    });
    await produce(r1, 5);
    const ends = await admin.endOffsets(s.topic);
    await waitFor(
      async () => {
        const now = await committed(analytics());
        return [0, 2, 3].every((p) => now[p] === ends[p]);
      },
      { what: 'analytics partitions 0, 2, 3 caught up', timeoutMs: 60_000 },
    );
    expect((await committed(analytics()))[1]).toBe(baseline[1]);
    // Reported by the partition's owner (r1 or r3), once it has its figures.
    await waitFor(
      async () => {
        const views = await Promise.all(
          s.members.map((r) => groupView(r, 'analytics')),
        );
        return views
          .flatMap((v) => v.lag.partitions)
          .some((p) => p.partition === 1 && p.status === 'PAUSED');
      },
      { what: 'partition 1 reported PAUSED by its owner' },
    );
    const resumed = await r1.post<PauseView>('/consumers/analytics/resume', {
      partitions: [1],
    });
    expect(resumed.status).toBe(200);
    expect(resumed.body.paused).toBe(false);
    await waitFor(() => admin.caughtUp(analytics(), s.topic), {
      what: 'analytics partition 1 drained after its resume',
      timeoutMs: 60_000,
    });
  });

  it('bad input answers 4xx with a message that says what to fix, never 5xx', async () => {
    const cases: [string, unknown, number, RegExp][] = [
      ['/consumers/nope/pause', {}, 404, /known groups are .*analytics/],
      [
        '/consumers/analytics/pause',
        { partitions: [99] },
        400,
        /do not exist: the topic has 4 partitions/,
      ],
      [
        '/consumers/analytics/pause',
        { partitions: [-1] },
        400,
        /partitions must be 0 or more/,
      ],
      [
        '/consumers/analytics/pause',
        { partitions: 'x' },
        400,
        /partitions must be an array/,
      ],
      [
        '/consumers/analytics/pause',
        { partitions: [] },
        400,
        /at least one partition/,
      ],
      [
        '/consumers/analytics/pause',
        { until: 'tomorrow' },
        400,
        /until must be an ISO 8601 date-time/,
      ],
      [
        '/consumers/analytics/pause',
        { until: '2001-01-01T00:00:00Z' },
        400,
        /not in the future/,
      ],
      [
        '/consumers/analytics/pause',
        { until: 5 },
        400,
        /until must be an ISO 8601/,
      ],
      [
        '/consumers/analytics/pause',
        { by: 'x'.repeat(101) },
        400,
        /by must be at most 100/,
      ],
      ['/consumers/analytics/pause', { what: 1 }, 400, /should not exist/],
      ['/consumers/analytics/resume', { partitions: [4] }, 400, /do not exist/],
    ];
    for (const [path, body, status, message] of cases) {
      const answer = await r1.post<{ message: string | string[] }>(path, body);
      expect({ path, body, status: answer.status }).toEqual({
        path,
        body,
        status,
      });
      expect(String(answer.body.message)).toMatch(message);
    }
    expect((await groupView(r1, 'analytics')).pause.paused).toBe(false);
  });
});
