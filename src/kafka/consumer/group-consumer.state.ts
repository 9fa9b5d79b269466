import type { ConsumerEvents } from './consumer.events.js';
import type { ConsumedRecord } from '../client/group-consumer.port.js';
import type { GroupConsumerObserver } from './group-consumer.observer.js';
import { LagHistory } from './lag-status.js';
import { RecordTimes } from './record-times.js';

export type GroupConsumerStatus =
  'starting' | 'joined' | 'rebalancing' | 'stopped' | 'crashed';

/** Which client speaks for the group, and in which group protocol. */
export interface GroupEngine {
  client: string;
  groupProtocol: string;
}

export interface GroupConsumerSnapshot {
  name: string;
  groupId: string;
  topic: string;
  /** The client library (KAFKA_CLIENT). */
  client: string;
  /** classic or consumer (KIP-848) (KAFKA_GROUP_PROTOCOL). */
  groupProtocol: string;
  status: GroupConsumerStatus;
  memberId: string | null;
  /** Static membership: the member's stable id in the group; null for a dynamic member. */
  instanceId: string | null;
  generationId: number | null;
  isLeader: boolean;
  assignedPartitions: number[];
  processed: number;
  retried: number;
  deadLettered: number;
  commitFailures: number;
  /** Next offset to read per partition, as committed by this replica (offset+1). */
  lastCommitted: Record<string, string>;
  joinedAt: string | null;
  lastHeartbeatAt: string | null;
  draining: boolean;
  crash: {
    error: string;
    restart: boolean;
    transient: boolean;
    at: string;
  } | null;
  failure: { error: string; since: string } | null;
}

/** What this member knows of one partition it owns. */
export interface PartitionProgress {
  high?: string;
  committed?: string;
  history: LagHistory;
}

/** Records between a committed offset and an end offset (0 if none). */
function lagOf(high: string, committed: string): number {
  const lag = BigInt(high) - BigInt(committed);
  return lag > 0n ? Number(lag) : 0;
}

/**
 * What one group's consumer on this replica is doing, fed by the consumer's
 * own events (GROUP_JOIN, REBALANCING, HEARTBEAT, CRASH) and by the message
 * loop. /consumers and the health indicators read it; nothing polls Kafka.
 */
export class GroupConsumerState {
  status: GroupConsumerStatus = 'starting';
  memberId: string | null = null;
  generationId: number | null = null;
  isLeader = false;
  assignedPartitions: number[] = [];
  processed = 0;
  retried = 0;
  deadLettered = 0;
  commitFailures = 0;
  draining = false;
  joinedAt: Date | null = null;
  rebalancingSince: Date | null = null;
  lastHeartbeatAt: Date | null = null;
  /** `transient`: the client restarts it by itself, nobody has to act (a request timed out). */
  crash: {
    error: string;
    restart: boolean;
    transient: boolean;
    at: Date;
  } | null = null;
  /** A failure that is not a record's fault, until a record finishes again. */
  failure: { error: string; since: Date } | null = null;
  readonly lastCommitted = new Map<number, string>();
  /**
   * What this member knows of each partition it owns, for lag without asking
   * the broker: the high watermark of the last fetched batch, the group's
   * committed offset, and the window of its commits (the lag status).
   * Forgotten for partitions this member gives up.
   */
  readonly progress = new Map<number, PartitionProgress>();
  /** Timestamps of the records fetched: the age of the oldest unhandled one (lag in seconds). */
  readonly recordTimes = new RecordTimes();

  constructor(
    readonly name: string,
    readonly groupId: string,
    readonly topic: string,
    private readonly observer?: GroupConsumerObserver,
    readonly engine: GroupEngine = {
      client: 'kafkajs',
      groupProtocol: 'classic',
    },
    /** Static membership: the member's stable id in the group (null: dynamic). */
    readonly instanceId: string | null = null,
  ) {}

  /** The generation id comes with the next HEARTBEAT (GROUP_JOIN does not carry it). */
  joined(memberId: string, isLeader: boolean, partitions: number[]): void {
    this.status = 'joined';
    this.memberId = memberId;
    this.isLeader = isLeader;
    this.assignedPartitions = [...partitions].sort((a, b) => a - b);
    this.joinedAt = new Date();
    this.rebalancingSince = null;
    this.crash = null;
    this.retainProgress();
    for (const partition of this.assignedPartitions) this.progressOf(partition);
    this.observer?.rebalanced();
  }

