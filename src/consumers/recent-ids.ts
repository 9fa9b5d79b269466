import type { GroupMessageMeta } from '../kafka/consumer/group-message.context.js';
import { REDRIVE_HEADERS, redriveSource } from '../kafka/kafka.constants.js';

/** Record ids each group's handler remembers to handle an id once (see RecentIds). */
export const DEDUP_WINDOW_IDS = 100_000;

/**
 * The last `capacity` record ids seen, oldest forgotten first: both groups
 * handle a record id once within this window, so what they do stays exact
 * through client retries with the same Idempotency-Key (same ids) and through
 * redelivery after a consumer restart. A repeat older than the window counts again.
 *
 * Why a ring next to the Set: evicting with `set.values().next()` walks over
 * every deleted entry V8 keeps at the front of a Set until it rehashes, which
 * cost ~40 µs per record once the window was full (`npm run bench`).
 */
export class RecentIds {
  private readonly ids = new Set<string>();
  /** The ids in arrival order; `next` is the oldest once the ring is full. */
  private readonly ring: string[] = [];
  private next = 0;

  constructor(readonly capacity: number) {}

  /** True the first time `id` is seen within the window. */
  firstTime(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ring.length < this.capacity) {
      this.ring.push(id);
    } else {
      this.ids.delete(this.ring[this.next]);
      this.ring[this.next] = id;
      this.next = (this.next + 1) % this.capacity;
    }
    return true;
  }
}

/**
 * The id a group's window remembers for one handling of a record. A
 * redriven record (read by `<group>.redrive` from the group's redrive topic)
 * is the same id the group saw, and failed on, before: keyed by its dead
 * letter's coordinates instead, it is handled once per dead letter redriven,
 * not dropped as a repeat of the original.
 */
export function handlingKey(id: string, meta: GroupMessageMeta): string {
  if (redriveSource(meta.topic, meta.groupId) === null) return id;
  const headers = meta.headers;
  return `redrive:${headers[REDRIVE_HEADERS.dlqPartition]}:${headers[REDRIVE_HEADERS.dlqOffset]}:${id}`;
}
