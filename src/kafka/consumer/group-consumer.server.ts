import { Logger } from '@nestjs/common';
import {
  type CustomTransportStrategy,
  type MessageHandler,
  Server,
} from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import type { ConsumerSettings } from '../../config/configuration.js';
import type { GroupConsumerFactory } from '../client/group-consumer.port.js';
import { DeadLetterPublisher } from './dead-letter.publisher.js';
import {
  GROUP_BATCH_PATTERN,
  GROUP_MESSAGE_PATTERN,
} from '../kafka.constants.js';
import { errorMessage } from '../kafka.errors.js';
import type { GroupConsumerObserver } from './group-consumer.observer.js';
import {
  type GroupEngine,
  GroupConsumerState,
} from './group-consumer.state.js';
import { ConsumerEvents } from './consumer.events.js';
import { GroupMember } from './group-member.js';
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
  /** Removes a lost member of this process from a group by its id (GroupMember). */
  removeMember?: (groupId: string, memberId: string) => Promise<boolean>;
  /** Static membership: this member's stable id in the group (KAFKA_GROUP_INSTANCE_ID). */
  groupInstanceId?: string;
}

/**
 * One Kafka consumer in one consumer group, as a Nest custom transport.
 * Register it with `app.connectMicroservice({ strategy })`; handlers are
 * `@EventPattern(GROUP_BATCH_PATTERN, <transportId>)` methods (a run of a
 * partition's records per call) or `@EventPattern(GROUP_MESSAGE_PATTERN,
 * <transportId>)` ones (a record per call). This is the Nest shell: it
 * finds the handlers and calls them. The client's lifecycle (start, restart,
 * commits, a hanging coordinator, drain and leave) is GroupMember; the batch
 * loop is BatchRunner, the per-record policy (retries, dead letter)
 * RecordPipeline.
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
  private readonly member: GroupMember;
  private closing: Promise<void> | undefined;
  private readonly pipeline: RecordPipeline;
  private bound: Handlers | undefined;
  private runner: BatchRunner | undefined;
  /** What becomes of each record and commit: the loop, pipeline and committer tell; the state, committer, journal and log listen. */
  private readonly events = new ConsumerEvents();

  constructor(
    consumers: GroupConsumerFactory,
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
      .on('warning', (message) => this.logger.warn(message));
    this.member = new GroupMember(options, {
      consumers,
      state: this.state,
      events: this.events,
      logger: this.logger,
      prepare: async () => {
        await this.deadLetters.ensureTopic(options.topic, options.groupId);
      },
      eachBatch: (batch) => this.batchRunner().run(batch),
    });
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      this.batchRunner(); // no handler bound: the boot fails here
      await this.member.startAtBoot();
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
    const client = this.member.client;
    if (!client) {
      throw new Error('Consumer not started: call listen() first');
    }
    return client as T;
  }

  /** Graceful stop (GroupMember.drainAndLeave): in-flight records finish and commit, then the member leaves. */
  close(): Promise<void> {
    this.closing ??= this.member.drainAndLeave();
    return this.closing;
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

  /** Runs fetched batches through this server's handlers (made once); throws if it has none. */
  private batchRunner(): BatchRunner {
    if (this.runner) return this.runner;
    const { batch } = this.handlers();
    this.runner = new BatchRunner({
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
    return this.runner;
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
}

interface Handlers {
  batch: MessageHandler | null;
  record: MessageHandler | null;
}
