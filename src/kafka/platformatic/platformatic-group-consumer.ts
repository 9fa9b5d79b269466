import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  Consumer,
  type ConsumerOptions,
  kMetadata,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka';
import type { GroupProtocol } from '../../config/configuration.js';
import type {
  GroupConsumerPort,
  GroupConsumerRun,
  GroupConsumerSettings,
  GroupMembershipEvents,
} from '../client/group-consumer.port.js';
import {
  brokerErrorTypes,
  ConfigurationMismatchError,
  isTimeout,
  kafkaErrorCause,
} from '../kafka.errors.js';
import { PartitionPauses } from './partition-pauses.js';
import { PartitionQueues } from './partition-queues.js';
import { PlatformaticRecord } from './platformatic-record.js';
import {
  leaveForTheSessionOnClose,
  stopWhenFenced,
} from './static-membership.js';

type Record = Message<Buffer, Buffer, Buffer, Buffer>;

/** The library's tracing channel of fetches: its asyncStart carries each response. */
const FETCHES = 'tracing:plt:kafka:consumer:fetches:asyncStart';

/** Longest a KIP-848 revocation waits for the batches out and their commit. */
const REVOCATION_WAIT_MS = 10_000;

/** Records fetched but not yet handed over above which fetching waits. */
const MAX_BUFFERED_RECORDS = 4_000;

/**
 * The group consumer port on @platformatic/kafka. The library hands records
 * one by one through a stream; this adapter gathers each partition's records
 * into batches (PartitionQueues), runs at most `concurrency` partitions at
 * once, keeps order inside each, and pauses the stream while too much is
 * buffered. Commits are only the caller's (autocommit off). Speaks both group
 * protocols: `consumer` (KIP-848: the broker assigns, incrementally) and
 * `classic` (JoinGroup/SyncGroup).
 */
export class PlatformaticGroupConsumer implements GroupConsumerPort {
  private consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;
  private readonly create: () => Consumer<Buffer, Buffer, Buffer, Buffer>;
  private running: GroupConsumerRun | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private restarts = 0;
  private closed = false;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  private queues: PartitionQueues<PlatformaticRecord> | undefined;
  private topic = '';
  private events: GroupMembershipEvents | undefined;
  private readonly highWatermarks = new Map<number, bigint>();
  private readonly leaderEpochs = new Map<number, number>();
  /** Per partition kept since it was assigned: the offset after the last record handed over. */
  private readonly nextOffsets = new Map<number, bigint>();
  private assigned = new Set<number>();
  /** Bumped each time a partition leaves this member: batches fetched before are stale. */
  private readonly tenure = new Map<number, number>();
  private paused = false;
  /** Partitions paused by the caller (the library pauses only whole streams). */
  private readonly pauses = new PartitionPauses({
    drop: (partition) => this.queues?.drop(partition),
    startOffset: (partition) => this.startOffset(partition),
    owns: (partition) => this.assigned.has(partition) && !this.stopped,
    seek: (partition, offset) => this.seek(partition, offset),
  });
  /** KIP-848: a revocation the library is about to acknowledge (holdRevocations). */
  private revoking = false;
  private revocationHold = false;
  private backpressured = false;
  private stopped = false;
  private readonly onFetch = (message: unknown) => this.fetched(message);
  /** A static member (groupInstanceId) leaves for the session only. */
  private readonly isStatic: boolean;

