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
 * Idempotent with acks=all: a retried send is never written twice. Connected
 * lazily, so a replica that only consumes opens no producer connection until
 * its first dead letter; every send is bounded by PRODUCE_TIMEOUT_MS.
 */
@Injectable()
export class KafkaProducerService implements OnApplicationShutdown {
  private readonly logger = new Logger(KafkaProducerService.name);
  private readonly connection: LazyConnection<Producer>;
  private connectedFlag = false;

  constructor(
    @Inject(KAFKA_CLIENT) kafka: Kafka,
    @Inject(producerConfig.KEY)
    private readonly config: ConfigType<typeof producerConfig>,
  ) {
    const producer = kafka.producer({
      idempotent: true,
      // kafkajs requires at most one in-flight request for idempotence.
      maxInFlightRequests: 1,
      // Explicit partitions are set on every record; the partitioner is only a
      // fallback, named here to silence kafkajs v2's default-partitioner warning.
      createPartitioner: Partitioners.DefaultPartitioner,
      // Bounded retries: HTTP callers get a 503 within PRODUCE_TIMEOUT_MS.
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    producer.on(producer.events.CONNECT, () => (this.connectedFlag = true));
    producer.on(producer.events.DISCONNECT, () => (this.connectedFlag = false));
    this.connection = new LazyConnection(producer);
  }

  get isConnected(): boolean {
    return this.connectedFlag;
  }

  async connect(): Promise<void> {
    await withTimeout(
      this.connection.get(),
      this.config.timeoutMs,
      'producer connect',
    ).catch((error: unknown) => {
      this.reset();
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
    try {
      return await withTimeout(
        this.connection
          .get()
          .then((producer) => producer.send({ topic, messages, acks: -1 })),
        this.config.timeoutMs,
        `send to ${topic}`,
      );
    } catch (error) {
      this.reset();
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.connection.close();
  }

  private reset(): void {
    if (!this.connectedFlag) {
      // A failed connect leaves nothing to close; the next call connects again.
      this.connection.forget();
    }
    this.logger.debug(`send failed; producer connected=${this.connectedFlag}`);
  }
}
