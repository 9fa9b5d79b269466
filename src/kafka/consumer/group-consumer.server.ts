import { Logger } from '@nestjs/common';
import {
  type CustomTransportStrategy,
  type MessageHandler,
  Server,
} from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import type { ConsumerSettings } from '../../config/configuration.js';
import type {
  GroupConsumerFactory,
  GroupConsumerPort,
} from '../client/group-consumer.port.js';
import { DeadLetterPublisher } from './dead-letter.publisher.js';
import {
  GROUP_BATCH_PATTERN,
  GROUP_MESSAGE_PATTERN,
} from '../kafka.constants.js';
import { errorMessage, isTimeout, withTimeout } from '../kafka.errors.js';
import { untilTopicKnown } from '../topics/topic-propagation.js';
import type { GroupConsumerObserver } from './group-consumer.observer.js';
import {
  type GroupEngine,
  GroupConsumerState,
} from './group-consumer.state.js';
import { accessRefusal } from './access-refusal.js';
import { HungCoordinator } from './hung-coordinator.js';
import { RestartBackoff } from './restart-backoff.js';
import { ConsumerEvents } from './consumer.events.js';
import { OffsetCommitter, type PartitionOffset } from './offset-committer.js';
import {
  GroupBatchContext,
  GroupMessageContext,
  type GroupMessageMeta,
} from './group-message.context.js';
import { RecordPipeline } from './record-pipeline.js';
import { BatchRunner } from './batch-runner.js';

/** The consumer settings (validated env) this server uses, as they are. */
type ConsumerTuning = Pick<
  ConsumerSettings,
  | 'fromBeginning'
  | 'sessionTimeoutMs'
  | 'heartbeatIntervalMs'
  | 'rebalanceTimeoutMs'
  | 'maxRetries'
  | 'retryBackoffMs'
>;

export interface GroupConsumerOptions extends ConsumerTuning {
  /** Role name shown in /consumers and health ('realtime', 'analytics'). */
  name: string;
  /** Nest binds only handlers decorated with this id to this server (nestjs/nest#13421). */
  transportId: symbol;
  groupId: string;
  topic: string;
  shutdownTimeoutMs: number;
  /** Partitions processed in parallel (order is kept inside each partition); read at start. */
  partitionsConcurrently: () => number;
  /** Turns a record value into the handler's payload; throw MalformedMessageError to dead-letter it. */
  decode: (value: Buffer | null) => unknown;
  /** Called after a record was handled successfully, before its commit. */
  onProcessed?: (meta: GroupMessageMeta, payload: unknown) => void;
  /** Told of every record, retry, commit and rebalance (metrics). */
  observer?: GroupConsumerObserver;
  /** The client and group protocol the group's members speak (shown in /consumers and /health). */
  engine?: GroupEngine;
  /** Bound of one commit; a commit that outlives it means a hanging coordinator (HungCoordinator). */
  commitTimeoutMs: number;
  /** True when the group's coordinator answers a bounded request now. */
  coordinatorAnswers: () => Promise<boolean>;
  /** Static membership: this member's stable id in the group (KAFKA_GROUP_INSTANCE_ID). */
  groupInstanceId?: string;
}

/**
 * One Kafka consumer in one consumer group, as a Nest custom transport.
 * Register it with `app.connectMicroservice({ strategy })`; handlers are
 * `@EventPattern(GROUP_BATCH_PATTERN, <transportId>)` methods (a run of a
 * partition's records per call) or `@EventPattern(GROUP_MESSAGE_PATTERN,
 * <transportId>)` ones (a record per call). The Nest shell and the client's
 * lifecycle live here; the batch loop is BatchRunner, the per-record policy
 * (retries, dead letter) RecordPipeline.
 *
 * Delivery contract: autoCommit is off; a record's offset+1 is committed only
 * after its handler succeeded or it was dead-lettered, in partition order
 * (OffsetCommitter: never ahead of processing, flushed before the consumer
 * leaves its group and when a rebalance starts). A replica that dies loses
 * nothing: its uncommitted records are redelivered to the partition's next owner.
 */
