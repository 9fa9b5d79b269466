import { BrokerUnavailableError } from '../kafka.errors.js';
import type {
  OutgoingRecord,
  SentPartition,
} from '../client/kafka-producer.port.js';

/** One send of records to a topic, all or nothing (one produce request). */
export type SendRecords = (
  topic: string,
  records: OutgoingRecord[],
) => Promise<SentPartition[]>;

/** Where the records of a record without a partition (the partitioner's choice) are counted. */
const ANY_PARTITION = -1;

export interface CoalescerOptions {
  /** Bytes of one partition's records in one send (under the broker's message.max.bytes). */
  maxPartitionBytes: number;
  /** A request that has no answer after this long fails (queued ones are never sent). */
  timeoutMs: number;
}

// Kafka's per-record overhead (offset and timestamp deltas, lengths, attributes).
const RECORD_OVERHEAD_BYTES = 70;

interface Pending {
  topic: string;
  records: OutgoingRecord[];
  /** Records and bytes per partition, counted once. */
  counts: Map<number, number>;
  bytes: Map<number, number>;
  state: 'queued' | 'sending' | 'settled';
  timer: NodeJS.Timeout | undefined;
  resolve: (offsets: Map<number, string>) => void;
  reject: (error: unknown) => void;
}

/**
 * The one place where sends are made one at a time: every caller of the
 * producer (POST /produce, the dead-letter publisher) goes through here. One
 * produce request in flight, because an idempotent producer allows only one
 * (its sequence numbers); the records of sends that arrive meanwhile are
 * coalesced into the next request, per topic, up to `maxPartitionBytes` per
 * partition: sharing a send costs no latency and saves a round trip per
 * request. Each caller still gets its own answer: the base offset of its own
 * records per partition, or the error of the send its records were in (never
 * a neighbour's: a failed send fails exactly the requests in it). Each call
 * is bounded by `timeoutMs`, waiting included; a call that times out while
 * queued is never sent.
 */
export class SerialProducer {
  private readonly queue: Pending[] = [];
  private sending = false;

  constructor(
    private readonly send: SendRecords,
    private readonly options: CoalescerOptions,
  ) {}

  /** Resolves with the base offset of this call's first record in each of its partitions. */
  produce(
    topic: string,
    records: OutgoingRecord[],
  ): Promise<Map<number, string>> {
    return new Promise((resolve, reject) => {
      const pending: Pending = {
        topic,
        records,
        counts: new Map(),
        bytes: new Map(),
        state: 'queued',
        timer: undefined,
        resolve,
        reject,
      };
      for (const record of records) {
        const partition = record.partition ?? ANY_PARTITION;
        pending.counts.set(partition, (pending.counts.get(partition) ?? 0) + 1);
        pending.bytes.set(
          partition,
          (pending.bytes.get(partition) ?? 0) + recordBytes(record),
        );
      }
      // The caller's bound holds whether its records wait or are on the wire.
      pending.timer = setTimeout(
        () => this.expire(pending),
        this.options.timeoutMs,
      );
      this.queue.push(pending);
      this.pump();
    });
  }

  private pump(): void {
    if (this.sending || this.queue.length === 0) {
      return;
    }
    const batch = this.takeBatch();
    this.sending = true;
    void this.sendBatch(batch).finally(() => {
      this.sending = false;
      this.pump();
    });
  }

  /** The head of the queue and every following request of its topic that still fits. */
  private takeBatch(): Pending[] {
    const head = this.queue[0];
    const bytes = new Map<number, number>();
    const batch: Pending[] = [];
    for (let i = 0; i < this.queue.length;) {
      const next = this.queue[i];
      if (next.topic !== head.topic) {
        i++;
        continue;
      }
      // A request alone always goes (its own size was checked when it came in).
      if (batch.length > 0 && !this.fits(bytes, next.bytes)) {
        break;
      }
      for (const [partition, b] of next.bytes) {
        bytes.set(partition, (bytes.get(partition) ?? 0) + b);
      }
      next.state = 'sending';
      batch.push(next);
      this.queue.splice(i, 1);
    }
    return batch;
  }

  private fits(
    taken: Map<number, number>,
    adding: Map<number, number>,
  ): boolean {
    for (const [partition, b] of adding) {
      if ((taken.get(partition) ?? 0) + b > this.options.maxPartitionBytes) {
        return false;
      }
    }
    return true;
  }

  private async sendBatch(batch: Pending[]): Promise<void> {
    const records =
      batch.length === 1 ? batch[0].records : batch.flatMap((p) => p.records);
    let sent: SentPartition[];
    try {
      sent = await this.send(batch[0].topic, records);
    } catch (error) {
      for (const pending of batch) {
        this.settle(pending, () => pending.reject(error));
      }
      return;
    }
    // Within a partition a send's records get consecutive offsets in the order
    // given, so each request's base offset is the send's plus the records before it.
    const next = new Map<number, bigint | undefined>();
    for (const { partition, baseOffset } of sent) {
      next.set(
        partition,
        /^\d+$/.test(baseOffset) ? BigInt(baseOffset) : undefined,
      );
    }
    for (const pending of batch) {
      const offsets = new Map<number, string>();
      for (const [partition, count] of pending.counts) {
        const base = next.get(partition);
        offsets.set(partition, base === undefined ? '-1' : base.toString());
        if (base !== undefined) {
          next.set(partition, base + BigInt(count));
        }
      }
      this.settle(pending, () => pending.resolve(offsets));
    }
  }

  private expire(pending: Pending): void {
    if (pending.state === 'queued') {
      // Never sent: drop it so it is not written after its caller gave up.
      this.queue.splice(this.queue.indexOf(pending), 1);
    }
    this.settle(pending, () =>
      pending.reject(
        new BrokerUnavailableError(
          `send to ${pending.topic} timed out after ${this.options.timeoutMs} ms`,
        ),
      ),
    );
  }

  private settle(pending: Pending, answer: () => void): void {
    if (pending.state === 'settled') {
      return;
    }
    pending.state = 'settled';
    clearTimeout(pending.timer);
    answer();
  }
}

function recordBytes(record: OutgoingRecord): number {
  let bytes = RECORD_OVERHEAD_BYTES + byteLength(record.value);
  if (record.key) {
    bytes += Buffer.byteLength(record.key);
  }
  for (const name in record.headers) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(record.headers[name]);
  }
  return bytes;
}

function byteLength(value: string | Buffer): number {
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}
