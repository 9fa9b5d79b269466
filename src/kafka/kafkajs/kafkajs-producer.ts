import {
  Inject,
  Injectable,
  Logger,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { type Kafka, type Message, Partitioners, type Producer } from 'kafkajs';
import { producerConfig } from '../../config/config.namespaces.js';
import { KAFKA_CLIENT } from '../kafka.constants.js';
import { ConnectionFailures } from '../client/connection-failures.js';
import { BrokerRanking } from '../client/broker-ranking.js';
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
import { ProducerSessions } from '../producer/producer-sessions.js';

/**
 * How long the newest producer session may take to connect (its producer id
 * included) before another is opened beside it, how many one wait opens, and
 * how many may set up at once: a session connects in milliseconds when its
 * broker has ids to give, and each new one may draw another broker.
 */
const SESSION_SET_UP_MS = 500;
const SESSION_ATTEMPTS = 8;
const SESSION_CONCURRENT = 4;
/**
 * Sessions set up ahead, each taking over a retired one: while a leader
 * hangs, every send that outlives PRODUCE_TIMEOUT_MS retires one (two or
 * three before the cluster moves the leader away), and the one after the
 * move must not need a new producer id either.
 */
const SESSION_SPARES = 3;

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
 * retries (its records are the unknown outcome) and is then closed. A new
 * session that cannot get its producer id in time is replaced by another
 * (ProducerSessions.usable).
 */
@Injectable()
export class KafkajsProducer
  extends KafkaProducer
  implements OnApplicationShutdown
{
  private readonly sessions: ProducerSessions<ProducerSession>;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(producerConfig.KEY)
    private readonly config: ConfigType<typeof producerConfig>,
    private readonly failures: ConnectionFailures,
    private readonly ranking: BrokerRanking,
  ) {
    super();
    // Built here, after the constructor's parameters: opening a session needs them.
    this.sessions = new ProducerSessions<ProducerSession>(
      () => this.openSession(),
      (session) => session.connection.close(),
      new Logger(KafkajsProducer.name),
      // kafkajs asks one broker for a new session's producer id and keeps
      // asking it; while a hung node holds up that broker's block of ids,
      // that session connects only after the thaw (docs/faults.md).
      {
        setUp: (session) => session.connection.get(),
        waitMs: SESSION_SET_UP_MS,
        attempts: SESSION_ATTEMPTS,
        concurrent: SESSION_CONCURRENT,
        // A spare keeps the producer id it took; reconnected, it drops its
        // old connections (one may lead to a node that hung since) and reads
        // the cluster again: kafkajs asks for a producer id only when it has
        // none (kafkajs/src/producer/index.js, connect).
        renew: async (session) => {
          const producer = await session.connection.get();
          await producer.disconnect();
          await producer.connect();
        },
        spares: SESSION_SPARES,
        // Reconnected, a kafkajs client asks its old seed broker first: not
        // one that hung since (seen: a spare renewed onto the frozen node
        // used the send's whole 5 s).
        spareFits: (session) =>
          session.seed === undefined || !this.ranking.isHanging(session.seed),
      },
    );
  }

  private get session(): ProducerSession {
    return this.sessions.session;
  }

  get isConnected(): boolean {
    return this.session.connected;
  }

  /** How many producer sessions were opened (1 + one per unknown outcome). */
  get sessionCount(): number {
    return this.sessions.count;
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
    let session: ProducerSession | undefined;
    let givenUp = false;
    const sending = this.sessions.usable().then((chosen) => {
      // The caller gave up while no session was set up yet: nothing was
      // sent, and nothing is (a send now would run beside the next one).
      if (givenUp) throw new Error('given up before a session was set up');
      session = chosen;
      const sent = chosen.connection
        .get()
        .then((producer) => producer.send({ topic, messages, acks: -1 }));
      this.sessions.track(chosen, sent);
      return sent;
    });
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
      givenUp = true;
      // No session chosen: nothing was sent, so none has an unknown outcome.
      if (session) this.sessions.retire(session);
      throw this.named(error, started);
    }
  }

  override settled(): Promise<void> {
    return this.sessions.settled();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sessions.closeAll();
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
      // A short backoff: a frozen leader already costs each attempt a request
      // timeout, and after the cluster moved the leader away the retry that
      // finds the new one should not wait a second more (with 1 s, produce
      // came back 3.0 s after the move, the queued POSTs answering 503 until).
      retry: {
        retries: Number.MAX_SAFE_INTEGER,
        initialRetryTime: 100,
        maxRetryTime: 250,
      },
    });
    const session: ProducerSession = {
      connection: new LazyConnection(() => producer),
      connected: false,
    };
    // Its first request goes to its seed broker (ApiVersions on connect).
    const forget = producer.on(producer.events.REQUEST, ({ payload }) => {
      session.seed ??= payload.broker;
      forget();
    });
    producer.on(producer.events.CONNECT, () => (session.connected = true));
    producer.on(producer.events.DISCONNECT, () => (session.connected = false));
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
}

interface ProducerSession {
  connection: LazyConnection<Producer>;
  connected: boolean;
  /** The broker (host:port) its client connected to first, and goes back to on a reconnect. */
  seed?: string;
}
