/** What PartitionPauses asks of the adapter. */
export interface PartitionPausesHooks {
  /** Forget the partition's fetched records that were not handed over yet. */
  drop(partition: number): void;
  /** Where a resumed partition reads on (its last commit). */
  startOffset(partition: number): Promise<bigint>;
  owns(partition: number): boolean;
  /** The stream's next fetch of the partition starts at `offset`. */
  seek(partition: number, offset: bigint): void;
}

/**
 * How long after a seek a record beyond the seek point is taken for the
 * answer to a fetch sent before it (and the seek is made again). Past it,
 * such a record is a real gap in the offsets (compaction, transaction
 * markers) and is taken.
 */
const REWIND_WINDOW_MS = 5_000;
const RETRY_MS = 500;

interface Rewind {
  token: number;
  /** Set once the offset to read on from is known and sought. */
  until?: number;
}

/**
 * Paused partitions for @platformatic/kafka, whose stream pauses only as a
 * whole: the stream goes on fetching a paused partition, and its records are
 * dropped here before they are queued. A resumed partition is sought back to
 * its last commit (what a batch stopped by the pause did not finish is read
 * again: at least once, never lost), and records are refused until the
 * stream reads from there.
 */
export class PartitionPauses {
  private readonly paused = new Set<number>();
  private readonly rewinds = new Map<number, Rewind>();
  private tokens = 0;

  constructor(private readonly hooks: PartitionPausesHooks) {}

  isPaused(partition: number): boolean {
    return this.paused.has(partition);
  }

  pause(partitions: readonly number[]): void {
    for (const partition of partitions) {
      if (this.paused.has(partition)) continue;
      this.paused.add(partition);
      this.rewinds.delete(partition);
      this.hooks.drop(partition);
    }
  }

  /** `nextOffsets`: the adapter's next offset to hand over per partition (moved back here). */
  resume(partitions: readonly number[], nextOffsets: Map<number, bigint>) {
    for (const partition of partitions) {
      if (!this.paused.delete(partition)) continue;
      if (this.hooks.owns(partition)) this.rewind(partition, nextOffsets);
    }
  }

  /** False for a record that must not be handed over (paused, or read before the seek). */
  admits(
    partition: number,
    offset: bigint,
    nextOffsets: ReadonlyMap<number, bigint>,
  ): boolean {
    if (this.paused.has(partition)) return false;
    const rewind = this.rewinds.get(partition);
    if (!rewind) return true;
    // Where to read on is not known yet.
    if (rewind.until === undefined) return false;
    const next = nextOffsets.get(partition);
    if (next !== undefined && offset > next && Date.now() < rewind.until) {
      // The answer to a fetch sent before the seek moved the stream on: again.
      this.hooks.seek(partition, next);
      return false;
    }
    this.rewinds.delete(partition);
    return true;
  }

  /** The partition left this member (a new owner reads it from the last commit). */
  forget(partition: number): void {
    this.rewinds.delete(partition);
  }

  /** The member starts again (every partition is read from its last commit). */
  forgetAll(): void {
    this.rewinds.clear();
  }

  private rewind(partition: number, nextOffsets: Map<number, bigint>): void {
    const token = ++this.tokens;
    this.rewinds.set(partition, { token });
    const current = () =>
      this.rewinds.get(partition)?.token === token &&
      !this.paused.has(partition) &&
      this.hooks.owns(partition);
    const attempt = (): void => {
      this.hooks.startOffset(partition).then(
        (offset) => {
          if (!current()) return;
          nextOffsets.set(partition, offset);
          this.hooks.seek(partition, offset);
          this.rewinds.set(partition, {
            token,
            until: Date.now() + REWIND_WINDOW_MS,
          });
        },
        () => {
          if (current()) setTimeout(attempt, RETRY_MS).unref();
        },
      );
    };
    attempt();
  }
}
