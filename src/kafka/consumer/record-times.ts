import type { ConsumedRecord } from '../client/group-consumer.port.js';

/** A record's timestamp (ms since epoch); `exact` false: of the nearest record after the offset asked. */
export interface RecordTime {
  ms: number;
  exact: boolean;
}

interface Point {
  offset: bigint;
  ms: number;
}

interface PartitionTimes {
  /** The last fetched batches, as the client handed them over (no copy). */
  recent: (readonly ConsumedRecord[])[];
  /** First and last record of every batch seen, by offset. */
  points: Point[];
}

/** Batches kept whole: the one being handled and the one before (its last commit may still be under way). */
const RECENT_BATCHES = 2;
/** Points kept per partition; past that every other one goes (coarser, same range). */
const MAX_POINTS = 512;

/**
 * The timestamps of records a group consumer fetched, so the age of the
 * oldest unhandled record (the one at the committed offset) is known without
 * another fetch. Exact while that record is in one of the last two batches of
 * the partition (always the case for its owner, which handles in order);
 * otherwise the nearest record after it seen here gives a lower bound of its
 * age. Nothing per record: a reference per batch and two points.
 */
export class RecordTimes {
  private readonly partitions = new Map<number, PartitionTimes>();

  fetched(partition: number, records: readonly ConsumedRecord[]): void {
    if (records.length === 0) return;
    let entry = this.partitions.get(partition);
    if (!entry) {
      entry = { recent: [], points: [] };
      this.partitions.set(partition, entry);
    }
    entry.recent.push(records);
    if (entry.recent.length > RECENT_BATCHES) entry.recent.shift();
    addPoint(entry.points, records[0]);
    addPoint(entry.points, records[records.length - 1]);
  }

  /** Lets the batches of a partition this member gave up go (the points stay). */
  forgetBatches(keep: (partition: number) => boolean): void {
    for (const [partition, entry] of this.partitions) {
      if (!keep(partition)) entry.recent = [];
    }
  }

  /** The timestamp of the first record at or after `offset` in `partition`, if seen. */
  at(partition: number, offset: string): RecordTime | undefined {
    const entry = this.partitions.get(partition);
    if (!entry) return undefined;
    const target = BigInt(offset);
    for (const records of entry.recent) {
      const first = BigInt(records[0].offset);
      const last = BigInt(records[records.length - 1].offset);
      if (first <= target && target <= last) {
        const record = records[firstAtOrAfter(records, target)];
        return { ms: Number(record.timestamp), exact: true };
      }
    }
    const point = entry.points.find((p) => p.offset >= target);
    return point && { ms: point.ms, exact: point.offset === target };
  }
}

/** Index of the first record whose offset is at least `target` (binary search; offsets ascend). */
function firstAtOrAfter(records: readonly ConsumedRecord[], target: bigint) {
  let low = 0;
  let high = records.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (BigInt(records[middle].offset) < target) low = middle + 1;
    else high = middle;
  }
  return low;
}

function addPoint(points: Point[], record: ConsumedRecord): void {
  const ms = Number(record.timestamp);
  if (!(ms > 0)) return; // no timestamp (-1): nothing to tell
  const offset = BigInt(record.offset);
  let index = points.length;
  while (index > 0 && points[index - 1].offset >= offset) index--;
  if (points[index]?.offset === offset) return;
  points.splice(index, 0, { offset, ms });
  if (points.length > MAX_POINTS) {
    const last = points[points.length - 1];
    const kept = points.filter((_, i) => i % 2 === 0);
    if (kept[kept.length - 1] !== last) kept.push(last);
    points.splice(0, points.length, ...kept);
  }
}
