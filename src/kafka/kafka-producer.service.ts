import {
  Inject,
  Injectable,
  Logger,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import {
  type Kafka,
  type Message,
  Partitioners,
  type Producer,
  type RecordMetadata,
} from 'kafkajs';
import { producerConfig } from '../config/config.namespaces.js';
import { KAFKA_CLIENT } from './kafka.constants.js';
import { withTimeout } from './kafka.errors.js';
import { LazyConnection } from './lazy-connection.js';

export interface OutgoingRecord {
  partition?: number;
  key?: string | null;
  value: string | Buffer;
  headers?: Record<string, string>;
}

/**
 * The process' one producer (HTTP /produce and the dead-letter path share it).
 * Idempotent with acks=all: kafkajs retries a send until the broker answers,
 * and the broker drops a retried batch it already wrote. Connected lazily, so
 * a replica that only consumes opens no producer connection until its first
 * dead letter; every send is bounded by PRODUCE_TIMEOUT_MS.
 *
 * A send that fails or outlives PRODUCE_TIMEOUT_MS has an unknown outcome, and
 * its producer session is retired: kafkajs rolls the partition's sequence
 * number back after a failed request even when the broker wrote it, so the
 * next batch of that session would carry the same sequence and the broker
 * would answer it as a duplicate (acknowledged, never written). A fresh
 * session has a new producer id and fresh sequences; the retired one finishes
 * its own retries (its records are the unknown outcome) and is then closed.
 */
@Injectable()
export class KafkaProducerService implements OnApplicationShutdown {
  private readonly logger = new Logger(KafkaProducerService.name);
  private session: ProducerSession;
  private readonly retired = new Set<ProducerSession>();
  private sessions = 0;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(producerConfig.KEY)
    private readonly config: ConfigType<typeof producerConfig>,
  ) {
    this.session = this.openSession();
  }

  get isConnected(): boolean {
    return this.session.connected;
  }

  /** How many producer sessions were opened (1 + one per unknown outcome). */
  get sessionCount(): number {
    return this.sessions;
  }

  async connect(): Promise<void> {
    const session = this.session;
    await withTimeout(
      session.connection.get(),
      this.config.timeoutMs,
      'producer connect',
    ).catch((error: unknown) => {
      // A failed connect leaves nothing to close; the next call connects again.
      if (!session.connected) session.connection.forget();
      throw error;
    });
  }

  /** Sends all records in one batched request, acks=all. */
  async send(
    topic: string,
    records: OutgoingRecord[],
  ): Promise<RecordMetadata[]> {
    const messages: Message[] = records.map(
      ({ partition, key, value, headers }) => ({
        partition,
        key: key ?? null,
        value,
        headers,
      }),
    );
    const session = this.session;
    const sending = session.connection
      .get()
      .then((producer) => producer.send({ topic, messages, acks: -1 }));
    session.pending.add(sending);
    const settled = (): void => {
      session.pending.delete(sending);
      this.closeIfIdle(session);
    };
    sending.then(settled, settled);
    try {
      return await withTimeout(
        sending,
        this.config.timeoutMs,
        `send to ${topic}`,
      );
    } catch (error) {
      this.retire(session);
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const all = [this.session, ...this.retired];
    this.retired.clear();
    await Promise.all(all.map((s) => s.connection.close()));
  }

  private openSession(): ProducerSession {
    const producer = this.kafka.producer({
      idempotent: true,
      // kafkajs requires at most one in-flight request for idempotence.
      maxInFlightRequests: 1,
      // Explicit partitions are set on every record; the partitioner is only a
      // fallback, named here to silence kafkajs v2's default-partitioner warning.
      createPartitioner: Partitioners.DefaultPartitioner,
      // Unlimited retries (kafkajs' condition for its idempotence guarantee):
      // the HTTP caller's bound is PRODUCE_TIMEOUT_MS, after which the session
      // is retired instead of giving up on a request that may be written.
      retry: {
        retries: Number.MAX_SAFE_INTEGER,
        initialRetryTime: 100,
        maxRetryTime: 1_000,
      },
    });
    const session: ProducerSession = {
      connection: new LazyConnection(producer),
      connected: false,
      pending: new Set(),
    };
    producer.on(producer.events.CONNECT, () => (session.connected = true));
    producer.on(producer.events.DISCONNECT, () => (session.connected = false));
    this.sessions++;
    return session;
  }

  private retire(session: ProducerSession): void {
    if (session !== this.session) return; // already replaced by a concurrent failure
    this.session = this.openSession();
    this.retired.add(session);
    this.logger.warn(
      `a send had an unknown outcome: new producer session #${this.sessions}; the old one closes when its ${session.pending.size} pending send(s) settle`,
    );
    this.closeIfIdle(session);
  }

  private closeIfIdle(session: ProducerSession): void {
    if (!this.retired.has(session) || session.pending.size > 0) return;
    this.retired.delete(session);
    session.connection.close().catch(() => undefined);
  }
}

interface ProducerSession {
  connection: LazyConnection<Producer>;
  connected: boolean;
  /** Sends kafkajs is still retrying (they may yet be written). */
  pending: Set<Promise<RecordMetadata[]>>;
}
