import type { Consumer, Kafka } from 'kafkajs';
import type {
  GroupConsumerPort,
  GroupConsumerRun,
  GroupConsumerSettings,
  GroupMembershipEvents,
} from '../client/group-consumer.port.js';

/**
 * Why: kafkajs' default backoff grows to 30 s, so after a leader election or
 * a broker's return the consumer could wait seconds more before its next
 * fetch, and restart ~10 s after its retries ran out. Capped at 2 s, it
 * resumes within ~2 s of a partition being readable again; the retries still
 * end in a restart, not a busy loop.
 */
const RETRY = { initialRetryTime: 300, maxRetryTime: 2_000, retries: 10 };

/** Requests only the group coordinator answers. */
const COORDINATOR_REQUESTS = new Set(['Heartbeat', 'OffsetCommit']);

/** The group consumer port on a kafkajs consumer, batch by batch (eachBatch). */
export class KafkajsGroupConsumer implements GroupConsumerPort {
  private readonly consumer: Consumer;

  constructor(kafka: Kafka, settings: GroupConsumerSettings) {
    this.consumer = kafka.consumer({
      groupId: settings.groupId,
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: settings.heartbeatIntervalMs,
      rebalanceTimeout: settings.rebalanceTimeoutMs,
      // Why: stop() waits for the fetch in flight; a shorter long-poll makes
      // graceful shutdown ~1 s instead of kafkajs' default 5 s.
      maxWaitTimeInMs: 1_000,
      // Why: what one fetch may bring (kafkajs: 1 MiB per partition, 10 MiB in
      // all) is decoded at once and lives until its last record is handled:
      // long enough to be promoted to V8's old space, which then grows for
      // seconds before a full GC. 128 KiB per partition (~700 small records)
      // drains a backlog as fast and halves peak RSS (npm run bench: 254 →
      // 135 MB with 256 KiB → 128 KiB, one group, 300k records).
      maxBytesPerPartition: 128 * 1024,
      maxBytes: 1024 * 1024,
      retry: RETRY,
    });
  }

  async run(run: GroupConsumerRun, events: GroupMembershipEvents) {
    this.watch(run.topic, events);
    await this.consumer.connect();
    await this.consumer.subscribe({
      topic: run.topic,
      fromBeginning: run.fromBeginning,
    });
    await this.consumer.run({
      // Why: commits are the caller's, after handling; kafkajs must never commit ahead.
      autoCommit: false,
      // Only what the caller resolved is done: a batch cut short is fetched
      // again from its first unresolved record.
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.max(1, run.concurrency),
      eachBatch: (payload) => {
        const { batch } = payload;
        return run.eachBatch({
          topic: batch.topic,
          partition: batch.partition,
          highWatermark: batch.highWatermark,
          // kafkajs' messages already have the port's plain shape: no copy.
          records: batch.messages,
          // Not isStale(): kafkajs marks a batch stale only after
          // consumer.seek(), which this adapter never calls, and the check
          // builds a JSON key per call (~4% of the CPU of a drain, asked once
          // per record). A seek added here must bring it back.
          isActive: () => payload.isRunning(),
          resolve: (offset) => payload.resolveOffset(offset),
          heartbeat: () => payload.heartbeat(),
        });
      },
    });
  }

  pause(topic: string, partitions?: readonly number[]): void {
    whileRunning(() =>
      this.consumer.pause([
        partitions ? { topic, partitions: [...partitions] } : { topic },
      ]),
    );
  }

  // Why: kafkajs fetches a resumed partition from its last resolved offset,
  // so a batch handed back unresolved while paused is read again.
  resume(topic: string, partitions?: readonly number[]): void {
    whileRunning(() =>
      this.consumer.resume([
        partitions ? { topic, partitions: [...partitions] } : { topic },
      ]),
    );
  }

  async commit(
    topic: string,
    offsets: readonly { partition: number; offset: string }[],
  ): Promise<void> {
    await this.consumer.commitOffsets(offsets.map((o) => ({ topic, ...o })));
  }

  async disconnect(): Promise<void> {
    await this.consumer.disconnect();
  }

  private watch(topic: string, events: GroupMembershipEvents): void {
    const { consumer } = this;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
      events.joined(
        payload.memberId,
        payload.isLeader,
        payload.memberAssignment[topic] ?? [],
      ),
    );
    consumer.on(consumer.events.HEARTBEAT, ({ payload }) =>
      events.heartbeat(payload.groupGenerationId),
    );
    consumer.on(consumer.events.REBALANCING, () => void events.rebalancing());
    // Why: a crashed kafkajs consumer is otherwise silent (nestjs/nest#11616).
    consumer.on(consumer.events.CRASH, ({ payload }) =>
      events.crashed(payload.error, payload.restart),
    );
    // Why: a member with nothing to commit would otherwise keep heartbeating a
    // frozen coordinator until kafkajs' retries run out (tens of seconds).
    consumer.on(consumer.events.REQUEST_TIMEOUT, ({ payload }) => {
      if (COORDINATOR_REQUESTS.has(payload.apiName)) {
        events.coordinatorSilent(payload.apiName);
      }
    });
  }
}

/**
 * Runs a pause or resume, which kafkajs refuses (throws) while its consumer
 * restarts after a crash: its group is made again by the restart, unpaused,
 * so there is nothing to pause or resume meanwhile. Seen in CI: a resume
 * after a full outage threw "Consumer group was not initialized" and ended
 * the process.
 */
function whileRunning(change: () => void): void {
  try {
    change();
  } catch (error) {
    if (!/group was not initialized/.test((error as Error).message))
      throw error;
  }
}
