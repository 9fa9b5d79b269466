import { inject } from 'vitest';
import {
  GROUPS,
  type GroupName,
  ownersTable,
  Scenario,
  sessionTimeoutUnderTest,
  steadyProduction,
  TAKEOVER_MARGIN_MS,
  tally,
} from './support/replica-cluster.js';
import { buildAppIfStale, ReplicaProcess } from './support/replica-process.js';
import { TestAdmin } from './support/test-admin.js';
import { waitFor } from './support/wait-for.js';

/**
 * Issue 6 with real processes: `node dist/main.js` replicas (all roles; tests
 * produce through a replica that is never stopped), one real broker, and each
 * replica's CONSUMER_JOURNAL_FILE as the record of what every group handled.
 */
describe('scale-out and failover with real replica processes', () => {
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

  describe('P=6: 2 replicas, scale out to 3, graceful scale-in to 2, under steady production', () => {
    let s: Scenario;
    let production: ReturnType<typeof steadyProduction> | undefined;
    beforeAll(async () => {
      s = new Scenario(admin, 6);
      await s.createTopic();
    });
    afterAll(async () => {
      await production?.stop().catch(() => undefined);
      await s.dispose();
    });

    it('R=2: per group each partition has exactly one owner, by the broker and by /consumers', async () => {
      s.printOnFailure();
      await s.start('r1', 'r2');
      const { split } = await s.splitWithin(30_000);
      console.log(`R=2 split:\n${ownersTable(split, s.replicas)}`);
      for (const name of GROUPS) {
        expect(Object.values(split[name]).flat().sort()).toEqual([
          0, 1, 2, 3, 4, 5,
        ]);
        expect(Object.keys(split[name])).toEqual(['r1', 'r2']);
      }
    });

    it('scale-out: a third replica joins and receives partitions (R=3 split)', async () => {
      s.printOnFailure();
      const [r1] = s.replicas;
      production = steadyProduction(r1);
      await waitFor(() => production!.records > 0, {
        what: 'production under way',
      });
      const spawnedAt = Date.now();
      const r3 = await s.spawn('r3');
      await waitFor(
        () => r3.get('/health/live').then((r) => r.status === 200),
        // Fine-grained: Nest listens just before the consumers start joining.
        { what: 'r3 HTTP up', intervalMs: 25 },
      );
      const httpAt = Date.now();
      const { split, ms } = await s.splitWithin(30_000, httpAt);
      console.log(
        `scale-out: r3 owns partitions ${ms} ms after its HTTP came up (${Date.now() - spawnedAt} ms after spawn)\n` +
          ownersTable(split, s.replicas),
      );
      await r3.ready();
      for (const name of GROUPS) {
        expect(split[name].r3.length).toBeGreaterThan(0);
        expect(Object.values(split[name]).flat().sort()).toEqual([
          0, 1, 2, 3, 4, 5,
        ]);
      }
    });

    it('graceful scale-in: SIGTERM hands partitions over; every id exactly once per group', async () => {
      s.printOnFailure();
      const r2 = s.replicas.find((r) => r.name === 'r2')!;
      const before = await r2.consumers();
      const producedBefore = production!.records;
      const sigtermAt = Date.now();
      const exited = s.stop(r2, 'SIGTERM');
      const { split, ms } = await s.splitWithin(20_000, sigtermAt);
      const exit = await exited;
      console.log(
        `graceful handover: survivors own all partitions ${ms} ms after SIGTERM; r2 exited after ${exit.elapsedMs} ms (${exit.signal ?? exit.code})\n` +
          ownersTable(split, s.members),
      );
      expect(exit.signal === 'SIGTERM' || exit.code === 0).toBe(true);
      for (const name of GROUPS) {
        const had = before.groups.find(
          (g) => g.name === name,
        )!.assignedPartitions;
        const survivorsNow = Object.values(split[name]).flat();
        expect(survivorsNow).toEqual(expect.arrayContaining(had));
      }
      await waitFor(() => production!.records > producedBefore, {
        what: 'production went on across the handover',
      });
      const { records, failures } = await production!.stop();
      expect(failures).toEqual([]);
      for (const name of GROUPS) {
        await waitFor(() => admin.caughtUp(s.groupIds[name], s.topic), {
          what: `${name} caught up`,
        });
        expect(await admin.committedOffsets(s.groupIds[name], s.topic)).toEqual(
          await admin.endOffsets(s.topic),
        );
      }
      const ids = await s.topicIds();
      expect(ids).toHaveLength(records);
      expect(new Set(ids).size).toBe(records);
      for (const name of GROUPS) {
        const { missing, duplicated, unknown } = tally(
          s.journals(),
          s.groupIds[name],
          ids,
        );
        console.log(
          `${name}: ${records} produced, missing ${missing.length}, duplicated ${duplicated.length}`,
        );
        expect({ missing, duplicated, unknown }).toEqual({
          missing: [],
          duplicated: [],
          unknown: [],
        });
      }
    });
  });

  it('crash: SIGKILL during production → survivors take over within the session timeout; at least once', async () => {
    const s = new Scenario(admin, 6);
    s.printOnFailure();
    await s.createTopic();
    let production: ReturnType<typeof steadyProduction> | undefined;
    try {
      const [r1, , r3] = await s.start('r1', 'r2', 'r3');
      const { split: before } = await s.splitWithin(30_000);
      production = steadyProduction(r1);
      await waitFor(() => r3.journal().length > 50, {
        what: 'r3 handling records',
      });
      const sessionMs = await sessionTimeoutUnderTest(admin);
      const killedAt = Date.now();
      await s.stop(r3, 'SIGKILL');
      const { split, ms } = await s.splitWithin(
        sessionMs + TAKEOVER_MARGIN_MS + 10_000,
        killedAt,
      );
      console.log(
        `crash takeover: survivors own all partitions ${ms} ms after SIGKILL (session timeout ${sessionMs} ms)\n${ownersTable(split, s.members)}`,
      );
      expect(ms).toBeLessThanOrEqual(sessionMs + TAKEOVER_MARGIN_MS);
      const { records, failures } = await production.stop();
      expect(failures).toEqual([]);
      for (const name of GROUPS) {
        await waitFor(() => admin.caughtUp(s.groupIds[name], s.topic), {
          what: `${name} caught up`,
        });
      }
      const ids = await s.topicIds();
      expect(ids).toHaveLength(records);
      for (const name of GROUPS) {
        const entries = s
          .journals()
          .filter((e) => e.group === s.groupIds[name]);
        const { missing, duplicated, unknown } = tally(
          entries,
          s.groupIds[name],
          ids,
        );
        console.log(
          `${name}: ${records} produced, missing ${missing.length}, duplicates ${duplicated.length}`,
        );
        expect({ missing, unknown }).toEqual({ missing: [], unknown: [] });
        // Journal before commit, commits coalesced: a crash redelivers only the dead
        // replica's uncommitted window, i.e. on each partition a tail of what it handled.
        const dup = new Set(duplicated);
        const handledByDead = new Map<number, string[]>();
        for (const e of entries.filter((x) => x.pid === r3.pid)) {
          handledByDead.set(e.partition, [
            ...(handledByDead.get(e.partition) ?? []),
            e.id,
          ]);
        }
        const deadIds = new Set([...handledByDead.values()].flat());
        expect(duplicated.filter((id) => !deadIds.has(id))).toEqual([]);
        for (const [partition, handled] of handledByDead) {
          const first = handled.findIndex((id) => dup.has(id));
          const tail = first < 0 ? [] : handled.slice(first);
          expect({
            partition,
            tailAllDuplicated: tail.every((id) => dup.has(id)),
          }).toEqual({
            partition,
            tailAllDuplicated: true,
          });
          expect(before[name].r3).toContain(partition);
        }
      }
    } finally {
      await production?.stop().catch(() => undefined);
      await s.dispose();
    }
  });

  it('more replicas than partitions (P=2, R=3): the extra replica is ready and idle, and takes over when another dies', async () => {
    const s = new Scenario(admin, 2);
    s.printOnFailure();
    await s.createTopic();
    try {
      await s.start('r1', 'r2', 'r3');
      const { split } = await s.splitWithin(30_000);
      console.log(`P=2, R=3 split:\n${ownersTable(split, s.replicas)}`);
      const idle = {} as Record<GroupName, string>;
      for (const name of GROUPS) {
        const idleOnes = Object.entries(split[name]).filter(
          ([, ps]) => ps.length === 0,
        );
        expect(idleOnes).toHaveLength(1);
        idle[name] = idleOnes[0][0];
      }
      for (const r of s.replicas) {
        expect((await r.get('/health/ready')).status).toBe(200);
      }
      // A replica that owns a partition in both groups: killing it needs both idle ones.
      const victim = s.replicas.find(
        (r) => !Object.values(idle).includes(r.name),
      )!;
      const sessionMs = await sessionTimeoutUnderTest(admin);
      const killedAt = Date.now();
      await s.stop(victim, 'SIGKILL');
      const { split: after, ms } = await s.splitWithin(
        sessionMs + TAKEOVER_MARGIN_MS + 10_000,
        killedAt,
      );
      console.log(
        `idle takeover: ${ms} ms after SIGKILL of ${victim.name}\n${ownersTable(after, s.members)}`,
      );
      for (const name of GROUPS) {
        expect(after[name][idle[name]].length).toBeGreaterThan(0);
      }
      const [producer] = s.members;
      expect(
        (await producer.post('/produce', { messagesPerPartition: 3 })).status,
      ).toBe(201);
      for (const name of GROUPS) {
        const takeover = s.replicas.find((r) => r.name === idle[name])!;
        await waitFor(
          () => takeover.journal().some((e) => e.group === s.groupIds[name]),
          {
            what: `${takeover.name} handling ${name} records`,
          },
        );
      }
    } finally {
      await s.dispose();
    }
  });
});
