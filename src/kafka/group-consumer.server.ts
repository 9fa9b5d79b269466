import { Logger } from '@nestjs/common';
import { type CustomTransportStrategy, Server } from '@nestjs/microservices';
import type {
  Consumer,
  EachMessagePayload,
  Kafka,
  KafkaMessage,
} from 'kafkajs';
import { lastValueFrom } from 'rxjs';
import type { ConsumerSettings } from '../config/configuration.js';
import { DeadLetterPublisher } from './dead-letter.publisher.js';
import { GROUP_MESSAGE_PATTERN } from './kafka.constants.js';
import {
  errorMessage,
  kafkaErrorCause,
  MalformedMessageError,
} from './kafka.errors.js';
import type { GroupConsumerObserver } from './group-consumer.observer.js';
import { GroupConsumerState } from './group-consumer.state.js';
import { OffsetCommitter } from './offset-committer.js';
import {
  GroupMessageContext,
  type GroupMessageMeta,
} from './group-message.context.js';

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
}

/**
 * One Kafka consumer in one consumer group, as a Nest custom transport.
 * Register it with `app.connectMicroservice({ strategy })`; handlers are
 * `@EventPattern(GROUP_MESSAGE_PATTERN, <transportId>)` methods.
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
  private consumer: Consumer | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartDelayMs = FIRST_RESTART_DELAY_MS;
  private readonly committer = new OffsetCommitter({
    commit: async (offsets) => {
      await this.consumer?.commitOffsets(
        offsets.map((o) => ({ topic: this.options.topic, ...o })),
      );
    },
    committed: (offsets, seconds) => this.state.committed(offsets, seconds),
    failed: (offsets, error, seconds) => {
      this.state.commitFailed(seconds);
      this.logger.warn(
        `commit ${JSON.stringify(offsets)} failed (the records are read again if the partition moved): ${errorMessage(error)}`,
      );
    },
  });

  constructor(
    private readonly kafka: Kafka,
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
    );
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      await this.start();
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
    clearTimeout(this.restartTimer);
    this.closing ??= this.drainAndLeave();
    return this.closing;
  }

  private async start(): Promise<void> {
    const { groupId, topic, fromBeginning } = this.options;
    await this.deadLetters.ensureTopic(topic, groupId);
    const consumer = this.kafka.consumer({
      groupId,
      sessionTimeout: this.options.sessionTimeoutMs,
      heartbeatInterval: this.options.heartbeatIntervalMs,
      rebalanceTimeout: this.options.rebalanceTimeoutMs,
      // Why: stop() waits for the fetch in flight; a shorter long-poll makes
      // graceful shutdown ~1 s instead of kafkajs' default 5 s.
      maxWaitTimeInMs: 1_000,
      // Why: kafkajs' default backoff grows to 30 s, so after a leader
      // election or a broker's return the consumer could wait seconds more
      // before its next fetch, and restart after ~10 s when its retries run
      // out. Capped at 2 s, it resumes within ~2 s of the partition being
      // readable again; the retries still end in a restart, not a busy loop.
      retry: CONSUMER_RETRY,
    });
    this.consumer = consumer;
    this.watch(consumer);
    await consumer.connect();
    // fromBeginning only applies to partitions the group has never committed.
    await consumer.subscribe({ topic, fromBeginning });
    await consumer.run({
      // Why: commits are ours, after the handler; kafkajs must never commit ahead.
      autoCommit: false,
      partitionsConsumedConcurrently: Math.max(
        1,
        this.options.partitionsConcurrently(),
      ),
      eachMessage: (payload) => this.track(this.handleRecord(payload)),
    });
  }

  private watch(consumer: Consumer): void {
    const { events } = consumer;
    consumer.on(events.GROUP_JOIN, ({ payload }) => {
      this.restartDelayMs = FIRST_RESTART_DELAY_MS;
      const partitions = payload.memberAssignment[this.options.topic] ?? [];
      this.state.joined(payload.memberId, payload.isLeader, partitions);
      this.committer.retainOnly(this.state.assignedPartitions);
      this.logger.log(
        `joined group ${payload.groupId} as ${payload.memberId}${payload.isLeader ? ' (leader)' : ''}, partitions [${this.state.assignedPartitions.join(',')}]`,
      );
    });
    // The high watermark of every fetched batch: lag for /metrics without an admin call.
    consumer.on(events.START_BATCH_PROCESS, ({ payload }) =>
      this.state.fetched(payload.partition, payload.highWatermark),
    );
    consumer.on(events.HEARTBEAT, ({ payload }) => {
      this.state.lastHeartbeatAt = new Date();
      this.state.generationId = payload.groupGenerationId;
    });
    consumer.on(events.REBALANCING, () => {
      this.state.rebalancing();
      // Commit what was handled while the partitions are still ours.
      void this.committer.flush();
    });
    // Why: a crashed kafkajs consumer is otherwise silent (nestjs/nest#11616).
    consumer.on(events.CRASH, ({ payload }) => {
      const refusal = accessRefusal(payload.error, this.options);
      if (refusal && !payload.restart) {
        // Permissions are fixed by an operator, not by a process restart:
        // readiness says what to grant, liveness stays up, and the consumer
        // tries again after a growing delay (no crash loop, no tight loop).
        const delayMs = this.scheduleRestart();
        this.state.crashed(
          `${refusal}; retrying in ${delayMs / 1_000} s`,
          true,
        );
        this.logger.error(`${refusal}; retrying in ${delayMs / 1_000} s`);
        return;
      }
      this.state.crashed(errorMessage(payload.error), payload.restart);
      this.logger.error(
        `consumer crashed (${payload.restart ? 'kafkajs restarts it' : 'no restart'}): ${errorMessage(payload.error)}`,
      );
    });
  }

  /** Restarts the consumer after a delay that doubles up to a minute; returns the delay. */
  private scheduleRestart(): number {
    const delayMs = this.restartDelayMs;
    this.restartDelayMs = Math.min(delayMs * 2, MAX_RESTART_DELAY_MS);
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.restart();
    }, delayMs);
    return delayMs;
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

  private async handleRecord(record: EachMessagePayload): Promise<void> {
    const { topic, partition, message } = record;
    const heartbeat = () => record.heartbeat();
    if (this.state.draining) {
      // Not handled, not committed: the partition's next owner reads it again.
      return;
    }
    const started = performance.now();
    const meta = this.metaOf(topic, partition, message);
    // A record that cannot be decoded is dead-lettered at once (0 attempts);
    // one whose handler keeps failing, after its bounded retries.
    let payload: unknown;
    let failure: Error | undefined;
    try {
      payload = this.options.decode(message.value);
    } catch (error) {
      failure = error instanceof Error ? error : new Error(errorMessage(error));
      meta.attempt = 0;
    }
    if (!failure) {
      const outcome = await this.handleWithRetries(payload, meta, heartbeat);
      if (outcome === 'abandoned') {
        return;
      }
      failure = outcome === 'ok' ? undefined : outcome;
    }
    if (failure) {
      await this.deadLetters.publish(
        this.options.groupId,
        meta,
        message,
        failure,
        meta.attempt,
      );
      this.state.recordDeadLettered((performance.now() - started) / 1_000);
    } else {
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
      this.state.recordProcessed((performance.now() - started) / 1_000);
    }
    this.commitAfter(partition, message.offset);
  }

  /** Bounded retries with exponential backoff; the last error is returned, not thrown. */
  private async handleWithRetries(
    payload: unknown,
    meta: GroupMessageMeta,
    heartbeat: () => Promise<void>,
  ): Promise<'ok' | 'abandoned' | Error> {
    const handler = this.getHandlerByPattern(GROUP_MESSAGE_PATTERN);
    if (!handler) {
      return new Error(
        `no @EventPattern('${GROUP_MESSAGE_PATTERN}') handler for ${this.options.name}`,
      );
    }
    for (let attempt = 1; ; attempt++) {
      meta.attempt = attempt;
      try {
        const result: unknown = await handler(
          payload,
          new GroupMessageContext([meta]),
        );
        await lastValueFrom(this.transformToObservable(result), {
          defaultValue: undefined,
        });
        return 'ok';
      } catch (error) {
        if (
          error instanceof MalformedMessageError ||
          attempt > this.options.maxRetries
        ) {
          return error instanceof Error
            ? error
            : new Error(errorMessage(error));
        }
        if (this.state.draining) {
          return 'abandoned';
        }
        this.state.recordRetry();
        this.logger.warn(
          `${meta.topic}[${meta.partition}]@${meta.offset} failed (attempt ${attempt}/${this.options.maxRetries + 1}): ${errorMessage(error)}`,
        );
        await sleep(this.options.retryBackoffMs * 2 ** (attempt - 1));
        await heartbeat();
      }
    }
  }

  private commitAfter(partition: number, offset: string): void {
    // A record finished after its partition moved to another member (a
    // rebalance completed meanwhile): its new owner reads it again, so no commit.
    if (this.state.assignedPartitions.includes(partition)) {
      this.committer.handled(partition, offset);
    }
  }

  private metaOf(
    topic: string,
    partition: number,
    message: KafkaMessage,
  ): GroupMessageMeta {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(message.headers ?? {})) {
      if (value !== undefined) {
        headers[name] = Array.isArray(value)
          ? value.map(String).join(',')
          : value.toString();
      }
    }
    return {
      groupId: this.options.groupId,
      topic,
      partition,
      offset: message.offset,
      key: message.key?.toString() ?? null,
      headers,
      timestamp: Number(message.timestamp),
      sizeBytes: (message.value?.length ?? 0) + (message.key?.length ?? 0),
      attempt: 1,
    };
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
      consumer.pause([{ topic: this.options.topic }]);
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
        `${this.inFlight.size} record(s) still in flight at shutdown timeout; they will be redelivered`,
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

const CONSUMER_RETRY = {
  initialRetryTime: 300,
  maxRetryTime: 2_000,
  retries: 10,
};
const FIRST_RESTART_DELAY_MS = 5_000;
const MAX_RESTART_DELAY_MS = 60_000;

/** What the broker refused this consumer, and how to grant it; undefined for other failures. */
function accessRefusal(
  error: unknown,
  { groupId, topic }: Pick<GroupConsumerOptions, 'groupId' | 'topic'>,
): string | undefined {
  const type = (error as { type?: unknown } | null)?.type;
  if (type === 'GROUP_AUTHORIZATION_FAILED') {
    return `not authorized to Read group ${groupId}: grant it with kafka-acls.sh --add --allow-principal User:<service user> --operation Read --group ${groupId}`;
  }
  if (type === 'TOPIC_AUTHORIZATION_FAILED') {
    return `not authorized to Read topic ${topic}: grant it with kafka-acls.sh --add --allow-principal User:<service user> --operation Read --operation Describe --topic ${topic}`;
  }
  return kafkaErrorCause(error) === 'not_authenticated'
    ? `Kafka refused this service's credentials while consuming group ${groupId}`
    : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(ms, 0)));
}
