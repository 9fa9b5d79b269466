import type {
  ConsumedRecord,
  RecordBatch,
} from '../client/group-consumer.port.js';
import type { ConsumerEvents } from './consumer.events.js';
import type { GroupConsumerState } from './group-consumer.state.js';
import {
  GroupBatchContext,
  type GroupRecords,
} from './group-message.context.js';
import { errorMessage } from '../kafka.errors.js';
import {
  metaOf,
  type RecordOutcome,
  type RecordPipeline,
} from './record-pipeline.js';
import { RecordSlice, type RecordSliceHooks } from './record-slice.js';

export interface BatchRunnerOptions {
  groupId: string;
  heartbeatIntervalMs: number;
  /** Record value → payload (what the pipeline decodes with too). */
  decode: (value: Buffer | null) => unknown;
  pipeline: RecordPipeline;
  state: GroupConsumerState;
  /**
   * The batch handler, when there is one: one call per slice of a batch.
   * Without it every record goes through the pipeline's per-record handler.
   */
  batchHandler?: (
    records: GroupRecords,
    context: GroupBatchContext,
  ) => Promise<void>;
  /**
   * Where what became of each record is told: `handled` (before its commit;
   * a listener that throws stops the batch), `processed` or `deadLettered`,
   * then `finished` (its offset may be committed), and `warning`.
   */
  events: ConsumerEvents;
}

/**
 * One fetched batch of one partition, in offset order: to the batch handler
 * a slice at a time, or record by record through the pipeline. Stops between
 * records when shutdown begins or the partition is being taken away. Every
 * finished record is queued for commit; the last one is resolved (the client
 * fetches after it) when the batch ends, however it ends. Knows no client
 * and no Nest: the transport hands it batches and handlers.
 */
export class BatchRunner {
  constructor(private readonly options: BatchRunnerOptions) {}

  async run(batch: RecordBatch): Promise<void> {
    this.options.state.fetched(
      batch.partition,
      batch.highWatermark,
      batch.records,
    );
    const progress: BatchProgress = {};
    try {
      if (this.options.batchHandler) {
        await this.runSlices(batch, this.options.batchHandler, progress);
      } else {
        await this.runRecords(batch, progress);
      }
    } finally {
      if (progress.done !== undefined) batch.resolve(progress.done);
    }
  }

  /** Per-record handler: one Nest call per record. */
  private async runRecords(
    batch: RecordBatch,
    progress: BatchProgress,
  ): Promise<void> {
    const { topic, partition } = batch;
    const { state, pipeline } = this.options;
    const heartbeat = () => batch.heartbeat();
    let sinceHeartbeat = Date.now();
    let sinceYield = performance.now();
    for (const record of batch.records) {
      if (state.draining || !batch.isActive()) {
        // Not handled, not committed: fetched again, here or by the next owner.
        return;
      }
      const started = performance.now();
      // Why: handlers that finish at once chain the records of a batch (and
      // of prefetched batches) as microtasks, which would starve timers, I/O
      // and signals for seconds: probes, /metrics and SIGTERM wait no longer
      // than YIELD_EVERY_MS.
      if (started - sinceYield >= YIELD_EVERY_MS) {
        await new Promise(setImmediate);
        sinceYield = performance.now();
        if (state.draining || !batch.isActive()) return;
      }
      const outcome = await pipeline.process(
        topic,
        partition,
        record,
        heartbeat,
      );
      if (!this.counted(outcome, started)) return;
      progress.done = record.offset;
      this.options.events.emit('finished', partition, record.offset);
      // A long batch keeps the membership alive (the client throttles it).
      if (Date.now() - sinceHeartbeat >= this.options.heartbeatIntervalMs) {
        sinceHeartbeat = Date.now();
        await heartbeat();
      }
    }
  }

