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
import { producerConfig } from '../../config/config.namespaces.js';
import { KAFKA_CLIENT } from '../kafka.constants.js';
import { ConnectionFailures } from '../client/connection-failures.js';
import {
  BrokerUnavailableError,
  sendRetryCause,
  withTimeout,
} from '../kafka.errors.js';
import {
  KafkaProducer,
  type OutgoingRecord,
  type SentPartition,
} from '../client/kafka-producer.port.js';
import { LazyConnection } from './lazy-connection.js';

/**
 * The process' one producer (HTTP /produce and the dead-letter path share it).
 * Idempotent with acks=all: kafkajs retries a send until the broker answers,
 * and the broker drops a retried batch it already wrote. Connected lazily, so
 * a replica that only consumes opens no producer connection until its first
 * dead letter; every send is bounded by PRODUCE_TIMEOUT_MS.
 *
 * kafkajs rolls a partition's sequence number back after a failed produce
 * request even when the broker wrote it. Any other batch sent with that
 * sequence before the failed one is retried is answered by the broker as a
 * duplicate: acknowledged, never written. So one send at a time (its callers
 * go through SerialProducer, src/kafka/producer), and a send that
 * fails or outlives PRODUCE_TIMEOUT_MS retires its session: a fresh one has a
 * new producer id and fresh sequences; the retired one finishes its own
 * retries (its records are the unknown outcome) and is then closed.
 */
@Injectable()
export class KafkajsProducer
  extends KafkaProducer
  implements OnApplicationShutdown
{
  private readonly logger = new Logger(KafkajsProducer.name);
  private session: ProducerSession;
  private readonly retired = new Set<ProducerSession>();
  private sessions = 0;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(producerConfig.KEY)
    private readonly config: ConfigType<typeof producerConfig>,
    private readonly failures: ConnectionFailures,
  ) {
    super();
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
  ): Promise<SentPartition[]> {
    const messages: Message[] = records.map(
      ({ partition, key, value, headers }) => ({
        partition,
        key: key ?? null,
        value,
        headers,
      }),
    );
    const started = Date.now();
    // One send at a time is the caller's (SerialProducer); a send that fails
    // or times out retires its session, so the next one uses a fresh one.
    const session = this.session;
    const sending = session.connection
      .get()
      .then((producer) => producer.send({ topic, messages, acks: -1 }));
    this.track(session, sending);
    try {
      const metadata = await withTimeout(
        sending,
        this.config.timeoutMs,
        `send to ${topic}`,
      );
      // kafkajs answers one entry per partition with the base offset of the batch.
      return metadata.map((m) => ({
        partition: m.partition,
        baseOffset: m.baseOffset ?? m.offset ?? '-1',
      }));
    } catch (error) {
      this.retire(session);
      throw this.named(error, started);
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
      connection: new LazyConnection(() => producer),
      connected: false,
      pending: new Set(),
    };
    producer.on(producer.events.CONNECT, () => (session.connected = true));
    producer.on(producer.events.DISCONNECT, () => (session.connected = false));
    this.sessions++;
    return session;
  }

  /** A timeout names what kafkajs was retrying meanwhile (fewer in-sync replicas, no leader). */
  private named(error: unknown, since: number): unknown {
    const retrying = this.failures.lastSend;
    if (!(error instanceof BrokerUnavailableError) || !retrying) return error;
    if (retrying.at.getTime() < since) return error;
    const type = sendRetryCause(retrying.message);
    return new BrokerUnavailableError(
      `${error.message.replace(/^Kafka broker unreachable: /, '')}; kafkajs was retrying`,
      Object.assign(new Error(retrying.message), { type }),
    );
  }

  private track(session: ProducerSession, sent: Promise<RecordMetadata[]>) {
    session.pending.add(sent);
    const settled = (): void => {
      session.pending.delete(sent);
      this.closeIfIdle(session);
    };
    sent.then(settled, settled);
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
