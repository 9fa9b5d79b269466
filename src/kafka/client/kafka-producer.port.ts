/**
 * The producer side of the Kafka client port, in plain types. Injected by
 * this abstract class; the kafkajs adapter
 * (src/kafka/kafkajs/kafkajs-producer.ts) implements it.
 */

/** Where a send put one partition's records: the offset of the first of them. */
export interface SentPartition {
  partition: number;
  /** int64 as a string; '-1' when the broker did not say. */
  baseOffset: string;
}

export interface OutgoingRecord {
  partition?: number;
  key?: string | null;
  value: string | Buffer;
  headers?: Record<string, string>;
}

/**
 * Idempotent, acks=all, one send at a time: callers go through
 * SerialProducer (src/kafka/producer), which queues and coalesces. `send`
 * is bounded by PRODUCE_TIMEOUT_MS and rejects
 * with an error whose cause kafkaErrorCause() can name; after a timeout the
 * outcome is unknown (the records may yet be written).
 */
export abstract class KafkaProducer {
  abstract readonly isConnected: boolean;

  /** Connects now (bounded); sends connect by themselves. */
  abstract connect(): Promise<void>;

  /** All records in one produce request. */
  abstract send(
    topic: string,
    records: OutgoingRecord[],
  ): Promise<SentPartition[]>;

  /**
   * Resolves once the producer sets nothing up on its own any more (the
   * kafkajs adapter's spare sessions connect in the background after its
   * first send): from then on, only sends open connections.
   */
  settled(): Promise<void> {
    return Promise.resolve();
  }
}
