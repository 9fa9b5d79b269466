import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { AssignerProtocol } from 'kafkajs';
import { inject, onTestFailed } from 'vitest';
import { deadLetterTopicName } from '../src/kafka/kafka.constants.js';
import {
  buildAppIfStale,
  type JournalEntry,
  ReplicaProcess,
} from './support/replica-process.js';
import { TestAdmin } from './support/test-admin.js';
import { uniqueName } from './support/unique.js';
import { waitFor } from './support/wait-for.js';

/**
 * Issue 6 with real processes: `node dist/main.js` replicas (all roles; tests
 * produce through a replica that is never stopped), one real broker, and each
 * replica's CONSUMER_JOURNAL_FILE as the record of what every group handled.
 */
const SESSION_TIMEOUT_MS = 6_000;
// Broker expiry check + heartbeat (500 ms) + rejoin/sync on a busy 2-core machine.
const TAKEOVER_MARGIN_MS = 4_000;
const GROUPS = ['realtime', 'analytics'] as const;
type GroupName = (typeof GROUPS)[number];

/** Partition → owner label, per group, once broker and replicas agree on a complete split. */
type Split = Record<GroupName, Record<string, number[]>>;

class Scenario {
  readonly topic = uniqueName('scale');
  readonly groupIds: Record<GroupName, string> = {
    realtime: uniqueName('rt'),
    analytics: uniqueName('an'),
  };
  readonly dir = mkdtempSync(join(tmpdir(), 'scale-'));
  readonly replicas: ReplicaProcess[] = [];
  private readonly leaving = new Set<ReplicaProcess>();

  constructor(
    readonly admin: TestAdmin,
    readonly partitions: number,
  ) {}

  /** The replicas expected in the groups: running and not being stopped. */
  get members(): ReplicaProcess[] {
    return this.replicas.filter((r) => r.alive && !this.leaving.has(r));
  }

  /** Stops a replica; from this call on it no longer counts as a member of the split. */
  stop(replica: ReplicaProcess, signal: 'SIGTERM' | 'SIGKILL') {
    this.leaving.add(replica);
    return replica.stop(signal);
  }

  async createTopic(): Promise<void> {
    await this.admin.createTopic(this.topic, this.partitions);
  }

  spawn(name: string): Promise<ReplicaProcess> {
    const spawned = ReplicaProcess.spawn({
      name,
      dir: this.dir,
      env: {
        KAFKA_BROKERS: this.admin.brokers.join(','),
        KAFKA_TOPIC: this.topic,
        KAFKA_TOPIC_PARTITIONS: String(this.partitions),
        REALTIME_GROUP_ID: this.groupIds.realtime,
        ANALYTICS_GROUP_ID: this.groupIds.analytics,
        APP_ROLES: 'producer,realtime,analytics',
        CONSUMER_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
        CONSUMER_HEARTBEAT_INTERVAL_MS: '500',
        SHUTDOWN_TIMEOUT_MS: '10000',
      },
    });
    return spawned.then((replica) => (this.replicas.push(replica), replica));
  }

  async start(...names: string[]): Promise<ReplicaProcess[]> {
    const started = await Promise.all(names.map((name) => this.spawn(name)));
    await Promise.all(started.map((r) => r.ready()));
    return started;
  }

  /**
   * Resolves when, for both groups, the broker's group is Stable, its members are
   * exactly the live replicas' members with the same partitions each, every replica
   * says 'joined', and the partitions are split with one owner each. Throws otherwise.
   */
  async completeSplit(): Promise<Split> {
    const views = await Promise.all(
      this.members.map(async (r) => ({ r, view: await r.consumers() })),
    );
    const split = {} as Split;
    for (const name of GROUPS) {
      const group = await this.admin.describeGroup(this.groupIds[name]);
      if (group?.state !== 'Stable')
        throw new Error(`${name}: broker says ${group?.state}`);
      const onBroker = new Map(
        group.members.map((m) => {
          const decoded = AssignerProtocol.MemberAssignment.decode(
            m.memberAssignment,
          );
          return [
            m.memberId,
            [...(decoded?.assignment[this.topic] ?? [])].sort((a, b) => a - b),
          ];
        }),
      );
      split[name] = {};
      for (const { r, view } of views) {
        const g = view.groups.find((x) => x.name === name);
        if (g?.status !== 'joined' || !g.memberId)
          throw new Error(`${name}@${r.name}: ${g?.status}`);
        const brokerSide = onBroker.get(g.memberId);
        if (
          JSON.stringify(brokerSide) !== JSON.stringify(g.assignedPartitions)
        ) {
          throw new Error(
            `${name}@${r.name}: replica says ${JSON.stringify(g.assignedPartitions)}, broker ${JSON.stringify(brokerSide)}`,
          );
        }
        split[name][r.name] = g.assignedPartitions;
      }
      if (onBroker.size !== views.length)
        throw new Error(`${name}: ${onBroker.size} members on the broker`);
      const owned = Object.values(split[name]).flat();
      if (
        owned.length !== this.partitions ||
        new Set(owned).size !== this.partitions
      ) {
        throw new Error(
          `${name}: partitions not split one owner each: ${JSON.stringify(split[name])}`,
        );
      }
    }
    return split;
  }

