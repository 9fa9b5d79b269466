/**
 * The last `capacity` record ids seen, oldest forgotten first: the analytics
 * group counts a record id once within this window, so its figures stay exact
 * through client retries with the same Idempotency-Key (same ids) and through
 * redelivery after a consumer restart. A repeat older than the window counts again.
 */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(readonly capacity: number) {}

  /** True the first time `id` is seen within the window. */
  firstTime(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      // A Set iterates in insertion order: the first entry is the oldest.
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }
}
