import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { consumersConfig } from '../../config/config.namespaces.js';
import type {
  GroupConsumerFactory,
  GroupConsumerPort,
  RecordBatch,
} from '../client/group-consumer.port.js';
import { KafkaAdmin } from '../client/kafka-admin.port.js';
import { GROUP_CONSUMER_FACTORY } from '../kafka.constants.js';
import { errorMessage, kafkaErrorCause } from '../kafka.errors.js';
import { SerialProducer } from '../producer/serial-producer.js';
import { TopicService } from '../topics/topic.service.js';
import { untilTopicKnown } from '../topics/topic-propagation.js';
import {
  controlTopicName,
  encodeControlValue,
  type GroupPause,
  NOT_PAUSED,
  nextExpiry,
  parseControlRecord,
  pauseOf,
} from './group-pause.js';
import type { PauseSource } from './pausable-group-consumer.js';
import { TroubleStreak } from '../../common/trouble-streak.js';

/** Why compacted: only the newest record per group matters, and a replica reads them all at boot. */
const CONTROL_TOPIC_CONFIG = { 'cleanup.policy': 'compact' };
/** Longest boot waits for the control topic to be read; the groups stay held (paused) until it is. */
const CATCH_UP_WAIT_MS = 20_000;
/** Longest a pause or resume request waits to read its own record back. */
const READ_BACK_MS = 10_000;

/**
 * Every group's pause, as the compacted control topic `<topic>.control`
 * says (one record per group id, the newest wins). Each replica reads the
 * whole topic from the beginning, in a consumer group of its own that never
 * commits (a fresh id per process: kafkajs has no consumer without a group,
 * and this way both engines read it through the same port), and tells the
 * group gates (PausableGroupConsumer) of every change and of every `until`
 * that runs out. Writes go through the service's SerialProducer; a request
 * returns once this replica has read its own record back.
 */