  constructor(
    options: Omit<
      ConsumerOptions<Buffer, Buffer, Buffer, Buffer>,
      'groupId' | 'groupProtocol'
    >,
    settings: GroupConsumerSettings,
    readonly protocol: GroupProtocol,
    /** The bootstrap list at each (re)start (BrokerRanking: not a broker that hung lately). */
    bootstrapBrokers?: () => string[],
  ) {
    const group =
      protocol === 'consumer'
        ? // Session and heartbeat are the broker's (group.consumer.*) in KIP-848.
          { groupProtocol: 'consumer' as const }
        : {
            groupProtocol: 'classic' as const,
            sessionTimeout: settings.sessionTimeoutMs,
            heartbeatInterval: settings.heartbeatIntervalMs,
            rebalanceTimeout: settings.rebalanceTimeoutMs,
          };
    this.create = () =>
      new Consumer({
        ...options,
        ...(bootstrapBrokers ? { bootstrapBrokers: bootstrapBrokers() } : {}),
        ...group,
        groupId: settings.groupId,
        ...(settings.groupInstanceId
          ? { groupInstanceId: settings.groupInstanceId }
          : {}),
        autocommit: false,
      });
    this.isStatic = settings.groupInstanceId !== undefined;
    this.consumer = this.create();
  }

  async run(run: GroupConsumerRun, events: GroupMembershipEvents) {
    this.topic = run.topic;
    this.events = events;
    this.running = run;
    subscribe(FETCHES, this.onFetch);
    try {
      await this.start(run, events);
    } catch (error) {
      // Like kafkajs, whose join follows run(): a group this member may not
      // read is a crash the caller retries (readiness names the grant), not
      // a failed boot. Anything else fails the start as before.
      if (
        this.protocol === 'consumer' &&
        brokerErrorTypes(error).includes('UNSUPPORTED_VERSION')
      ) {
        throw new ConfigurationMismatchError(
          `the broker refused KIP-848's consumer group protocol (it needs Kafka 4.0+ with group.coordinator.rebalance.protocols including consumer): set KAFKA_GROUP_PROTOCOL=classic`,
        );
      }
      // Likewise a static-membership id another live member holds.
      if (
        kafkaErrorCause(error) !== 'not_authorized' &&
        !isInstanceIdRefusal(error)
      ) {
        throw error;
      }
      this.crash(error);
    }
  }

  private async start(run: GroupConsumerRun, events: GroupMembershipEvents) {
    this.stopped = false;
    this.watch(events);
    this.queues = new PartitionQueues<PlatformaticRecord>(
      Math.max(1, run.concurrency),
      (partition: number, records: PlatformaticRecord[]) =>
        this.deliver(run, partition, records).catch((error: unknown) =>
          this.crash(error),
        ),
      () => this.flowControl(),
    );
    const consumer = this.consumer;
    const stream = await new Promise<
      MessagesStream<Buffer, Buffer, Buffer, Buffer>
    >((resolve, reject) =>
      consumer.consume(
        {
          topics: [run.topic],
          autocommit: false,
          mode: 'committed',
          fallbackMode: run.fromBeginning ? 'earliest' : 'latest',
          // Why: close() waits for the fetch in flight; see the kafkajs adapter.
          maxWaitTime: 1_000,
          maxBytesPerPartition: 128 * 1024,
          maxBytes: 1024 * 1024,
        },
        (error, made) => {
          if (error || !made) {
            reject(error ?? new Error('consume() gave no stream'));
            return;
          }
          // At once, as the library makes the stream (the callback form, not
          // the promise's later turn): a stream whose client a crash closed
          // meanwhile fails as it starts, and that 'error' with no listener
          // yet ended the process (CI, platformatic leader-kill).
          // A stream of a consumer already replaced by a restart is not.
          made.on('error', (streamError: Error) => {
            if (this.consumer === consumer) this.crash(streamError);
          });
          resolve(made);
        },
      ),
    );
    if (this.stopped || this.consumer !== consumer) {
      // Stopped (maybe restarted) while the stream was being made.
      stream.close().catch(() => undefined);
      return;
    }
    this.stream = stream;
    stream.on('data', (record: Record) => {
      const { partition, offset } = record;
      if (!this.assigned.has(partition)) return;
      if (!this.pauses.admits(partition, offset, this.nextOffsets)) return;
      // The library reads every assigned partition again from its last
      // commit whenever the assignment changes (KIP-848: each partition
      // another member gets or gives up), also the partitions this member
      // keeps: what it already handed over is not handed over twice.
      const next = this.nextOffsets.get(partition);
      if (next !== undefined && offset < next) return;
      this.nextOffsets.set(partition, offset + 1n);
      this.leaderEpochs.set(partition, record.leaderEpoch);
      // Queued in the port's shape: the library's message (its header Map,
      // bound commit, metadata) is garbage at once, not after the handler.
      this.queues?.push(partition, new PlatformaticRecord(record));
    });
    this.assignmentChanged();
  }

