/**
 * Counts per record key in bounded memory: at most `capacity` keys are kept
 * (the Space-Saving algorithm). While no more than `capacity` distinct keys
 * were seen, every count is exact. Past that, a new key takes the place of
 * the least counted one and starts from its count: a key seen in more than
 * 1/capacity of all records is always kept, and a count is never under the
 * truth (over by at most the count of the key it replaced).
 * Hostile or random keys can no longer grow memory.
 */
export class TopKeys {
  private readonly counts = new Map<string, number>();

  constructor(readonly capacity: number) {}

  add(key: string): void {
    const count = this.counts.get(key);
    if (count !== undefined) {
      this.counts.set(key, count + 1);
      return;
    }
    if (this.counts.size < this.capacity) {
      this.counts.set(key, 1);
      return;
    }
    let minKey: string | undefined;
    let min = Infinity;
    for (const [k, c] of this.counts) {
      if (c < min) {
        min = c;
        minKey = k;
      }
    }
    if (minKey !== undefined) {
      this.counts.delete(minKey);
    }
    this.counts.set(key, min + 1);
  }

  /** Keys by count, most first. */
  top(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([, a], [, b]) => b - a));
  }
}
