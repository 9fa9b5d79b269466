import type { ConsumedRecord } from '../client/group-consumer.port.js';
import { errorMessage, MalformedMessageError } from '../kafka.errors.js';
import type { ConsumerEvents } from './consumer.events.js';
import type { GroupMessageMeta } from './group-message.context.js';

/** What became of one record; only 'abandoned' is neither handled nor to be committed. */
export type RecordOutcome =
  | { kind: 'handled' }
  | { kind: 'dead-lettered'; error: Error; attempts: number }
  /** Shutdown began during its retries: not committed, the partition's next owner reads it. */
  | { kind: 'abandoned' };

export interface RecordPipelineOptions {
  groupId: string;
  /** Retries after the first attempt; then the record is dead-lettered. */
  maxRetries: number;
  /** Backoff before retry n is retryBackoffMs * 2^(n-1). */
  retryBackoffMs: number;
  /** Record value → handler payload; throw MalformedMessageError to dead-letter at once. */
  decode(value: Buffer | null): unknown;
  /** The handler: a plain value or a promise of one; a throw or rejection is a failure. */
  handle(payload: unknown, meta: GroupMessageMeta): unknown;
  /** Writes the record to the dead-letter topic; a throw means nothing may be committed. */
  deadLetter(
    meta: GroupMessageMeta,
    record: ConsumedRecord,
    error: Error,
    attempts: number,
  ): Promise<void>;
  /**
   * Told `handled` after a successful handling, before the commit (a
   * listener that throws, the journal, means no commit), and `retried`
   * before each retry.
   */
  events: ConsumerEvents;
  /** True once shutdown began: no new retries. */
  draining(): boolean;
  /** Called between retries so the membership survives long backoffs. */
  sleep?(ms: number): Promise<void>;
}

/**
 * decode → handler → bounded retries → dead letter, for one record at a
 * time, with no client types: the batch loop feeds it records and tells the
 * outcome on. A handler that returns a plain value costs no promise or
 * observable per record.
 */
export class RecordPipeline {
  constructor(private readonly options: RecordPipelineOptions) {}

  /**
   * Handles one record; resolves with its outcome, rejects only when nothing
   * may be committed. `firstAttempt`: the record was already decoded and its
   * first attempt failed (a batch handler threw on it); the retries go on
   * from there.
   */
  async process(
    topic: string,
    partition: number,
    record: ConsumedRecord,
    heartbeat: () => Promise<void>,
    firstAttempt?: FailedAttempt,
  ): Promise<RecordOutcome> {
    const meta =
      firstAttempt?.meta ??
      metaOf(this.options.groupId, topic, partition, record);
    let payload: unknown;
    if (firstAttempt) {
      payload = firstAttempt.payload;
    } else {
      try {
        payload = this.options.decode(record.value);
      } catch (error) {
        // A record that cannot be decoded is dead-lettered at once (0 attempts).
        return this.deadLettered(meta, record, asError(error), 0);
      }
    }
    for (let attempt = 1; ; attempt++) {
      meta.attempt = attempt;
      let failure: unknown;
      let handled = false;
      if (attempt === 1 && firstAttempt) {
        failure = firstAttempt.error;
      } else {
        try {
          const result = this.options.handle(payload, meta);
          if (isThenable(result)) await result;
          handled = true;
        } catch (error) {
          failure = error;
        }
      }
      if (handled) {
        // Not the record's fault if this throws (a journal that cannot be
        // written): no retry, no dead letter, no commit; it propagates.
        this.options.events.emit('handled', meta, payload);
        return HANDLED;
      }
      if (
        failure instanceof MalformedMessageError ||
        attempt > this.options.maxRetries
      ) {
        return this.deadLettered(meta, record, asError(failure), attempt);
      }
      if (this.options.draining()) {
        return ABANDONED;
      }
      this.options.events.emit('retried', meta, failure);
      await (this.options.sleep ?? sleep)(
        this.options.retryBackoffMs * 2 ** (attempt - 1),
      );
      await heartbeat();
    }
  }

  private async deadLettered(
    meta: GroupMessageMeta,
    record: ConsumedRecord,
    error: Error,
    attempts: number,
  ): Promise<RecordOutcome> {
    meta.attempt = attempts;
    await this.options.deadLetter(meta, record, error, attempts);
    return { kind: 'dead-lettered', error, attempts };
  }
}

/** A record's first attempt, made elsewhere (by a batch handler), that failed. */
export interface FailedAttempt {
  meta: GroupMessageMeta;
  payload: unknown;
  error: unknown;
}

const HANDLED: RecordOutcome = { kind: 'handled' };
const ABANDONED: RecordOutcome = { kind: 'abandoned' };

/** Where a record came from, in plain values, for handlers, the journal and dead letters. */
export function metaOf(
  groupId: string,
  topic: string,
  partition: number,
  record: ConsumedRecord,
): GroupMessageMeta {
  return new RecordMeta(groupId, topic, partition, record);
}

/**
 * A record's meta whose text fields (key, headers) are decoded when first
 * read: most handlers read a few fields of a few records, and decoding every
 * header of every record was ~8% of a group's CPU (npm run bench). Plain
 * values all the same: JSON.stringify and `plainMeta` give every field.
 */
class RecordMeta implements GroupMessageMeta {
  attempt = 1;
  readonly offset: string;
  #key: string | null | undefined;
  #headers: Record<string, string> | undefined;
  readonly #record: ConsumedRecord;

  constructor(
    readonly groupId: string,
    readonly topic: string,
    readonly partition: number,
    record: ConsumedRecord,
  ) {
    this.offset = record.offset;
    this.#record = record;
  }

  get key(): string | null {
    if (this.#key === undefined) {
      this.#key = this.#record.key?.toString() ?? null;
    }
    return this.#key;
  }

  get headers(): Record<string, string> {
    if (this.#headers === undefined) {
      const headers: Record<string, string> = {};
      const raw = this.#record.headers;
      for (const name in raw) {
        const value = raw[name];
        if (value !== undefined) {
          headers[name] = Array.isArray(value)
            ? value.map(String).join(',')
            : value.toString();
        }
      }
      this.#headers = headers;
    }
    return this.#headers;
  }

  get timestamp(): number {
    return Number(this.#record.timestamp);
  }

  get sizeBytes(): number {
    return (this.#record.value?.length ?? 0) + (this.#record.key?.length ?? 0);
  }

  toJSON(): GroupMessageMeta {
    return plainMeta(this);
  }
}

/** Every field of a meta as an own property (a copy; for logs and tests). */
export function plainMeta(meta: GroupMessageMeta): GroupMessageMeta {
  return {
    groupId: meta.groupId,
    topic: meta.topic,
    partition: meta.partition,
    offset: meta.offset,
    key: meta.key,
    headers: meta.headers,
    timestamp: meta.timestamp,
    sizeBytes: meta.sizeBytes,
    attempt: meta.attempt,
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(errorMessage(error));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(ms, 0)));
}
