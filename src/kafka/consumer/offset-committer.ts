import type { ConsumerEvents } from './consumer.events.js';

export interface PartitionOffset {
  partition: number;
  /** The next offset to read: the handled record's offset + 1. */
  offset: string;
}

export interface OffsetCommitterOptions {
  /** Sends one commit request for all these partitions. */
  commit: (offsets: PartitionOffset[]) => Promise<void>;
  /**
   * The committer listens for `finished` records there, and tells
   * `committed` or `commitFailed` (with how long the request took) of each
   * commit request.
   */
  events: ConsumerEvents;
  /**
   * Whether this member owns the partition now: a record finished after its
   * partition moved to another member (a rebalance completed meanwhile) is
   * not committed; its new owner reads it again.
   */
  owns: (partition: number) => boolean;
  /**
   * Whether a failed commit may be sent again by itself now (a member with a
   * client, not leaving). Default: always.
   */
  mayRetry?: () => boolean;
  /** The first delay before a failed commit is sent again by itself; it doubles up to 8x. Default 500 ms. */
  retryDelayMs?: number;
}

/**
 * Commits handled records without making the handlers wait for the broker.
 *
 * `handled(p, offset)` records offset+1 as the partition's next commit. One
 * commit request is in flight at a time; it carries the newest handled offset
 * of every partition, and whatever is handled meanwhile goes in the next one.
 * So a commit is never ahead of processing, and under load one round trip
 * covers many records: committing each record and waiting for it capped a
 * group member at ~150 records/s (npm run bench), about 6 ms per commit.
 *
 * `flush()` resolves once everything handled so far is committed (or failed):
 * called before leaving the group and when a rebalance starts.
 *
 * A failed commit is sent again by itself after a short, growing delay, for
 * the partitions this member still owns: the last records of a partition
 * must not stay uncommitted (reported as lag, read again by the next owner)
 * only because no other record came after them. With KIP-848 a commit
 * fails with a stale member epoch when another member's join bumps it, and
 * nothing else would send it again while this member keeps its partitions.
 */
export class OffsetCommitter {
  private readonly pending = new Map<number, string>();
  private running: Promise<void> | null = null;
  private retry: NodeJS.Timeout | undefined;
  private retries = 0;

  constructor(private readonly options: OffsetCommitterOptions) {
    options.events.on('finished', (partition, offset) => {
      if (options.owns(partition)) this.handled(partition, offset);
    });
  }

  /** True while handled records wait for a commit (failed ones included). */
  get uncommitted(): boolean {
    return this.pending.size > 0 || this.running !== null;
  }

  handled(partition: number, offset: string): void {
    // The handled offset; +1 when a commit request is built (once per round
    // trip, not per record).
    this.pending.set(partition, offset);
    this.running ??= this.drain();
  }

  /** Forgets uncommitted offsets of partitions this member no longer owns. */
  retainOnly(partitions: readonly number[]): void {
    for (const partition of this.pending.keys()) {
      if (!partitions.includes(partition)) {
        this.pending.delete(partition);
      }
    }
  }

  async flush(): Promise<void> {
    if (this.pending.size > 0) {
      this.running ??= this.drain();
    }
    while (this.running) {
      await this.running;
    }
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0) {
      const handled = new Map(this.pending);
      // Why offset+1: the committed offset is the next record to read, not the last one read.
      const batch = [...handled].map(([partition, offset]) => ({
        partition,
        offset: (BigInt(offset) + 1n).toString(),
      }));
      this.pending.clear();
      const started = performance.now();
      const seconds = () => (performance.now() - started) / 1_000;
      try {
        await this.options.commit(batch);
        this.retries = 0;
        this.options.events.emit('committed', batch, seconds());
      } catch (error) {
        this.options.events.emit('commitFailed', batch, error, seconds());
        // Expected during a rebalance. Kept for the next handled() or flush()
        // unless a newer offset came in; retainOnly() drops the partitions
        // this member lost, whose next owner reads those records again.
        for (const [partition, offset] of handled) {
          if (!this.pending.has(partition)) {
            this.pending.set(partition, offset);
          }
        }
        this.retryLater();
        break;
      }
    }
    this.running = null;
  }

  /** Sends what failed again after 0.5, 1, 2, 4 s, then every 4 s, while it is owned. */
  private retryLater(): void {
    if (this.retry) return;
    const first = this.options.retryDelayMs ?? 500;
    const delay = first * 2 ** Math.min(this.retries, 3);
    this.retries++;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      for (const partition of this.pending.keys()) {
        if (!this.options.owns(partition)) this.pending.delete(partition);
      }
      if (this.pending.size === 0 || this.running) return;
      if (this.options.mayRetry?.() ?? true) this.running = this.drain();
      else this.retryLater();
    }, delay);
    this.retry.unref();
  }
}
