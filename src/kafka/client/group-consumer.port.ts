/**
 * The group-consumer side of the Kafka client port: plain record types and
 * the few operations the service needs. The kafkajs adapter
 * (src/kafka/kafkajs/) implements it; a second client (for example one that
 * speaks the KIP-848 group protocol) would be one more adapter folder.
 */

/** Header values as a client hands them over (a header may repeat). */
export type RecordHeaderValue = Buffer | string | (Buffer | string)[];

/** One record as read from a partition, in plain values (its batch says which partition). */
export interface ConsumedRecord {
  /** int64 as a decimal string. */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, RecordHeaderValue | undefined>;
  /** ms since epoch, as a decimal string. */
  timestamp: string;
}

/** Records of one partition, in offset order, as one fetch returned them. */
export interface RecordBatch {
  topic: string;
  partition: number;
  /** The partition's end offset when the batch was fetched. */
  highWatermark: string;
  records: readonly ConsumedRecord[];
  /** False once the consumer stops or the partition is being taken away: stop between records. */
  isActive(): boolean;
  /** This record is done: the next fetch of the partition starts after it. */
  resolve(offset: string): void;
  /** Keeps the membership alive during long work (throttled by the client). */
  heartbeat(): Promise<void>;
}

/** What happens to the membership, as the client reports it. */
export interface GroupMembershipEvents {
  joined(memberId: string, isLeader: boolean, partitions: number[]): void;
  /**
   * A rebalance started: commit what was handled while the partitions are
   * still ours. Resolves once that commit is done (or failed); a client that
   * can hold the handover back waits for it.
   */
  rebalancing(): Promise<void>;
  heartbeat(generationId: number): void;
  /** The consumer stopped on an error; `willRestart`: the client restarts it by itself. */
  crashed(error: unknown, willRestart: boolean): void;
  /** A heartbeat or commit got no answer in time: the group coordinator may hang. */
  coordinatorSilent(request: string): void;
}

export interface GroupConsumerSettings {
  groupId: string;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  /**
   * Static membership (KIP-345, KIP-848): the member's stable id in the
   * group. Such a member leaves only for the session when it disconnects, so
   * its partitions wait for it instead of moving.
   */
  groupInstanceId?: string;
}

export interface GroupConsumerRun {
  topic: string;
  /** Where a partition the group never committed starts. */
  fromBeginning: boolean;
  /** Partitions whose batches are handled at the same time (order is kept inside each). */
  concurrency: number;
  eachBatch(batch: RecordBatch): Promise<void>;
}

/** One member of one consumer group. Offsets are committed only by `commit` (never automatically). */
export interface GroupConsumerPort {
  /** Connects, subscribes and starts fetching; resolves once running. */
  run(run: GroupConsumerRun, events: GroupMembershipEvents): Promise<void>;
  /**
   * Stops fetching the topic, or only `partitions` of it (records already
   * handed over still finish). Pausing partitions the member does not own
   * is allowed; a whole-topic resume may also resume paused partitions.
   */
  pause(topic: string, partitions?: readonly number[]): void;
  /**
   * Fetches the topic (or `partitions`) again after pause(). A resumed
   * partition is read on from its last handled record (or last commit).
   */
  resume(topic: string, partitions?: readonly number[]): void;
  /** Commits the next offset to read of each partition. */
  commit(
    topic: string,
    offsets: readonly { partition: number; offset: string }[],
  ): Promise<void>;
  /** Leaves the group; call after the last commit. */
  disconnect(): Promise<void>;
}

export type GroupConsumerFactory = (
  settings: GroupConsumerSettings,
) => GroupConsumerPort;