  pause(_topic?: string, partitions?: readonly number[]): void {
    if (partitions) {
      this.pauses.pause(partitions);
      return;
    }
    this.paused = true;
    this.flowControl();
  }

  resume(_topic?: string, partitions?: readonly number[]): void {
    if (partitions) {
      this.pauses.resume(partitions, this.nextOffsets);
      return;
    }
    this.paused = false;
    this.flowControl();
  }

  /** Where a resumed partition reads on: its last commit, else where the group starts. */
  private async startOffset(partition: number): Promise<bigint> {
    const consumer = this.consumer;
    const commits = await consumer.listCommittedOffsets({
      topics: [{ topic: this.topic, partitions: [partition] }],
    });
    const committed = commits.get(this.topic)?.[partition];
    if (committed !== undefined && committed >= 0n) return committed;
    const ends = await consumer.listOffsets({
      topics: [this.topic],
      partitions: { [this.topic]: [partition] },
      // -2: the earliest offset, -1: the latest (ListOffsets' special timestamps).
      timestamp: this.running?.fromBeginning === false ? -1n : -2n,
    });
    return ends.get(this.topic)?.[partition] ?? 0n;
  }

  /** The stream's next fetch of the partition starts at `offset` (its public offsetsToFetch map). */
  private seek(partition: number, offset: bigint): void {
    this.stream?.offsetsToFetch.set(`${this.topic}:${partition}`, offset);
  }

  async commit(
    topic: string,
    offsets: readonly { partition: number; offset: string }[],
  ): Promise<void> {
    await this.consumer.commit({
      offsets: offsets.map(({ partition, offset }) => ({
        topic,
        partition,
        offset: BigInt(offset),
        leaderEpoch: this.leaderEpochs.get(partition) ?? -1,
      })),
    });
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    clearTimeout(this.restartTimer);
    unsubscribe(FETCHES, this.onFetch);
    await this.stop();
  }

  private async stop(): Promise<void> {
    this.stopped = true;
    this.queues?.clear();
    const { stream, consumer } = this;
    this.stream = undefined;
    try {
      await stream?.close();
    } finally {
      // Why: a static member keeps its partitions while it restarts.
      if (this.isStatic) leaveForTheSessionOnClose(consumer);
      await consumer.close(true);
    }
  }

  /**
   * The stream failed (its retries ran out) or a batch threw: this member
   * leaves and starts again after a growing delay (0.3 s to 2 s: back within
   * ~2 s of the cluster answering). A refusal (authorization) is the
   * caller's to retry, and an error that says it cannot be retried ends the
   * member for good (liveness fails): it is told no restart follows.
   */
  private crash(error: unknown): void {
    if (this.stopped || this.closed) return;
    const events = this.events;
    const run = this.running;
    const final =
      kafkaErrorCause(error) === 'not_authorized' ||
      isInstanceIdRefusal(error) ||
      isFinal(error);
    events?.crashed(error, !final);
    void this.stop().catch(() => undefined);
    if (final || !events || !run) return;
    const delayMs = Math.min(300 * 2 ** this.restarts++, 2_000);
    this.restartTimer = setTimeout(() => {
      if (this.closed) return;
      this.consumer = this.create();
      this.assigned = new Set();
      this.nextOffsets.clear();
      this.pauses.forgetAll();
      this.joinedOnce = false;
      this.start(run, events).catch((startError: unknown) =>
        this.crash(startError),
      );
    }, delayMs);
  }