  /** Waits for a complete split; returns it and how long it took from `since`. */
  async splitWithin(
    timeoutMs: number,
    since = Date.now(),
  ): Promise<{ split: Split; ms: number }> {
    const split = await waitFor(() => this.completeSplit(), {
      timeoutMs,
      intervalMs: 100,
      what: 'a complete split',
    });
    return { split, ms: Date.now() - since };
  }

  /** Every record id in the topic, read back with a throwaway consumer group. */
  async topicIds(): Promise<string[]> {
    const ends = await this.admin.endOffsets(this.topic);
    const total = Object.values(ends).reduce((a, b) => a + b, 0);
    const ids: string[] = [];
    const consumer = this.admin.kafka.consumer({
      groupId: uniqueName('readback'),
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        ids.push(
          (JSON.parse(message.value?.toString() ?? '{}') as { id: string }).id,
        );
      },
    });
    try {
      await waitFor(() => ids.length >= total, {
        what: `all ${total} records read back`,
      });
    } finally {
      await consumer.disconnect();
    }
    return ids;
  }

  journals(): JournalEntry[] {
    return this.replicas.flatMap((r) => r.journal());
  }

  printOnFailure(): void {
    onTestFailed(() => {
      for (const r of this.replicas)
        console.log(`----- ${r.name} (pid ${r.pid}) -----\n${r.logs()}`);
    });
  }

  async dispose(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.stop('SIGKILL')));
    const dlqs = Object.values(this.groupIds).map((g) =>
      deadLetterTopicName(this.topic, g),
    );
    await this.admin.deleteTopics([this.topic, ...dlqs]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** POST /produce in a bounded loop until stopped (paced, so the replicas keep up). */
function steadyProduction(via: ReplicaProcess, messagesPerPartition = 4) {
  let stopping = false;
  let records = 0;
  const failures: string[] = [];
  const loop = (async () => {
    for (let i = 0; i < 1_000 && !stopping; i++) {
      const { status, body } = await via.post<{ total: number }>('/produce', {
        messagesPerPartition,
      });
      if (status === 201) records += body.total;
      else failures.push(`${status} ${JSON.stringify(body)}`);
      await delay(50);
    }
  })();
  return {
    get records() {
      return records;
    },
    async stop() {
      stopping = true;
      await loop;
      return { records, failures };
    },
  };
}

/** How often each produced id appears in one group's journals. */
function tally(entries: JournalEntry[], groupId: string, produced: string[]) {
  const counts = new Map<string, number>(produced.map((id) => [id, 0]));
  const unknown: string[] = [];
  for (const e of entries.filter((x) => x.group === groupId)) {
    const n = counts.get(e.id);
    if (n === undefined) unknown.push(e.id);
    else counts.set(e.id, n + 1);
  }
  const missing = [...counts].filter(([, n]) => n === 0).map(([id]) => id);
  const duplicated = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  return { missing, duplicated, unknown };
}

function ownersTable(split: Split, replicas: ReplicaProcess[]): string {
  return replicas
    .filter((r) => split.realtime[r.name])
    .map((r) => {
      const [rt, an] = GROUPS.map((g) => JSON.stringify(split[g][r.name]));
      return `  ${r.name} pid ${r.pid} port ${r.port}: realtime ${rt}  analytics ${an}`;
    })
    .join('\n');
}

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
      const killedAt = Date.now();
      await s.stop(r3, 'SIGKILL');
      const { split, ms } = await s.splitWithin(
        SESSION_TIMEOUT_MS + TAKEOVER_MARGIN_MS + 10_000,
        killedAt,
      );
      console.log(
        `crash takeover: survivors own all partitions ${ms} ms after SIGKILL\n${ownersTable(split, s.members)}`,
      );
      expect(ms).toBeLessThanOrEqual(SESSION_TIMEOUT_MS + TAKEOVER_MARGIN_MS);
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
        // Journal before commit, one commit per record: at most the one record in flight
        // per partition the dead replica owned, and it is that replica's last on the partition.
        expect(duplicated.length).toBeLessThanOrEqual(before[name].r3.length);
        const lastOfDead = new Map<number, string>();
        for (const e of entries.filter((x) => x.pid === r3.pid))
          lastOfDead.set(e.partition, e.id);
        expect([...lastOfDead.values()]).toEqual(
          expect.arrayContaining(duplicated),
        );
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
      const killedAt = Date.now();
      await s.stop(victim, 'SIGKILL');
      const { split: after, ms } = await s.splitWithin(
        SESSION_TIMEOUT_MS + TAKEOVER_MARGIN_MS + 10_000,
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
