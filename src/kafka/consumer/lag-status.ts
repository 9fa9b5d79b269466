/**
 * A partition's status over a sliding window of its group's commits, in the
 * manner of Burrow's evaluation rules: no fixed lag threshold, only whether
 * the group keeps up, falls behind, or no longer moves.
 *
 * - OK: no lag now, or the lag was 0 at some commit of the window, or the
 *   offset moves and the lag went down at least once.
 * - WARN: the offset moves, but the lag never went down across the window
 *   (at least two commits): the group falls behind.
 * - STALL: commits still arrive, but every commit of the window carries the
 *   same offset while there is lag: the member is there and does not advance.
 * - STOP: there is lag, and the group has not committed for longer than
 *   `stopAfterMs`, counted from its last commit or from when the lag
 *   appeared, whichever is later (a consumer caught up and idle is not
 *   stopped when new records arrive).
 *
 * - PAUSED: an operator paused the partition (POST /consumers/{group}/pause):
 *   it is meant not to move, so it is neither STALL nor STOP, whatever its lag.
 *   Decided by the caller, not by these rules (they see commits only).
 *
 * A group's status is the worst of its partitions, with Burrow's roll-up:
 * OK, WARN, or ERR when any partition is STALL or STOP; PAUSED when the
 * others are OK and at least one is paused.
 */
export const PARTITION_STATUSES = [
  'OK',
  'WARN',
  'STALL',
  'STOP',
  'PAUSED',
] as const;
export type PartitionStatus = (typeof PARTITION_STATUSES)[number];
/**
 * The status as a number (nkg_consumergroup_status). PAUSED is -1, below OK:
 * an alert on `>= 2` (STALL, STOP) and a group's `max` stay what they were,
 * and a group whose every partition is paused reads -1.
 */
export const STATUS_VALUES: Readonly<Record<PartitionStatus, number>> = {
  OK: 0,
  WARN: 1,
  STALL: 2,
  STOP: 3,
  PAUSED: -1,
};
export type GroupLagStatus = 'OK' | 'WARN' | 'ERR' | 'PAUSED';

/** One commit of a partition: the next offset to read, the lag then, when (ms). */
export interface LagSample {
  offset: bigint;
  lag: number;
  time: number;
}

export interface LagNow {
  /** Records behind the end of the partition now. */
  lag: number;
  now: number;
  /** ms since epoch: the later of the last commit and the moment the lag appeared. */
  idleSince: number;
  stopAfterMs: number;
}

/** The pure rules: a window of commits (oldest first) and the present → a status. */
export function evaluatePartition(
  window: readonly LagSample[],
  { lag, now, idleSince, stopAfterMs }: LagNow,
): PartitionStatus {
  if (lag === 0) return 'OK';
  if (now - idleSince > stopAfterMs) return 'STOP';
  if (window.some((sample) => sample.lag === 0)) return 'OK';
  if (window.length < 2) return 'OK';
  const steps = window.slice(1).map((sample, i) => [window[i], sample]);
  if (steps.every(([before, after]) => after.offset === before.offset)) {
    return 'STALL';
  }
  if (steps.every(([before, after]) => after.lag >= before.lag)) {
    return 'WARN';
  }
  return 'OK';
}

/** The worst partition decides: WARN stays WARN, STALL and STOP make the group ERR; a paused one is no failure. */
export function groupStatus(
  partitions: readonly PartitionStatus[],
): GroupLagStatus {
  if (partitions.some((status) => status === 'STALL' || status === 'STOP')) {
    return 'ERR';
  }
  if (partitions.includes('WARN')) return 'WARN';
  return partitions.includes('PAUSED') ? 'PAUSED' : 'OK';
}

/** Commits kept per partition: Burrow's default window. */
export const WINDOW_SIZE = 10;
/** Commits closer than this to the newest kept one replace it (under load a member commits every few ms). */
export const WINDOW_MIN_GAP_MS = 1_000;

/**
 * What one observer knows of one partition of one group: the window of its
 * commits and when the group last showed no lag. Fed by the owner's own
 * commits, or by readings of the group's committed offset (a group no
 * replica here consumes, the dashboard).
 */
export class LagHistory {
  private readonly window: LagSample[] = [];
  private lastCommitAt: number;
  /** When the lag last went from 0 to more, while nothing was committed since. */
  private behindSince: number | undefined;

  /** `since`: when this observer started watching (a partition just assigned is not idle before that). */
  constructor(since: number) {
    this.lastCommitAt = since;
  }

  /** The group committed `offset` (the next to read), `lag` records behind then. */
  commit(offset: bigint, lag: number, time: number): void {
    if (offset < (this.window.at(-1)?.offset ?? offset)) {
      // Offsets reset (an operator, or a new owner from older offsets): a new history.
      this.window.length = 0;
    }
    const newest = this.window.at(-1);
    const sample = { offset, lag, time };
    if (newest && time - newest.time < WINDOW_MIN_GAP_MS) {
      this.window[this.window.length - 1] = sample;
    } else {
      this.window.push(sample);
      if (this.window.length > WINDOW_SIZE) this.window.shift();
    }
    this.lastCommitAt = time;
    this.behindSince = lag > 0 ? time : undefined;
  }

  /** The partition's lag as seen at `time` (a fetch, a broker read). */
  sawLag(lag: number, time: number): void {
    if (lag === 0) {
      this.behindSince = undefined;
    } else {
      this.behindSince ??= time;
    }
  }

  /** A reading of the group's committed offset: a commit when it moved (or is the first one seen). */
  read(offset: bigint, lag: number, time: number): void {
    const newest = this.window.at(-1);
    if (!newest || newest.offset !== offset) {
      this.commit(offset, lag, time);
    } else {
      this.sawLag(lag, time);
    }
  }

  status(lag: number, now: number, stopAfterMs: number): PartitionStatus {
    const idleSince = Math.max(this.lastCommitAt, this.behindSince ?? now);
    return evaluatePartition(this.window, { lag, now, idleSince, stopAfterMs });
  }

  samples(): readonly LagSample[] {
    return this.window;
  }
}