  /** One partition's gathered records to the caller, as a batch of the port. */
  private async deliver(
    run: GroupConsumerRun,
    partition: number,
    records: PlatformaticRecord[],
  ): Promise<void> {
    const tenure = this.tenure.get(partition) ?? 0;
    const isActive = () =>
      !this.stopped &&
      this.assigned.has(partition) &&
      (this.tenure.get(partition) ?? 0) === tenure;
    if (!isActive()) return;
    const last = BigInt(records[records.length - 1].offset);
    const known = this.highWatermarks.get(partition);
    await run.eachBatch({
      topic: run.topic,
      partition,
      highWatermark: String(
        known !== undefined && known > last ? known : last + 1n,
      ),
      records,
      isActive,
      // The stream reads on from where it is; a batch cut short is read again
      // by the partition's next owner (or this member after a rejoin), from
      // the last commit.
      resolve: () => undefined,
      // The library heartbeats on its own timer, whatever the handlers do.
      heartbeat: () => Promise.resolve(),
    });
  }

  /** Fetching waits while the caller paused it or too much is buffered. */
  private flowControl(): void {
    const stream = this.stream;
    if (!stream || this.stopped) return;
    const buffered = this.queues?.size ?? 0;
    if (buffered >= MAX_BUFFERED_RECORDS) this.backpressured = true;
    else if (buffered <= MAX_BUFFERED_RECORDS / 2) this.backpressured = false;
    const wait = this.paused || this.backpressured;
    this.queues?.hold(this.paused || this.revocationHold);
    if (wait && !stream.isPaused()) stream.pause();
    else if (!wait && stream.isPaused()) stream.resume();
  }

  /** The partitions' end offsets, from the library's own fetch responses. */
  private fetched(message: unknown): void {
    const context = message as {
      client?: unknown;
      result?: {
        responses?: {
          partitions?: { partitionIndex: number; highWatermark: bigint }[];
        }[];
      };
    };
    if (context.client !== this.consumer) return;
    // This consumer fetches one topic only.
    for (const topic of context.result?.responses ?? []) {
      for (const { partitionIndex, highWatermark } of topic.partitions ?? []) {
        if (highWatermark >= 0n) {
          this.highWatermarks.set(partitionIndex, highWatermark);
        }
      }
    }
  }

  private watch(events: GroupMembershipEvents): void {
    const { consumer } = this;
    this.observeAssignments(consumer);
    if (this.protocol === 'consumer') this.holdRevocations(consumer, events);
    if (this.isStatic && this.protocol === 'classic') {
      stopWhenFenced(consumer, (error) => this.crash(error));
    }
    // A failure the library gives up on (a rejoin that failed): the member starts again.
    consumer.on('error', (error: unknown) => this.crash(error));
    // A join ends a classic rebalance even when the partitions stay the same.
    consumer.on('consumer:group:join', () => this.assignmentChanged(true));
    consumer.on('consumer:group:rebalance', () => {
      if (this.protocol === 'consumer') this.revoking = true;
      else void events.rebalancing();
    });
    consumer.on('consumer:heartbeat:end', () => {
      events.heartbeat(consumer.generationId);
      // KIP-848 hands assignment changes over in heartbeat answers.
      this.assignmentChanged();
    });
    consumer.on('consumer:heartbeat:error', ({ error }) => {
      if (isTimeout(error)) events.coordinatorSilent('Heartbeat');
    });
  }

  /**
   * The library sets `assignments` and then, in KIP-848, acknowledges a
   * revocation in its next heartbeat at once, without waiting for the
   * application. Observed as it is set, a partition given up stops between
   * records before the broker hands it to another member, instead of a
   * heartbeat later (records handled meanwhile were handled twice).
   */
  private observeAssignments(
    consumer: Consumer<Buffer, Buffer, Buffer, Buffer>,
  ): void {
    let current = consumer.assignments;
    Object.defineProperty(consumer, 'assignments', {
      configurable: true,
      enumerable: true,
      get: () => current,
      set: (next: typeof current) => {
        current = next;
        if (consumer === this.consumer) this.assignmentChanged();
      },
    });
  }

