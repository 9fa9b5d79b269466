/**
 * Records a client hands over one at a time, gathered into one batch per
 * partition: a partition's records go out in order, one batch at a time; at
 * most `concurrency` partitions are out at once; a partition that finishes
 * goes to the back of the line. What arrives in one turn of the event loop
 * (one fetch response) makes one batch. Knows no client.
 */
export class PartitionQueues<T> {
  private readonly queued = new Map<number, T[]>();
  private readonly waiting: number[] = [];
  /** Partitions with a batch out, and when that batch is done. */
  private readonly out = new Map<number, Promise<void>>();
  private buffered = 0;
  private held = false;
  private scheduled = false;

  constructor(
    private readonly concurrency: number,
    private readonly deliver: (partition: number, items: T[]) => Promise<void>,
    /** Told whenever `size` changed (the owner pauses or resumes its source). */
    private readonly changed: () => void,
  ) {}

  /** Items queued and not yet handed over. */
  get size(): number {
    return this.buffered;
  }

  push(partition: number, item: T): void {
    let queue = this.queued.get(partition);
    if (!queue) {
      queue = [];
      this.queued.set(partition, queue);
      if (!this.out.has(partition)) this.waiting.push(partition);
    }
    queue.push(item);
    this.buffered++;
    this.schedule();
    this.changed();
  }

  /** While held, nothing new goes out (what is out finishes). */
  hold(held: boolean): void {
    if (this.held === held) return;
    this.held = held;
    if (!held) this.schedule();
  }

  /** Forgets what is queued for a partition (it moved to another member). */
  drop(partition: number): void {
    const queue = this.queued.get(partition);
    if (!queue) return;
    this.queued.delete(partition);
    this.buffered -= queue.length;
    const index = this.waiting.indexOf(partition);
    if (index >= 0) this.waiting.splice(index, 1);
    this.changed();
  }

  /** Resolves once none of `partitions` has a batch out (at once if none has). */
  async settled(partitions: readonly number[]): Promise<void> {
    for (;;) {
      const out = partitions.flatMap((p) => this.out.get(p) ?? []);
      if (out.length === 0) return;
      await Promise.allSettled(out);
    }
  }

  /** Resolves once no partition has a batch out. */
  settledAll(): Promise<void> {
    return this.settled([...this.out.keys()]);
  }

  clear(): void {
    for (const partition of [...this.queued.keys()]) this.drop(partition);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // After this turn: every record of the fetch response joins its batch.
    setImmediate(() => {
      this.scheduled = false;
      this.start();
    });
  }

  private start(): void {
    while (
      !this.held &&
      this.out.size < this.concurrency &&
      this.waiting.length > 0
    ) {
      const partition = this.waiting.shift() as number;
      const items = this.queued.get(partition);
      if (!items) continue;
      this.queued.delete(partition);
      this.buffered -= items.length;
      const delivered = this.deliver(partition, items).finally(() => {
        this.out.delete(partition);
        if (this.queued.has(partition)) this.waiting.push(partition);
        this.start();
      });
      this.out.set(partition, delivered);
      this.changed();
    }
  }
}
