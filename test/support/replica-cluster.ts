import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { onTestFailed, onTestFinished } from 'vitest';
import { deadLetterTopicName } from '../../src/kafka/kafka.constants.js';
import { type JournalEntry, ReplicaProcess } from './replica-process.js';
import { TestAdmin } from './test-admin.js';
import { uniqueName } from './unique.js';
import { groupProtocolUnderTest } from './engine.js';
import { waitFor } from './wait-for.js';

/**
 * The scale and failover scenario of test/scale-failover.e2e-spec.ts, issue 6 with real processes: `node dist/main.js` replicas (all roles; tests
 * produce through a replica that is never stopped), one real broker, and each
 * replica's CONSUMER_JOURNAL_FILE as the record of what every group handled.
 */
export const SESSION_TIMEOUT_MS = 6_000;

/**
 * The session timeout after which a SIGKILLed member's partitions move: the
 * service's CONSUMER_SESSION_TIMEOUT_MS in the classic protocol, the broker's
 * group.consumer.session.timeout.ms in KIP-848's (the broker owns it there).
 */
export async function sessionTimeoutUnderTest(
  admin: TestAdmin,
): Promise<number> {
  if (groupProtocolUnderTest() === 'classic') return SESSION_TIMEOUT_MS;
  return Number(await admin.brokerConfig('group.consumer.session.timeout.ms'));
}
// Broker expiry check + heartbeat (500 ms) + rejoin/sync on a busy 2-core machine.
export const TAKEOVER_MARGIN_MS = 4_000;
export const GROUPS = ['realtime', 'analytics'] as const;
export type GroupName = (typeof GROUPS)[number];

/** Partition → owner label, per group, once broker and replicas agree on a complete split. */
export type Split = Record<GroupName, Record<string, number[]>>;

export class Scenario {
  readonly topic = uniqueName('scale');
  readonly groupIds: Record<GroupName, string>;
  readonly dir = mkdtempSync(join(tmpdir(), 'scale-'));
  readonly replicas: ReplicaProcess[] = [];
  private readonly leaving = new Set<ReplicaProcess>();

  constructor(
    readonly admin: TestAdmin,
    readonly partitions: number,
    /** Settings every replica of this scenario gets on top of the defaults below. */
    private readonly env: Record<string, string> = {},
    /** Group ids chosen by the test (e.g. to share one coordinator); fresh ones by default. */
    groupIds?: Record<GroupName, string>,
  ) {
    this.groupIds = groupIds ?? {
      realtime: uniqueName('rt'),
      analytics: uniqueName('an'),
    };
  }

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

  /** `env`: this replica's own settings (e.g. its KAFKA_GROUP_INSTANCE_ID). */
  spawn(
    name: string,
    env: Record<string, string> = {},
  ): Promise<ReplicaProcess> {
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
        ...this.env,
        ...env,
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
        group.members.map((m) => [m.memberId, m.assignment[this.topic] ?? []]),
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
    (process.env.FAULT_LOGS ? onTestFinished : onTestFailed)(async () => {
      for (const r of this.replicas) {
        // What each group's member says of itself now, beside its log.
        const consumers = r.alive
          ? await r.get('/consumers').then(
              ({ body }) => JSON.stringify(body),
              (error: unknown) => String(error),
            )
          : 'exited';
        console.log(
          `----- ${r.name} (pid ${r.pid}) -----\n${r.logs()}\n/consumers: ${consumers}`,
        );
      }
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
export function steadyProduction(
  via: ReplicaProcess,
  messagesPerPartition = 4,
) {
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
      // Pacing the load generator (not waiting for a state): replicas keep up.
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
export function tally(
  entries: JournalEntry[],
  groupId: string,
  produced: string[],
) {
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

export function ownersTable(split: Split, replicas: ReplicaProcess[]): string {
  return replicas
    .filter((r) => split.realtime[r.name])
    .map((r) => {
      const [rt, an] = GROUPS.map((g) => JSON.stringify(split[g][r.name]));
      return `  ${r.name} pid ${r.pid} port ${r.port}: realtime ${rt}  analytics ${an}`;
    })
    .join('\n');
}
