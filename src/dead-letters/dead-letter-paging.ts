import type { PartitionOffsets } from '../kafka/client/kafka-admin.port.js';

/** At most this many dead letters per GET page or redrive request. */
export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 50;

/** A range of one partition to read: [from, until). */
export interface ReadRange {
  partition: number;
  from: bigint;
  until: bigint;
}

/**
 * The newest `limit` offsets below `before` (all when unset) of each
 * partition, bounded by what the partition still holds. Newest first means
 * the tail of each partition; the caller merges and keeps `limit` in all.
 */
export function newestRanges(
  partitions: readonly PartitionOffsets[],
  limit: number,
  before?: bigint,
): ReadRange[] {
  return partitions.flatMap(({ partition, low, high }) => {
    const start = BigInt(low);
    const end =
      before === undefined || before > BigInt(high) ? BigInt(high) : before;
    if (end <= start) return [];
    const from = end - BigInt(limit) > start ? end - BigInt(limit) : start;
    return [{ partition, from, until: end }];
  });
}

/**
 * Newest first (highest offset first, then partition), cut to `limit`; the
 * cursor for the next page is the lowest offset shown when older records
 * remain in some partition, null at the end.
 */
export function pageOf<T extends { dlqPartition: number; dlqOffset: string }>(
  entries: readonly T[],
  limit: number,
  partitions: readonly PartitionOffsets[],
): { entries: T[]; nextBefore: string | null } {
  const sorted = [...entries].sort((a, b) => {
    const byOffset = BigInt(b.dlqOffset) - BigInt(a.dlqOffset);
    if (byOffset !== 0n) return byOffset > 0n ? 1 : -1;
    return a.dlqPartition - b.dlqPartition;
  });
  const page = sorted.slice(0, limit);
  const last = page.at(-1);
  if (!last) return { entries: page, nextBefore: null };
  const cursor = BigInt(last.dlqOffset);
  const more = partitions.some(({ low }) => BigInt(low) < cursor);
  return { entries: page, nextBefore: more ? String(cursor) : null };
}