  /**
   * KIP-848 hands a partition to its next owner as soon as this member
   * acknowledges the revocation, which the library does right after it has
   * read the metadata, without waiting for the application. So that read's
   * answer is held back until the batches out have finished (nothing new goes
   * out meanwhile) and what they handled is committed, bounded by
   * REVOCATION_WAIT_MS: the next owner then starts after the last record this
   * member handled (what the classic protocol's revocation callback does),
   * through the library's exported metadata hook. Can go when the library
   * waits itself.
   */
  private holdRevocations(
    consumer: Consumer<Buffer, Buffer, Buffer, Buffer>,
    events: GroupMembershipEvents,
  ): void {
    const read = consumer[kMetadata].bind(consumer);
    consumer[kMetadata] = (options, callback) => {
      if (!this.revoking) return read(options, callback);
      this.revoking = false;
      this.revocationHold = true;
      this.flowControl();
      read(options, (error, metadata) => {
        const committed = (this.queues?.settledAll() ?? Promise.resolve())
          .then(() => events.rebalancing())
          .catch(() => undefined);
        const bound = new Promise((resolve) =>
          setTimeout(resolve, REVOCATION_WAIT_MS),
        );
        void Promise.race([committed, bound]).then(() => {
          try {
            callback(error, metadata);
          } finally {
            this.revocationHold = false;
            this.flowControl();
          }
        });
      });
    };
  }

  /**
   * Tells the caller when this member's partitions of the topic changed. A
   * partition given up stops between records at once; while a batch of it is
   * still out, the caller keeps counting it as this member's, so what that
   * batch finishes is committed (KIP-848 hands the partition over without
   * waiting for the application, and its next owner reads from the last
   * commit); then the caller is told of the rebalance (it commits) and of
   * the partitions left.
   */
  private assignmentChanged(joined = false): void {
    const events = this.events;
    if (!events || this.stopped) return;
    const assignment = this.consumer.assignments;
    if (assignment === null) return;
    const now = new Set(
      assignment.find((a) => a.topic === this.topic)?.partitions ?? [],
    );
    const same =
      now.size === this.assigned.size &&
      [...now].every((partition) => this.assigned.has(partition));
    const memberId = this.consumer.memberId ?? '';
    const sorted = (partitions: Iterable<number>) =>
      [...partitions].sort((a, b) => a - b);
    if (same && this.joinedOnce) {
      // Classic: the rebalance told of before is over, the partitions kept.
      if (joined) events.joined(memberId, false, sorted(now));
      return;
    }
    this.restarts = 0;
    const revoked = [...this.assigned].filter((p) => !now.has(p));
    for (const partition of revoked) {
      this.tenure.set(partition, (this.tenure.get(partition) ?? 0) + 1);
      this.queues?.drop(partition);
      this.nextOffsets.delete(partition);
      this.pauses.forget(partition);
    }
    this.assigned = now;
    this.joinedOnce = true;
    if (revoked.length === 0 || !this.queues) {
      events.joined(memberId, false, sorted(now));
      return;
    }
    const generation = ++this.changes;
    events.joined(memberId, false, sorted(new Set([...now, ...revoked])));
    void this.queues.settled(revoked).then(() => {
      if (this.stopped || generation !== this.changes) return;
      void events.rebalancing();
      events.joined(memberId, false, sorted(this.assigned));
    });
  }

  /** Assignment changes so far: a late settle of an older one tells nothing. */
  private changes = 0;
  private joinedOnce = false;
}

/** The broker refused this member's static-membership id: another live member holds it. */
function isInstanceIdRefusal(error: unknown): boolean {
  const types = brokerErrorTypes(error);
  return (
    types.includes('UNRELEASED_INSTANCE_ID') ||
    types.includes('FENCED_INSTANCE_ID')
  );
}

/** An error that says retrying cannot help (`retriable: false`, `canRetry: false`). */
function isFinal(error: unknown): boolean {
  const flags = error as { retriable?: unknown; canRetry?: unknown } | null;
  return flags?.retriable === false || flags?.canRetry === false;
}
