import { inject } from 'vitest';
import { engineEnv, groupProtocolUnderTest } from './support/engine.js';
import {
  GROUPS,
  type GroupName,
  Scenario,
  sessionTimeoutUnderTest,
  steadyProduction,
  TAKEOVER_MARGIN_MS,
  tally,
} from './support/replica-cluster.js';
import { buildAppIfStale, ReplicaProcess } from './support/replica-process.js';
import { TestAdmin } from './support/test-admin.js';
import { waitFor } from './support/wait-for.js';

/** Partition → the instance id owning it, as the broker says (ConsumerGroupDescribe). */
type Owners = Record<number, string | null>;

/**
 * Static membership (KAFKA_GROUP_INSTANCE_ID) with real replica processes on
 * the real broker: a restarted static member gets its own partitions back and
 * none moves; a second live replica with the same id is refused. Only the
 * platformatic engine has static membership (kafkajs refuses the setting),
 * and these read instance ids and member epochs from KIP-848's
 * ConsumerGroupDescribe (in the classic protocol a newcomer with a held id
 * fences the holder instead of being refused: see docs/configuration.md).
 */
describe.skipIf(
  engineEnv().KAFKA_CLIENT !== 'platformatic' ||
    groupProtocolUnderTest() !== 'consumer',
)('static membership with real replica processes', () => {
  const brokers = inject('kafkaBrokers');
  let admin: TestAdmin;

  beforeAll(async () => {
    await buildAppIfStale();
    admin = await new TestAdmin(brokers).connect();
  });

  afterAll(async () => {
    await ReplicaProcess.killAll();
    await admin?.disconnect();
  });

  let current: Scenario | undefined;
  afterEach(async () => {
    await current?.dispose();
    current = undefined;
  });

  /** A fresh topic and groups for one test, disposed after it. */
  async function scenario(): Promise<Scenario> {
    current = new Scenario(admin, 6);
    current.printOnFailure();
    await current.createTopic();
    return current;
  }

  /** Each partition's owner by instance id, when every partition has exactly one. */
  async function owners(s: Scenario, name: GroupName): Promise<Owners> {
    const group = await admin.describeGroup(s.groupIds[name]);
    const found: Owners = {};
    for (const member of group.members) {
      for (const partition of member.assignment[s.topic] ?? []) {
        if (partition in found) {
          throw new Error(`${name}: partition ${partition} owned twice`);
        }
        found[partition] = member.instanceId ?? null;
      }
    }
    if (Object.keys(found).length !== s.partitions) {
      throw new Error(`${name}: not every partition owned yet`);
    }
    return found;
  }

  async function allOwners(s: Scenario) {
    const [realtime, analytics] = await Promise.all(
      GROUPS.map((name) => owners(s, name)),
    );
    return { realtime, analytics };
  }

  /** Waits until both groups are Stable with the given static members, all of them joined. */
  async function settled(s: Scenario, ids: string[]) {
    return waitFor(
      async () => {
        for (const name of GROUPS) {
          const group = await admin.describeGroup(s.groupIds[name]);
          const live = group.members
            .filter((m) => (m.memberEpoch ?? 0) > 0)
            .map((m) => m.instanceId)
            .sort();
          if (group.state !== 'Stable') {
            throw new Error(`${name}: ${group.state}`);
          }
          if (
            JSON.stringify(live) !==
            JSON.stringify(ids.map((id) => `${id}-${name}`).sort())
          ) {
            throw new Error(`${name}: live members ${live.join(',')}`);
          }
        }
        return allOwners(s);
      },
      {
        timeoutMs: 30_000,
        intervalMs: 100,
        what: `members ${ids.join(',')} joined`,
      },
    );
  }

  it('rolling restart of 3 static members under steady production: no partition moves, every record once per group', async () => {
    const s = await scenario();
    let production: ReturnType<typeof steadyProduction> | undefined;
    let watching = true;
    let watcher: Promise<void> | undefined;
    try {
      // Production goes through a replica that is never restarted and consumes nothing.
      const producer = await s.spawn('producer', { APP_ROLES: 'producer' });
      const ids = ['r1', 'r2', 'r3'];
      const first = await Promise.all(
        ids.map((id) => s.spawn(id, { KAFKA_GROUP_INSTANCE_ID: id })),
      );
      await Promise.all([producer, ...first].map((r) => r.ready()));
      const before = await settled(s, ids);
      console.log(`owners before: ${JSON.stringify(before)}`);
      for (const name of GROUPS) {
        expect(new Set(Object.values(before[name]))).toEqual(
          new Set(ids.map((id) => `${id}-${name}`)),
        );
      }
      production = steadyProduction(producer);
      await waitFor(() => production!.records > 0, {
        what: 'production under way',
      });

      // Broker truth, read all along: every owner any partition had.
      const seen = { realtime: new Map(), analytics: new Map() } as Record<
        GroupName,
        Map<number, Set<string | null>>
      >;
      let reads = 0;
      watcher = (async () => {
        while (watching) {
          for (const name of GROUPS) {
            const group = await admin.describeGroup(s.groupIds[name]);
            for (const member of group.members) {
              for (const p of member.assignment[s.topic] ?? []) {
                const owners = seen[name].get(p) ?? new Set();
                owners.add(member.instanceId ?? null);
                seen[name].set(p, owners);
              }
            }
          }
          reads++;
        }
      })();

      for (const [i, id] of ids.entries()) {
        const old = first[i];
        const sigtermAt = Date.now();
        const exit = await s.stop(old, 'SIGTERM');
        expect(exit.signal === 'SIGTERM' || exit.code === 0).toBe(true);
        // Away for the session: the broker keeps its partitions, epoch -2.
        for (const name of GROUPS) {
          const group = await admin.describeGroup(s.groupIds[name]);
          const away = group.members.find(
            (m) => m.instanceId === `${id}-${name}`,
          );
          console.log(
            `${id} exited ${exit.elapsedMs} ms after SIGTERM; ${name}: epoch ${away?.memberEpoch}, partitions ${JSON.stringify(away?.assignment[s.topic])}`,
          );
          expect(away?.memberEpoch).toBe(-2);
          expect(away?.assignment[s.topic]).toEqual(
            Object.entries(before[name])
              .filter(([, owner]) => owner === `${id}-${name}`)
              .map(([p]) => Number(p)),
          );
        }
        const next = await s.spawn(`${id}b`, { KAFKA_GROUP_INSTANCE_ID: id });
        await next.ready();
        const now = await settled(s, ids);
        console.log(
          `${id} back as ${id}b ${Date.now() - sigtermAt} ms after SIGTERM`,
        );
        expect(now).toEqual(before);
        const view = await next.consumers();
        for (const name of GROUPS) {
          const g = view.groups.find((x) => x.name === name)!;
          expect(g.instanceId).toBe(`${id}-${name}`);
        }
      }
      watching = false;
      await watcher;

      const moved = GROUPS.flatMap((name) =>
        [...seen[name]]
          .filter(([, owners]) => owners.size > 1)
          .map(([p, owners]) => `${name}[${p}]: ${[...owners].join(' → ')}`),
      );
      console.log(
        `rolling restart: ${reads} broker reads, partitions moved: ${moved.length}`,
      );
      expect(moved).toEqual([]);

      const { records, failures } = await production.stop();
      expect(failures).toEqual([]);
      for (const name of GROUPS) {
        await waitFor(() => admin.caughtUp(s.groupIds[name], s.topic), {
          what: `${name} caught up`,
        });
      }
      const produced = await s.topicIds();
      expect(produced).toHaveLength(records);
      for (const name of GROUPS) {
        const result = tally(s.journals(), s.groupIds[name], produced);
        console.log(
          `${name}: ${records} produced, missing ${result.missing.length}, duplicated ${result.duplicated.length}`,
        );
        expect(result).toEqual({ missing: [], duplicated: [], unknown: [] });
      }
    } finally {
      watching = false;
      await watcher?.catch(() => undefined);
      await production?.stop().catch(() => undefined);
    }
  });

  it('a static member that does not come back keeps its partitions until the session timeout, then they move', async () => {
    const s = await scenario();
    const [a] = await Promise.all(
      ['a', 'b'].map((id) => s.spawn(id, { KAFKA_GROUP_INSTANCE_ID: id })),
    );
    await Promise.all(s.replicas.map((r) => r.ready()));
    const before = await settled(s, ['a', 'b']);
    const sessionMs = await sessionTimeoutUnderTest(admin);
    const heartbeatMs = Number(
      await admin.brokerConfig('group.consumer.heartbeat.interval.ms'),
    );
    const sigtermAt = Date.now();
    await s.stop(a, 'SIGTERM');
    // Broker truth until a's realtime partitions belong to b: who owns them, a's epoch.
    const kept: string[] = [];
    const movedMs = await waitFor(
      async () => {
        const group = await admin.describeGroup(s.groupIds.realtime);
        const away = group.members.find((m) => m.instanceId === 'a-realtime');
        if (away) {
          kept.push(
            `${away.memberEpoch}:${JSON.stringify(away.assignment[s.topic])}`,
          );
          return false;
        }
        const now = await owners(s, 'realtime');
        return Object.values(now).every((o) => o === 'b-realtime')
          ? Date.now() - sigtermAt
          : false;
      },
      {
        timeoutMs: sessionMs + TAKEOVER_MARGIN_MS + 10_000,
        intervalMs: 100,
        what: "a's partitions moved to b",
      },
    );
    const had = Object.entries(before.realtime)
      .filter(([, o]) => o === 'a-realtime')
      .map(([p]) => Number(p));
    console.log(
      `a away: ${kept.length} reads saw it kept (${[...new Set(kept)].join(', ')}); moved ${movedMs} ms after SIGTERM (session ${sessionMs} ms, heartbeat ${heartbeatMs} ms)`,
    );
    expect(new Set(kept)).toEqual(new Set([`-2:${JSON.stringify(had)}`]));
    expect(movedMs).toBeGreaterThanOrEqual(sessionMs - heartbeatMs);
    expect(movedMs).toBeLessThanOrEqual(sessionMs + TAKEOVER_MARGIN_MS);
  });

  it('a second live replica with an instance id in use is refused in one line and not ready; the first keeps its partitions', async () => {
    const s = await scenario();
    const holder = await s.spawn('holder', {
      KAFKA_GROUP_INSTANCE_ID: 'web-0',
    });
    await holder.ready();
    const before = await settled(s, ['web-0']);
    const holderView = await holder.consumers();

    const second = await s.spawn('second', {
      KAFKA_GROUP_INSTANCE_ID: 'web-0',
    });
    const refusal =
      /group instance id web-0-(realtime|analytics)(-redrive)? is held by another live member of group \S+: give each replica its own KAFKA_GROUP_INSTANCE_ID/;
    await waitFor(() => refusal.test(second.logs()), {
      timeoutMs: 30_000,
      what: 'the refusal logged',
    });
    const ready = await waitFor(
      async () => {
        const r = await second.get<unknown>('/health/ready');
        if (r.status !== 503 || !refusal.test(JSON.stringify(r.body))) {
          throw new Error(`readiness ${r.status} ${JSON.stringify(r.body)}`);
        }
        return r;
      },
      { timeoutMs: 30_000, what: 'readiness 503 naming the refusal' },
    );
    expect(ready.status).toBe(503);
    const lines = second
      .logs()
      .split('\n')
      .filter((line) => refusal.test(line));
    console.log(`refused replica logged:\n${lines.join('\n')}`);
    // One line per group and attempt: no crash warnings besides.
    const warnings = second
      .logs()
      .split('\n')
      .filter((line) => /\b(ERROR|WARN) \[GroupConsumer/.test(line));
    expect(warnings.filter((line) => !refusal.test(line))).toEqual([]);
    expect(lines.length).toBeGreaterThanOrEqual(2);

    // Broker truth: the holder (same member ids) still owns every partition.
    const after = await allOwners(s);
    expect(after).toEqual(before);
    for (const name of GROUPS) {
      const group = await admin.describeGroup(s.groupIds[name]);
      expect(group.members.map((m) => m.memberId)).toEqual([
        holderView.groups.find((g) => g.name === name)!.memberId,
      ]);
    }
    expect(second.alive).toBe(true);
  });
});