  rebalancing(): void {
    if (this.status !== 'stopped' && this.status !== 'rebalancing') {
      this.status = 'rebalancing';
      this.rebalancingSince = new Date();
    }
  }

  crashed(error: string, restart: boolean, transient = false): void {
    this.status = 'crashed';
    this.assignedPartitions = [];
    this.crash = { error, restart, transient, at: new Date() };
    this.retainProgress();
  }

  stopped(): void {
    this.status = 'stopped';
    this.assignedPartitions = [];
    this.retainProgress();
  }

  failing(error: string): void {
    this.failure = { error, since: this.failure?.since ?? new Date() };
  }

  /** Counts what the group's consumer tells: records processed, retried, dead-lettered, and commits. */
  follow(events: ConsumerEvents): void {
    events
      .on('processed', (seconds) => this.recordProcessed(seconds))
      .on('deadLettered', (seconds) => this.recordDeadLettered(seconds))
      .on('retried', () => this.recordRetry())
      .on('committed', (offsets, seconds) => this.committed(offsets, seconds))
      .on('commitFailed', (_offsets, _error, seconds) =>
        this.commitFailed(seconds),
      );
  }

  recordProcessed(seconds: number): void {
    this.failure = null;
    this.processed++;
    this.observer?.handled('processed', seconds);
  }

  recordDeadLettered(seconds: number): void {
    this.deadLettered++;
    this.observer?.handled('dead-lettered', seconds);
  }

  recordRetry(): void {
    this.retried++;
    this.observer?.retried();
  }

  /** A batch was fetched for `partition`; `high` is the partition's end offset then. */
  fetched(
    partition: number,
    high: string,
    records: readonly ConsumedRecord[] = [],
  ): void {
    this.recordTimes.fetched(partition, records);
    if (this.assignedPartitions.includes(partition)) {
      const progress = this.progressOf(partition);
      progress.high = high;
      if (progress.committed !== undefined) {
        progress.history.sawLag(lagOf(high, progress.committed), Date.now());
      }
    }
  }

  /** One commit request succeeded for these partitions (offsets are the next to read). */
  committed(
    offsets: readonly { partition: number; offset: string }[],
    seconds: number,
  ): void {
    for (const { partition, offset } of offsets) {
      this.lastCommitted.set(partition, offset);
      if (this.assignedPartitions.includes(partition)) {
        const progress = this.progressOf(partition);
        progress.committed = offset;
        progress.history.commit(
          BigInt(offset),
          lagOf(progress.high ?? offset, offset),
          Date.now(),
        );
      }
    }
    this.observer?.committed(seconds);
  }

  commitFailed(seconds: number): void {
    this.commitFailures++;
    this.observer?.commitFailed(seconds);
  }

  private progressOf(partition: number): PartitionProgress {
    let entry = this.progress.get(partition);
    if (!entry) {
      entry = { history: new LagHistory(Date.now()) };
      this.progress.set(partition, entry);
    }
    return entry;
  }

  /** Another member may move a partition on while this one does not own it. */
  private retainProgress(): void {
    for (const partition of this.progress.keys()) {
      if (!this.assignedPartitions.includes(partition)) {
        this.progress.delete(partition);
      }
    }
    this.recordTimes.forgetBatches((partition) =>
      this.assignedPartitions.includes(partition),
    );
  }

  snapshot(): GroupConsumerSnapshot {
    return {
      name: this.name,
      groupId: this.groupId,
      topic: this.topic,
      client: this.engine.client,
      groupProtocol: this.engine.groupProtocol,
      status: this.status,
      memberId: this.memberId,
      instanceId: this.instanceId,
      generationId: this.generationId,
      isLeader: this.isLeader,
      assignedPartitions: [...this.assignedPartitions],
      processed: this.processed,
      retried: this.retried,
      deadLettered: this.deadLettered,
      commitFailures: this.commitFailures,
      lastCommitted: Object.fromEntries(
        [...this.lastCommitted.entries()]
          .sort(([a], [b]) => a - b)
          .map(([p, o]) => [String(p), o]),
      ),
      joinedAt: this.joinedAt?.toISOString() ?? null,
      lastHeartbeatAt: this.lastHeartbeatAt?.toISOString() ?? null,
      draining: this.draining,
      crash: this.crash && { ...this.crash, at: this.crash.at.toISOString() },
      failure: this.failure && {
        ...this.failure,
        since: this.failure.since.toISOString(),
      },
    };
  }
}
