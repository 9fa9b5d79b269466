/**
 * What one rebalance did to the records, from the group's journals alone (every
 * record each process handled, with its partition, id, pid and time): pure
 * functions, so the figures come from what the service did, not from what it says.
 */
import type { JournalEntry } from '../../test/support/replica-process.js';

/** One rebalance: from its event to a moment after the group settled again. */
export interface Step {
  /** The event: the signal sent, or the new replica spawned (Date.now). */
  t0: number;
  /** The group settled plus a tail, so each partition's first records after it are in. */
  t1: number;
  /** The process stopped (SIGTERM or SIGKILL) at t0, if any. */
  stoppedPid?: number;
}

export interface StepFigures {
  /** Longest gap between two handled records of any partition in the quiet time before t0. */
  steadyGapMs: number;
  /** Partitions whose owner changed (another instance id if static, another process if not). */
  moved: Set<number>;
  ownerChanges: number;
  /** Longest gap of the partitions that neither moved nor belonged to the stopped process; null if none. */
  othersPauseMs: number | null;
  /**
   * Longest wait of the partitions that moved or whose process stopped: from the
   * event (or the previous process' last record of it, if later) to the first
   * record another process handled; Infinity if none did within the step.
   */
  waitMs: number | null;
  /** Handled time minus send time of every record handled in the step (repeats too). */
  latenciesMs: number[];
  /** Records handled in the step whose id the group had handled before. */
  duplicates: number;
}

/** The journals indexed once for all steps of a row. */
export interface Handled {
  byPartition: Map<number, JournalEntry[]>;
  /** When each repeat of an already handled id was handled. */
  repeatsAt: number[];
}

/** `entries` oldest first. */
export function indexHandled(entries: JournalEntry[]): Handled {
  const byPartition = new Map<number, JournalEntry[]>();
  const seen = new Set<string>();
  const repeatsAt: number[] = [];
  for (const entry of entries) {
    const list = byPartition.get(entry.partition) ?? [];
    list.push(entry);
    byPartition.set(entry.partition, list);
    if (seen.has(entry.id)) repeatsAt.push(entry.at);
    seen.add(entry.id);
  }
  return { byPartition, repeatsAt };
}

export function measureStep(
  handled: Handled,
  step: Step,
  ownerOf: (pid: number) => string,
  sentAt: Map<string, number>,
  steadyMs: number,
): StepFigures {
  const { t0, t1, stoppedPid } = step;
  const moved = new Set<number>();
  let ownerChanges = 0;
  let steadyGapMs = 0;
  let othersPauseMs: number | null = null;
  let waitMs: number | null = null;
  const latenciesMs: number[] = [];
  for (const [partition, all] of handled.byPartition) {
    const before = all.filter((e) => e.at < t0);
    steadyGapMs = Math.max(
      steadyGapMs,
      longestGap(before.filter((e) => e.at >= t0 - steadyMs)),
    );
    const inStep = all.filter((e) => e.at >= t0 && e.at <= t1);
    for (const e of inStep) {
      const sent = sentAt.get(e.id);
      if (sent !== undefined) latenciesMs.push(e.at - sent);
    }
    // The partition's records from its last one before the event to the step's end.
    const last = before.at(-1);
    const run = last ? [last, ...inStep] : inStep;
    const changes = run.filter(
      (e, i) => i > 0 && ownerOf(e.pid) !== ownerOf(run[i - 1]!.pid),
    ).length;
    ownerChanges += changes;
    if (changes > 0) moved.add(partition);
    if (changes > 0 || (last && last.pid === stoppedPid)) {
      waitMs = Math.max(waitMs ?? 0, takeover(run, t0));
    } else {
      othersPauseMs = Math.max(othersPauseMs ?? 0, longestGap(run));
    }
  }
  const duplicates = handled.repeatsAt.filter((at) => at >= t0 && at <= t1);
  return {
    steadyGapMs,
    moved,
    ownerChanges,
    othersPauseMs,
    waitMs,
    latenciesMs,
    duplicates: duplicates.length,
  };
}

/** Several steps as one (a rolling restart): maxima, sums, and partitions moved in any. */
export function combineSteps(steps: StepFigures[]): StepFigures {
  const most = (values: (number | null)[]) =>
    values.reduce<number | null>(
      (a, b) => (b === null ? a : Math.max(a ?? 0, b)),
      null,
    );
  return {
    steadyGapMs: Math.max(...steps.map((s) => s.steadyGapMs)),
    moved: new Set(steps.flatMap((s) => [...s.moved])),
    ownerChanges: steps.reduce((n, s) => n + s.ownerChanges, 0),
    othersPauseMs: most(steps.map((s) => s.othersPauseMs)),
    waitMs: most(steps.map((s) => s.waitMs)),
    latenciesMs: steps.flatMap((s) => s.latenciesMs),
    duplicates: steps.reduce((n, s) => n + s.duplicates, 0),
  };
}

/** The longest wait, within `run`, for a record handled by another process than the one before. */
function takeover(run: JournalEntry[], t0: number): number {
  // Infinity: nobody took the partition over within the step.
  let longest = -Infinity;
  for (let i = 1; i < run.length; i++) {
    const previous = run[i - 1]!;
    if (run[i]!.pid !== previous.pid)
      longest = Math.max(longest, run[i]!.at - Math.max(t0, previous.at));
  }
  return longest === -Infinity ? Infinity : longest;
}

function longestGap(entries: JournalEntry[]): number {
  let longest = 0;
  for (let i = 1; i < entries.length; i++)
    longest = Math.max(longest, entries[i]!.at - entries[i - 1]!.at);
  return longest;
}

/** The q-quantile (nearest rank) of `values`; null when empty. */
export function quantile(values: number[], q: number): number | null {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? null;
}