  /**
   * Batch handler: one Nest call per slice of the batch (at most
   * YIELD_EVERY_MS of work, then timers, I/O and signals get their turn). A
   * record the handler throws on is retried alone through the pipeline, then
   * dead-lettered; a record that cannot be decoded is dead-lettered at once;
   * both are committed past, and the next slice starts after them.
   */
  private async runSlices(
    batch: RecordBatch,
    handler: NonNullable<BatchRunnerOptions['batchHandler']>,
    progress: BatchProgress,
  ): Promise<void> {
    const { topic, partition, records } = batch;
    const { state, pipeline, groupId } = this.options;
    const heartbeat = () => batch.heartbeat();
    const context = new GroupBatchContext([{ groupId, topic, partition }]);
    const hooks = this.sliceHooks(batch);
    let sinceHeartbeat = Date.now();
    let position = 0;
    while (position < records.length) {
      if (state.draining || !batch.isActive()) return;
      const slice = new RecordSlice(
        records,
        position,
        performance.now() + YIELD_EVERY_MS,
        hooks,
      );
      let failure: unknown;
      let failed = false;
      try {
        await handler(slice, context);
        slice.finish();
      } catch (error) {
        if (slice.failedToFinish) throw error;
        failure = error;
        failed = true;
      }
      if (slice.lastHandled >= 0) {
        progress.done = records[slice.lastHandled].offset;
        this.options.events.emit('finished', partition, progress.done);
      }
      position = slice.position;
      if (
        failed &&
        !slice.heldRecord &&
        (slice.stop === 'stopped' || position >= records.length)
      ) {
        // It threw holding no record, after its last one: the records it
        // moved past are handled (the contract), and there is none to blame.
        this.options.events.emit(
          'warning',
          `the batch handler threw after its last record of ${topic}[${partition}] (those it moved past count as handled): ${errorMessage(failure)}`,
        );
        return;
      }
      if (failed || slice.stop === 'undecodable') {
        // The record the handler failed on (or, if it held none, the next
        // one), or the one that could not be decoded: alone, with retries.
        const held = failed && slice.heldRecord ? slice.heldRecord : undefined;
        const index = held ? slice.held : position;
        const record: ConsumedRecord = records[index];
        const started = performance.now();
        const outcome = await pipeline.process(
          topic,
          partition,
          record,
          heartbeat,
          held && { ...held, error: failure },
        );
        if (!this.counted(outcome, started)) return;
        progress.done = record.offset;
        this.options.events.emit('finished', partition, record.offset);
        position = index + 1;
      }
      if (slice.stop === 'stopped') return;
      if (slice.stop === 'deadline') {
        await new Promise(setImmediate);
      }
      if (Date.now() - sinceHeartbeat >= this.options.heartbeatIntervalMs) {
        sinceHeartbeat = Date.now();
        await heartbeat();
      }
    }
  }

  /** What a slice does with each record it hands over and each one handled. */
  private sliceHooks(batch: RecordBatch): RecordSliceHooks {
    const { groupId, decode, state, events } = this.options;
    const { topic, partition } = batch;
    return {
      decode,
      meta: (record) => metaOf(groupId, topic, partition, record),
      handled: (meta, payload, seconds) => {
        events.emit('handled', meta, payload);
        events.emit('processed', seconds);
      },
      stopped: () => state.draining || !batch.isActive(),
    };
  }

  /** Counts a record's outcome; false if it was abandoned (the batch stops there). */
  private counted(outcome: RecordOutcome, started: number): boolean {
    const seconds = (performance.now() - started) / 1_000;
    if (outcome.kind === 'abandoned') {
      return false;
    }
    this.options.events.emit(
      outcome.kind === 'handled' ? 'processed' : 'deadLettered',
      seconds,
    );
    return true;
  }
}

/** How far a batch got: the offset of its last finished record. */
interface BatchProgress {
  done?: string;
}

/** Longest run of records handled without letting timers, I/O and signals in. */
const YIELD_EVERY_MS = 10;