@Injectable()
export class GroupPauseBoard
  implements PauseSource, OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger(GroupPauseBoard.name);
  /** A broker outage stops the reader again at each restart: said once, then its outcome. */
  private readonly stops = new TroubleStreak(
    this.logger,
    'the reader is back in its group',
  );
  private readonly pauses = new Map<string, GroupPause>();
  private readonly listeners = new Set<(groupId: string) => void>();
  private readonly expiries = new Map<string, NodeJS.Timeout>();
  private readonly waiters = new Set<{ offset: bigint; done: () => void }>();
  private reader: GroupConsumerPort | null = null;
  private restartTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Next offset to read of the control topic's one partition. */
  private position = 0n;
  private target: bigint | undefined;
  private caughtUpNow = false;
  private caughtUpSignal: (() => void) | undefined;

  constructor(
    @Inject(GROUP_CONSUMER_FACTORY)
    private readonly consumers: GroupConsumerFactory,
    private readonly admin: KafkaAdmin,
    private readonly producer: SerialProducer,
    private readonly topics: TopicService,
    @Inject(consumersConfig.KEY)
    private readonly config: ConfigType<typeof consumersConfig>,
  ) {}

  get topic(): string {
    return controlTopicName(this.topics.topic);
  }

  /** True once everything the control topic held at boot has been read. */
  get caughtUp(): boolean {
    return this.caughtUpNow;
  }

  pause(groupId: string): GroupPause {
    return this.pauses.get(groupId) ?? NOT_PAUSED;
  }

  pausedAt(groupId: string, partition: number, now = Date.now()): boolean {
    return pauseOf(this.pause(groupId), partition, now) !== undefined;
  }

  onChange(listener: (groupId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async onApplicationBootstrap(): Promise<void> {
    const caughtUp = new Promise<void>((resolve) => {
      this.caughtUpSignal = resolve;
    });
    try {
      // Another replica may have created it a moment ago: a broker that does
      // not know it yet is waited out, as for the group's own start.
      const [end] = await untilTopicKnown(
        async () => {
          await this.topics.ensureTopic(
            this.topic,
            1,
            undefined,
            CONTROL_TOPIC_CONFIG,
          );
          return this.admin.topicOffsets(this.topic);
        },
        (error, delayMs) => {
          this.logger.warn(
            `cannot read the control topic ${this.topic} yet (${errorMessage(error)}): a topic not known to every broker yet; trying again in ${delayMs} ms`,
          );
          return true;
        },
      );
      this.target = BigInt(end?.high ?? '0');
    } catch (error) {
      if (this.refused(error)) return;
      throw error;
    }
    this.checkCaughtUp();
    await this.startReader();
    const timer = new Promise<boolean>((resolve) =>
      setTimeout(resolve, CATCH_UP_WAIT_MS, false).unref(),
    );
    const done = await Promise.race([caughtUp.then(() => true), timer]);
    if (!done) {
      this.logger.warn(
        `the control topic ${this.topic} is not read to its end after ${CATCH_UP_WAIT_MS / 1_000} s: every group stays paused here until it is`,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.restartTimer);
    for (const timer of this.expiries.values()) clearTimeout(timer);
    const reader = this.reader;
    this.reader = null;
    await reader?.disconnect().catch(() => undefined);
  }

  /**
   * Writes the group's next pause (computed from the current one) and waits
   * until this replica has read it back, so the answer shows it applied.
   */
  async change(
    groupId: string,
    next: (current: GroupPause) => GroupPause,
  ): Promise<GroupPause> {
    const pause = next(this.pause(groupId));
    const written = await this.producer.produce(this.topic, [
      {
        partition: 0,
        key: groupId,
        value: encodeControlValue(groupId, pause, new Date()),
      },
    ]);
    const offset = BigInt(written.get(0) ?? '-1');
    if (offset >= 0n) await this.readBack(offset);
    return this.pause(groupId);
  }

  private readBack(offset: bigint): Promise<void> {
    if (this.position > offset) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = { offset, done: () => resolve() };
      this.waiters.add(waiter);
      setTimeout(() => {
        this.waiters.delete(waiter);
        resolve();
      }, READ_BACK_MS).unref();
    });
  }

  private async startReader(): Promise<void> {
    // A group of its own per process, never committed: it always reads from the beginning.
    const reader = this.consumers({
      groupId: `${this.topic}.reader.${hostname()}.${process.pid}.${randomUUID().slice(0, 8)}`,
      sessionTimeoutMs: this.config.sessionTimeoutMs,
      heartbeatIntervalMs: this.config.heartbeatIntervalMs,
      rebalanceTimeoutMs: this.config.rebalanceTimeoutMs,
    });
    this.reader = reader;
    try {
      await reader.run(
        {
          topic: this.topic,
          fromBeginning: true,
          concurrency: 1,
          eachBatch: (batch) => Promise.resolve(this.read(batch)),
        },
        {
          joined: () =>
            this.stops.recovered('the control topic reader is back'),
          rebalancing: () => Promise.resolve(),
          heartbeat: () => undefined,
          crashed: (error, willRestart) => {
            if (this.refused(error)) {
              void this.onApplicationShutdown();
              return;
            }
            this.stops.failed(
              `the control topic reader stopped (${willRestart ? 'the client restarts it' : 'starting it again'}): ${errorMessage(error)}`,
            );
            if (!willRestart) this.restartReader();
          },
          coordinatorSilent: () => undefined,
        },
      );
    } catch (error) {
      if (this.refused(error)) return;
      this.logger.warn(
        `cannot read the control topic ${this.topic} yet: ${errorMessage(error)}`,
      );
      this.restartReader();
    }
  }

  /**
   * Without the ACLs for the control topic (docs/security.md) pausing is
   * off on this replica, loudly: its groups consume as before instead of
   * waiting forever for a topic they may not read.
   */
  private refused(error: unknown): boolean {
    if (kafkaErrorCause(error) !== 'not_authorized') return false;
    this.logger.error(
      `pausing groups is off on this replica: not authorized to use the control topic ${this.topic} (${errorMessage(error)}); grant Create, Write, Read on topic ${this.topic} and Read on groups prefixed ${this.topic}.reader. (docs/security.md)`,
    );
    this.target = this.position;
    this.checkCaughtUp();
    return true;
  }

  private restartReader(): void {
    if (this.closed) return;
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      const old = this.reader;
      this.reader = null;
      void (old?.disconnect() ?? Promise.resolve())
        .catch(() => undefined)
        .then(() => (this.closed ? undefined : this.startReader()));
    }, 2_000);
    this.restartTimer.unref();
  }

  private read(batch: RecordBatch): void {
    for (const record of batch.records) {
      const offset = BigInt(record.offset);
      // A reader started again reads from the beginning: what it saw is applied already.
      if (offset < this.position) continue;
      const parsed = parseControlRecord(record.key, record.value);
      if (parsed.ok) {
        this.set(parsed.groupId, parsed.pause);
      } else {
        this.logger.warn(
          `skipped control record ${this.topic}@${record.offset}: ${parsed.error}`,
        );
      }
      this.position = offset + 1n;
      batch.resolve(record.offset);
    }
    for (const waiter of this.waiters) {
      if (this.position > waiter.offset) {
        this.waiters.delete(waiter);
        waiter.done();
      }
    }
    this.checkCaughtUp();
  }

  private checkCaughtUp(): void {
    if (this.caughtUpNow || this.target === undefined) return;
    if (this.position < this.target) return;
    this.caughtUpNow = true;
    this.caughtUpSignal?.();
    this.logger.log(
      `read the control topic ${this.topic} (${this.pauses.size} group(s) with a pause record)`,
    );
    for (const groupId of this.pauses.keys()) this.emit(groupId);
    // Groups without a record were held until now too.
    this.emit('*');
  }

  private set(groupId: string, pause: GroupPause): void {
    this.pauses.set(groupId, pause);
    this.scheduleExpiry(groupId);
    if (this.caughtUpNow) this.emit(groupId);
  }

  /** A pause whose `until` runs out ends here by itself, on every replica at its own clock. */
  private scheduleExpiry(groupId: string): void {
    clearTimeout(this.expiries.get(groupId));
    this.expiries.delete(groupId);
    const at = nextExpiry(this.pause(groupId), Date.now());
    if (at === undefined) return;
    const timer = setTimeout(
      () => {
        this.emit(groupId);
        this.scheduleExpiry(groupId);
      },
      Math.min(at - Date.now() + 5, 2 ** 31 - 1),
    );
    timer.unref();
    this.expiries.set(groupId, timer);
  }

  private emit(groupId: string): void {
    for (const listener of this.listeners) {
      try {
        listener(groupId);
      } catch (error) {
        this.logger.warn(`a pause listener failed: ${errorMessage(error)}`);
      }
    }
  }
}
