import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Producer, type ProducerOptions } from '@platformatic/kafka';
import {
  KafkaProducer,
  type OutgoingRecord,
  type SentPartition,
} from '../client/kafka-producer.port.js';
import { withTimeout } from '../kafka.errors.js';
import { ProducerSessions } from '../producer/producer-sessions.js';

/** acks=all: every in-sync replica has the records before the answer. */
const ALL_REPLICAS = -1;

/**
 * The producer port on @platformatic/kafka: idempotent, acks=all, bounded by
 * PRODUCE_TIMEOUT_MS. As in the kafkajs adapter, a send that fails or
 * outlives the bound retires its producer: the next send gets a new producer
 * id and fresh sequence numbers, and the retired one is closed once its own
 * retries settle (its records are the unknown outcome the caller was told of).
 * One send at a time is the caller's (SerialProducer).
 */
export class PlatformaticProducer
  extends KafkaProducer
  implements OnApplicationShutdown
{
  private readonly sessions: ProducerSessions<Session>;

  constructor(
    private readonly options: ProducerOptions<Buffer, Buffer, Buffer, Buffer>,
    private readonly timeoutMs: number,
    /** The bootstrap list for a new session (BrokerRanking: not a broker that hung lately). */
    private readonly bootstrapBrokers?: () => string[],
  ) {
    super();
    // Built here, after the constructor's parameters: opening a session needs them.
    this.sessions = new ProducerSessions<Session>(
      () => this.openSession(),
      (session) => session.producer.close(),
      new Logger(PlatformaticProducer.name),
    );
  }

  private get session(): Session {
    return this.sessions.session;
  }

  /**
   * The session is set up (it reached the cluster once and was not retired),
   * as with kafkajs' producer: a broker outage is the broker's health check
   * to name, not this one.
   */
  get isConnected(): boolean {
    return this.session.ready;
  }

  async connect(): Promise<void> {
    const session = this.session;
    await withTimeout(
      session.producer.metadata({ topics: [] }),
      this.timeoutMs,
      'producer connect',
    );
    session.ready = true;
  }

  async send(
    topic: string,
    records: OutgoingRecord[],
  ): Promise<SentPartition[]> {
    const session = this.session;
    const sending = session.producer.send({
      messages: records.map(({ partition, key, value, headers }) => ({
        topic,
        partition,
        key: key === null || key === undefined ? undefined : Buffer.from(key),
        value: typeof value === 'string' ? Buffer.from(value) : value,
        headers: headers && headerMap(headers),
      })),
    });
    this.sessions.track(session, sending);
    try {
      const result = await withTimeout(
        sending,
        this.timeoutMs,
        `send to ${topic}`,
      );
      session.ready = true;
      // One entry per partition: the offset of the first record written there.
      return (result.offsets ?? []).map(({ partition, offset }) => ({
        partition,
        baseOffset: String(offset),
      }));
    } catch (error) {
      this.sessions.retire(session);
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sessions.closeAll();
  }

  private openSession(): Session {
    return {
      producer: new Producer({
        ...this.options,
        ...(this.bootstrapBrokers
          ? { bootstrapBrokers: this.bootstrapBrokers() }
          : {}),
        idempotent: true,
        acks: ALL_REPLICAS,
      }),
      ready: false,
    };
  }
}

interface Session {
  producer: Producer<Buffer, Buffer, Buffer, Buffer>;
  /** Reached the cluster once (connect() or a send succeeded). */
  ready: boolean;
}

function headerMap(headers: Record<string, string>): Map<Buffer, Buffer> {
  const map = new Map<Buffer, Buffer>();
  for (const name of Object.keys(headers)) {
    map.set(Buffer.from(name), Buffer.from(headers[name]));
  }
  return map;
}
