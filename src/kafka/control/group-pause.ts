/**
 * The pure part of pausing a group: what a pause is, how requests merge into
 * it, when its marks run out, and the control record it travels in. No
 * client, no Nest: the board (group-pause.board.ts) reads and writes the
 * records, the gate (pausable-group-consumer.ts) applies them.
 */

/** Who paused, since when, until when (null: until resumed). ISO 8601 strings. */
export interface PauseMark {
  since: string;
  until: string | null;
  by: string | null;
}

/** One group's pause: the whole group, and/or some partitions (keyed by number). */
export interface GroupPause {
  all: PauseMark | null;
  partitions: Record<string, PauseMark>;
}

export const NOT_PAUSED: GroupPause = Object.freeze({
  all: null,
  partitions: Object.freeze({}),
});

export interface PauseChange {
  /** Undefined: the whole group. */
  partitions?: readonly number[];
  until?: string | null;
  by?: string | null;
  now: Date;
}

/** The version written in every control record; a newer one is refused, not guessed. */
export const CONTROL_VERSION = 1;

/** A pause request on top of what is paused now: marks of other partitions stay. */
export function withPause(
  current: GroupPause,
  change: PauseChange,
): GroupPause {
  const mark: PauseMark = {
    since: change.now.toISOString(),
    until: change.until ?? null,
    by: change.by ?? null,
  };
  if (change.partitions === undefined) {
    return { all: mark, partitions: {} };
  }
  const partitions = { ...current.partitions };
  for (const partition of change.partitions) partitions[partition] = mark;
  return { all: current.all, partitions };
}

/**
 * A resume on top of what is paused now. Resuming some partitions of a
 * group paused as a whole keeps the others paused, with the group's mark.
 */
export function withResume(
  current: GroupPause,
  partitions: readonly number[] | undefined,
  partitionCount: number,
): GroupPause {
  if (partitions === undefined) return NOT_PAUSED;
  const kept: Record<string, PauseMark> = {};
  if (current.all) {
    for (let p = 0; p < partitionCount; p++) kept[p] = current.all;
  }
  Object.assign(kept, current.partitions);
  for (const partition of partitions) delete kept[partition];
  return { all: null, partitions: kept };
}

function live(mark: PauseMark | null | undefined, now: number): boolean {
  return !!mark && (mark.until === null || Date.parse(mark.until) > now);
}

/** The pause as it holds at `now`: marks whose `until` passed are gone. */
export function activePause(pause: GroupPause, now: number): GroupPause {
  const partitions: Record<string, PauseMark> = {};
  for (const [partition, mark] of Object.entries(pause.partitions)) {
    if (live(mark, now)) partitions[partition] = mark;
  }
  return { all: live(pause.all, now) ? pause.all : null, partitions };
}

/** The mark that keeps `partition` paused at `now`, if any. */
export function pauseOf(
  pause: GroupPause,
  partition: number,
  now: number,
): PauseMark | undefined {
  const own = pause.partitions[partition];
  if (live(own, now)) return own;
  return live(pause.all, now) ? (pause.all ?? undefined) : undefined;
}

export function isPausedAt(pause: GroupPause, now: number): boolean {
  const active = activePause(pause, now);
  return active.all !== null || Object.keys(active.partitions).length > 0;
}

/** When the next mark runs out (ms since epoch), if one has an `until` still ahead. */
export function nextExpiry(pause: GroupPause, now: number): number | undefined {
  const ends = [pause.all, ...Object.values(pause.partitions)]
    .filter((mark): mark is PauseMark => !!mark && mark.until !== null)
    .map((mark) => Date.parse(mark.until as string))
    .filter((end) => end > now);
  return ends.length ? Math.min(...ends) : undefined;
}

/** The control record's value: the group's whole pause (compaction keeps the newest per group). */
export function encodeControlValue(
  groupId: string,
  pause: GroupPause,
  now: Date,
): string {
  const paused = pause.all !== null || Object.keys(pause.partitions).length > 0;
  return JSON.stringify({
    version: CONTROL_VERSION,
    group: groupId,
    state: paused ? 'paused' : 'resumed',
    all: pause.all,
    partitions: pause.partitions,
    at: now.toISOString(),
  });
}

export type ParsedControl =
  | { ok: true; groupId: string; pause: GroupPause }
  | { ok: false; error: string };

/**
 * A control record → the group's pause. A tombstone (null value) or a
 * "resumed" record means not paused; anything unreadable is refused with the
 * reason (the reader logs it and keeps the state it had).
 */
export function parseControlRecord(
  key: Buffer | null,
  value: Buffer | null,
): ParsedControl {
  const groupId = key?.toString('utf8') ?? '';
  if (!groupId) return { ok: false, error: 'a control record without a key' };
  if (value === null || value.length === 0) {
    return { ok: true, groupId, pause: NOT_PAUSED };
  }
  let body: unknown;
  try {
    body = JSON.parse(value.toString('utf8'));
  } catch {
    return { ok: false, error: `the value for ${groupId} is not JSON` };
  }
  if (!isObject(body)) {
    return { ok: false, error: `the value for ${groupId} is not an object` };
  }
  if (body.version !== CONTROL_VERSION) {
    return {
      ok: false,
      error: `the value for ${groupId} has version ${String(body.version)}, this service reads ${CONTROL_VERSION}`,
    };
  }
  if (body.state === 'resumed') return { ok: true, groupId, pause: NOT_PAUSED };
  if (body.state !== 'paused') {
    return { ok: false, error: `the value for ${groupId} has no known state` };
  }
  const all = body.all === null ? null : markOf(body.all);
  if (all === undefined) {
    return {
      ok: false,
      error: `the value for ${groupId} has a bad "all" mark`,
    };
  }
  const partitions: Record<string, PauseMark> = {};
  if (!isObject(body.partitions)) {
    return { ok: false, error: `the value for ${groupId} has no partitions` };
  }
  for (const [partition, raw] of Object.entries(body.partitions)) {
    const mark = markOf(raw);
    if (!/^\d+$/.test(partition) || !mark) {
      return {
        ok: false,
        error: `the value for ${groupId} has a bad mark for partition ${partition}`,
      };
    }
    partitions[partition] = mark;
  }
  return { ok: true, groupId, pause: { all, partitions } };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function markOf(raw: unknown): PauseMark | undefined {
  if (!isObject(raw)) return undefined;
  const { since, until, by } = raw;
  if (typeof since !== 'string' || Number.isNaN(Date.parse(since))) {
    return undefined;
  }
  if (
    until !== null &&
    (typeof until !== 'string' || Number.isNaN(Date.parse(until)))
  ) {
    return undefined;
  }
  if (by !== null && typeof by !== 'string') return undefined;
  return { since, until, by };
}

/** The control topic beside the service's topic: one compacted partition, keyed by group id. */
export function controlTopicName(topic: string): string {
  return `${topic}.control`;
}

/** A group's pause as the API shows it at `now`. */
export interface GroupPauseView {
  groupId: string;
  paused: boolean;
  all: PauseMark | null;
  partitions: (PauseMark & { partition: number })[];
}

export function pauseView(
  groupId: string,
  pause: GroupPause,
  now: number,
): GroupPauseView {
  const active = activePause(pause, now);
  const partitions = Object.entries(active.partitions)
    .map(([partition, mark]) => ({ partition: Number(partition), ...mark }))
    .sort((a, b) => a.partition - b.partition);
  return {
    groupId,
    paused: active.all !== null || partitions.length > 0,
    all: active.all,
    partitions,
  };
}
