import type { ConsumedRecord } from '../client/group-consumer.port.js';
import type {
  GroupMessageMeta,
  GroupRecord,
  GroupRecords,
} from './group-message.context.js';

export interface RecordSliceHooks {
  /** Record value → payload; a throw ends the slice before that record (it is dead-lettered by the caller). */
  decode(value: Buffer | null): unknown;
  meta(record: ConsumedRecord): GroupMessageMeta;
  /** The handler moved past this record (or returned while holding it): it is handled. May throw. */
  handled(meta: GroupMessageMeta, payload: unknown, seconds: number): void;
  /** True once shutdown began or the partition is being taken away: the slice ends before the next record. */
  stopped(): boolean;
}

/** Why a slice ended before its last record; undefined if it reached the end. */
export type SliceStop = 'deadline' | 'stopped' | 'undecodable';

/**
 * The records one call of a batch handler iterates: a run of one fetched
 * batch, from `start`, decoded one by one as the handler asks for them.
 *
 * A record counts as handled when the handler asks for the next one, or
 * returns while holding it: that is when `hooks.handled` runs (journal,
 * counters) and `lastHandled` moves. The slice ends early, before handing
 * over the next record, once `deadlineMs` passed (so the caller can let
 * timers, I/O and signals in), when shutdown begins or the partition is
 * being taken away, or at a record that
 * cannot be decoded. If the handler throws, `held` is the record it held.
 */
export class RecordSlice
  implements GroupRecords, Iterator<GroupRecord>, IterableIterator<GroupRecord>
{
  /** Index of the next record to hand over. */
  position: number;
  /** Index of the record the handler holds (handed over, not yet handled), or -1. */
  held = -1;
  /** The record at `held`, decoded. */
  heldRecord: GroupRecord | undefined;
  /** Index of the last record handled in this slice, or -1. */
  lastHandled = -1;
  stop: SliceStop | undefined;
  /** `hooks.handled` threw: not the handler's failure, nothing more may be committed. */
  failedToFinish = false;
  private heldAt = 0;

  constructor(
    private readonly records: readonly ConsumedRecord[],
    private readonly start: number,
    private readonly deadlineMs: number,
    private readonly hooks: RecordSliceHooks,
  ) {
    this.position = start;
  }

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<GroupRecord> {
    this.finish();
    if (this.position >= this.records.length) {
      return DONE;
    }
    if (this.hooks.stopped()) {
      this.stop = 'stopped';
      return DONE;
    }
    const now = performance.now();
    // At least one record per slice, so every call makes progress.
    if (this.position > this.start && now >= this.deadlineMs) {
      this.stop = 'deadline';
      return DONE;
    }
    const record = this.records[this.position];
    let payload: unknown;
    try {
      payload = this.hooks.decode(record.value);
    } catch {
      this.stop = 'undecodable';
      return DONE;
    }
    this.held = this.position++;
    this.heldAt = now;
    this.heldRecord = { payload, meta: this.hooks.meta(record) };
    return { done: false, value: this.heldRecord };
  }

  /** The record held, if any, is handled (called on each next() and when the handler returns). */
  finish(): void {
    const held = this.heldRecord;
    if (!held) {
      return;
    }
    this.heldRecord = undefined;
    const seconds = (performance.now() - this.heldAt) / 1_000;
    try {
      this.hooks.handled(held.meta, held.payload, seconds);
    } catch (error) {
      this.failedToFinish = true;
      throw error;
    }
    this.lastHandled = this.held;
    this.held = -1;
  }
}

const DONE: IteratorResult<GroupRecord> = { done: true, value: undefined };