export class GroupConsumerServer
  extends Server
  implements CustomTransportStrategy
{
  protected override readonly logger: Logger;
  readonly state: GroupConsumerState;
  private consumer: GroupConsumerPort | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;
  private readonly restarts = new RestartBackoff();
  private readonly pipeline: RecordPipeline;
  private bound: Handlers | undefined;
  private runner: BatchRunner | undefined;
  /** What becomes of each record and commit: the loop, pipeline and committer tell; the state, committer, journal and log listen. */
  private readonly events = new ConsumerEvents();
  private readonly committer = new OffsetCommitter({
    commit: async (offsets) => {
      const consumer = this.consumer;
      if (!consumer) throw new Error('not a member of the group right now');
      await withTimeout(
        consumer.commit(this.options.topic, offsets),
        this.options.commitTimeoutMs,
        'commit',
      );
    },
    events: this.events,
    owns: (partition) => this.state.assignedPartitions.includes(partition),
  });
  private readonly hungCoordinator = new HungCoordinator({
    pause: () => this.consumer?.pause(this.options.topic),
    resume: () => this.consumer?.resume(this.options.topic),
    commit: async () => {
      if (this.committer.uncommitted) {
        await this.committer.flush();
        return !this.committer.uncommitted;
      }
      // Nothing handled since: ask the coordinator to take the offsets it has.
      const consumer = this.consumer;
      const again = this.state.assignedPartitions.flatMap((partition) => {
        const offset = this.state.lastCommitted.get(partition);
        return offset === undefined ? [] : [{ partition, offset }];
      });
      if (!consumer || again.length === 0) return true;
      return withTimeout(
        consumer.commit(this.options.topic, again),
        this.options.commitTimeoutMs,
        'commit',
      ).then(
        () => true,
        () => false,
      );
    },
    answers: () => this.options.coordinatorAnswers().catch(() => false),
    rejoin: async () => {
      this.state.rebalancing();
      // Not committed: the partitions' next owner (maybe this member) reads them again.
      this.committer.retainOnly([]);
      const old = this.consumer;
      this.consumer = null;
      await withTimeout(
        old?.disconnect() ?? Promise.resolve(),
        this.options.commitTimeoutMs * 2,
        'disconnect',
      ).catch(() => undefined);
      try {
        await this.start();
      } catch (error) {
        const delayMs = this.scheduleRestart();
        this.state.crashed(
          `${errorMessage(error)}; retrying in ${delayMs / 1_000} s`,
          true,
        );
      }
    },
    active: () => !this.state.draining,
  });

  constructor(
    private readonly consumers: GroupConsumerFactory,
    private readonly options: GroupConsumerOptions,
    private readonly deadLetters: DeadLetterPublisher,
  ) {
    super();
    this.transportId = options.transportId;
    this.logger = new Logger(`GroupConsumer:${options.name}`);
    this.state = new GroupConsumerState(
      options.name,
      options.groupId,
      options.topic,
      options.observer,
      options.engine,
      options.groupInstanceId ?? null,
    );
    this.pipeline = new RecordPipeline({
      groupId: options.groupId,
      maxRetries: options.maxRetries,
      retryBackoffMs: options.retryBackoffMs,
      decode: options.decode,
      handle: (payload, meta) => this.handle(payload, meta),
      deadLetter: (meta, record, error, attempts) =>
        this.deadLetters.publish(
          options.groupId,
          meta,
          record,
          error,
          attempts,
        ),
      events: this.events,
      draining: () => this.state.draining,
    });
    this.state.follow(this.events);
    this.events
      // The journal, after handling and before the commit.
      .on('handled', (meta, payload) => this.finishRecord(meta, payload))
      .on('retried', (meta, error) =>
        this.logger.warn(
          `${meta.topic}[${meta.partition}]@${meta.offset} failed (attempt ${meta.attempt}/${options.maxRetries + 1}): ${errorMessage(error)}`,
        ),
      )
      .on('commitFailed', (offsets, error) => this.commitFailed(offsets, error))
      .on('warning', (message) => this.logger.warn(message));
  }

  private commitFailed(offsets: PartitionOffset[], error: unknown): void {
    if (this.hungCoordinator.active) return; // said once, when it began
    if (isTimeout(error)) {
      this.coordinatorSilent('commit');
      return;
    }
    this.logger.warn(
      `commit ${JSON.stringify(offsets)} failed (the records are read again if the partition moved): ${errorMessage(error)}`,
    );
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      await this.startAtBoot();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  on(): never {
    throw new Error(
      `${GroupConsumerServer.name} has no events to subscribe to; read .state`,
    );
  }

  /** The client port this server runs on. */
  unwrap<T>(): T {
    if (!this.consumer) {
      throw new Error('Consumer not started: call listen() first');
    }
    return this.consumer as T;
  }

  /**
   * Graceful stop: no new records, in-flight ones finish and commit, then the
   * consumer leaves the group so the others rebalance at once instead of
   * waiting out the session timeout. Commits must happen before disconnect():
   * kafkajs silently skips commitOffsets once its runner is stopping.
   */
  close(): Promise<void> {
    this.restarts.cancel();
    this.closing ??= this.drainAndLeave();
    return this.closing;
  }

  /**
   * The first start. A topic some broker does not know yet (just created,
   * see isTopicNotYetKnown) is waited out for a few seconds; any other error
   * fails the boot as before.
   */
  private startAtBoot(): Promise<void> {
    return untilTopicKnown(
      () => this.start(),
      async (error, delayMs) => {
        this.logger.warn(
          `cannot start yet (${errorMessage(error)}): a topic not known to every broker yet; starting again in ${delayMs} ms`,
        );
        const old = this.consumer;
        this.consumer = null;
        await old?.disconnect().catch(() => undefined);
        return !this.state.draining;
      },
    );
  }

  private async start(): Promise<void> {
    const { groupId, topic, fromBeginning } = this.options;
    const runner = (this.runner ??= this.batchRunner());
    await this.deadLetters.ensureTopic(topic, groupId);
    const consumer = this.consumers({
      groupId,
      sessionTimeoutMs: this.options.sessionTimeoutMs,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
      ...(this.options.groupInstanceId
        ? { groupInstanceId: this.options.groupInstanceId }
        : {}),
    });
    this.consumer = consumer;
    await consumer.run(
      {
        topic,
        // fromBeginning only applies to partitions the group has never committed.
        fromBeginning,
        concurrency: this.options.partitionsConcurrently(),
        // Tracked before any of it runs: a handler may begin shutdown
        // synchronously, and the drain must then wait for this batch.
        eachBatch: (batch) =>
          this.track(Promise.resolve(batch).then((b) => runner.run(b))),
      },
      {
        joined: (memberId, isLeader, partitions) => {
          this.restarts.reset();
          this.state.joined(memberId, isLeader, partitions);
          this.committer.retainOnly(this.state.assignedPartitions);
          this.logger.log(
            `joined group ${groupId} as ${memberId}${isLeader ? ' (leader)' : ''}, partitions [${this.state.assignedPartitions.join(',')}]`,
          );
        },
        heartbeat: (generationId) => {
          this.state.lastHeartbeatAt = new Date();
          this.state.generationId = generationId;
        },
        rebalancing: () => {
          this.state.rebalancing();
          // Commit what was handled while the partitions are still ours.
          return this.committer.flush();
        },
        crashed: (error, willRestart) => this.crashed(error, willRestart),
        coordinatorSilent: (request) => this.coordinatorSilent(request),
      },
    );
  }

  /** A commit or heartbeat got no answer in time (HungCoordinator). */
  private coordinatorSilent(request: string): void {
    if (this.hungCoordinator.active || this.state.draining) return;
    this.logger.warn(
      `the group coordinator did not answer a ${request} within ${this.options.commitTimeoutMs} ms: fetching pauses until a commit goes through, or until the group's coordinator answers again and this member rejoins it`,
    );
    void this.hungCoordinator.recover();
  }

  private crashed(error: unknown, willRestart: boolean): void {
    const refusal = accessRefusal(error, this.options);
    if (refusal && !willRestart) {
      // Permissions are fixed by an operator, not by a process restart:
      // readiness says what to grant, liveness stays up, and the consumer
      // tries again after a growing delay (no crash loop, no tight loop).
      const delayMs = this.scheduleRestart();
      this.state.crashed(`${refusal}; retrying in ${delayMs / 1_000} s`, true);
      this.logger.error(`${refusal}; retrying in ${delayMs / 1_000} s`);
      return;
    }
    this.state.crashed(errorMessage(error), willRestart, willRestart);
    // An error line means a person must act: a consumer the client restarts
    // by itself is a warning (readiness says it while it lasts).
    const message = `consumer crashed (${willRestart ? 'the client restarts it' : 'no restart'}): ${errorMessage(error)}`;
    if (willRestart) this.logger.warn(message);
    else this.logger.error(message);
  }

  /** Restarts the consumer after a growing delay (RestartBackoff); returns the delay. */
  private scheduleRestart(): number {
    return this.restarts.schedule(() => this.restart());
  }

  private async restart(): Promise<void> {
    if (this.state.draining) {
      return;
    }
    const old = this.consumer;
    this.consumer = null;
    await old?.disconnect().catch(() => undefined);
    try {
      await this.start();
    } catch (error) {
      const delayMs = this.scheduleRestart();
      this.state.crashed(
        `${accessRefusal(error, this.options) ?? errorMessage(error)}; retrying in ${delayMs / 1_000} s`,
        true,
      );
    }
  }

  private track(work: Promise<void>): Promise<void> {
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }

  /** After a record was handled, before its commit: the journal (onProcessed). */
  private finishRecord(meta: GroupMessageMeta, payload: unknown): void {
    try {
      this.options.onProcessed?.(meta, payload);
    } catch (error) {
      // Not the record's fault (a journal that cannot be written): no dead
      // letter, no commit; the record is read again, and readiness says why.
      this.state.failing(
        `cannot finish records after handling them: ${errorMessage(error)}`,
      );
      throw error;
    }
  }

  /**
   * The Nest handlers bound to this transport, looked up once: Nest parses
   * the pattern on every lookup (a JSON.parse that throws for a plain
   * string), 30% of a group's CPU per record.
   */
  private handlers(): Handlers {
    if (!this.bound) {
      const batch = this.getHandlerByPattern(GROUP_BATCH_PATTERN);
      const record = this.getHandlerByPattern(GROUP_MESSAGE_PATTERN);
      if (!batch && !record) {
        throw new Error(
          `no @EventPattern('${GROUP_BATCH_PATTERN}') or @EventPattern('${GROUP_MESSAGE_PATTERN}') handler for ${this.options.name}`,
        );
      }
      this.bound = { batch, record };
    }
    return this.bound;
  }

  /** Runs fetched batches through this server's handlers; fails at boot if it has none. */
  private batchRunner(): BatchRunner {
    const { batch } = this.handlers();
    return new BatchRunner({
      groupId: this.options.groupId,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      decode: this.options.decode,
      pipeline: this.pipeline,
      state: this.state,
      batchHandler: batch
        ? (records, context) => this.invoke(batch, records, context)
        : undefined,
      events: this.events,
    });
  }

  /** One record through whichever handler there is (the pipeline's attempts). */
  private async handle(payload: unknown, meta: GroupMessageMeta) {
    const { batch, record } = this.handlers();
    if (batch) {
      const context = new GroupBatchContext([
        { groupId: meta.groupId, topic: meta.topic, partition: meta.partition },
      ]);
      await this.invoke(batch, [{ payload, meta }], context);
    } else {
      await this.invoke(record, payload, new GroupMessageContext([meta]));
    }
  }

  /** Calls a Nest handler; an errored observable is a failure too. */
  private async invoke(
    handler: MessageHandler | null,
    payload: unknown,
    context: GroupMessageContext | GroupBatchContext,
  ): Promise<void> {
    const result: unknown = await (handler as MessageHandler)(payload, context);
    if (isObservable(result)) {
      await lastValueFrom(result, { defaultValue: undefined });
    }
  }

  private async drainAndLeave(): Promise<void> {
    const consumer = this.consumer;
    this.state.draining = true;
    if (!consumer) {
      this.state.stopped();
      return;
    }
    const deadline = Date.now() + this.options.shutdownTimeoutMs;
    try {
      consumer.pause(this.options.topic);
    } catch {
      // Not running (crashed or never joined): nothing is fetching anyway.
    }
    while (this.inFlight.size > 0 && Date.now() < deadline) {
      await Promise.race([
        Promise.allSettled([...this.inFlight]),
        sleep(deadline - Date.now()),
      ]);
    }
    if (this.inFlight.size > 0) {
      this.logger.warn(
        `${this.inFlight.size} batch(es) still in flight at shutdown timeout; their unfinished records will be redelivered`,
      );
    }
    // Before disconnect(): kafkajs skips commits once the consumer is stopping.
    await Promise.race([
      this.committer.flush(),
      sleep(Math.max(deadline - Date.now(), 0)),
    ]);
    await Promise.race([
      consumer.disconnect(),
      sleep(Math.max(deadline - Date.now(), 1_000)),
    ]).catch((error: unknown) =>
      this.logger.warn(`disconnect: ${errorMessage(error)}`),
    );
    this.consumer = null;
    this.state.stopped();
    this.logger.log(`left group ${this.options.groupId}`);
  }
}

interface Handlers {
  batch: MessageHandler | null;
  record: MessageHandler | null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(ms, 0)));
}
