/**
 * The checks of a pause or resume request that need more than its shape
 * (the DTO checks that): partitions the topic has, an `until` that can be
 * read and lies ahead. Each failure is one sentence that says what to fix.
 */

/** ISO 8601 / RFC 3339 date-time with a time zone (Z or an offset). */
const ISO_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

export function checkPartitions(
  partitions: readonly number[] | undefined,
  partitionCount: number,
): Checked<readonly number[] | undefined> {
  if (partitions === undefined) return { ok: true, value: undefined };
  const unknown = partitions.filter((p) => p >= partitionCount);
  if (unknown.length > 0) {
    return {
      ok: false,
      error: `partitions ${unknown.slice(0, 10).join(', ')} do not exist: the topic has ${partitionCount} partition${partitionCount === 1 ? '' : 's'} (0 to ${partitionCount - 1})`,
    };
  }
  return { ok: true, value: [...partitions].sort((a, b) => a - b) };
}

/** `until` as a normalized ISO string, if it is one and lies after `now`. */
export function checkUntil(
  until: string | undefined,
  now: number,
): Checked<string | null> {
  if (until === undefined) return { ok: true, value: null };
  const at = ISO_DATE_TIME.test(until) ? Date.parse(until) : NaN;
  if (Number.isNaN(at)) {
    return {
      ok: false,
      error: `until must be an ISO 8601 date-time with a time zone, e.g. ${new Date(now + 3_600_000).toISOString()}`,
    };
  }
  if (at <= now) {
    return {
      ok: false,
      error: `until (${until}) is not in the future: give a later time, or resume the group instead`,
    };
  }
  return { ok: true, value: new Date(at).toISOString() };
}
