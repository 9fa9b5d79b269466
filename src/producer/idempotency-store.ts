import { UnprocessableEntityException } from '@nestjs/common';

interface Entry<T> {
  fingerprint: string;
  at: number;
  /** The write of the first request, while it runs. */
  pending?: Promise<T>;
  /** Its result once it succeeded. */
  result?: T;
}

export interface IdempotentOutcome<T> {
  result: T;
  /** True when this answer is an earlier request's (nothing was written now). */
  replayed: boolean;
}

/**
 * This replica's memory of Idempotency-Keys, as payment APIs keep it: a key
 * belongs to the first request that used it (its fingerprint).
 * - the same key with another request is refused (422), never written;
 * - the same request while the first is in flight waits for it and shares
 *   its outcome, instead of writing a second copy;
 * - after a success the result is replayed, nothing is written again;
 * - after a failure (the outcome is unknown) it may be written again: the
 *   record ids are the same, and both groups handle an id once.
 * Bounded: at most `maxKeys` keys, each kept `ttlMs`, the oldest forgotten first.
 */
export class IdempotencyStore<T> {
  /** In insertion order, so the oldest is first. */
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly maxKeys: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  async run(
    key: string,
    fingerprint: string,
    write: () => Promise<T>,
  ): Promise<IdempotentOutcome<T>> {
    this.forgetExpired();
    const known = this.entries.get(key);
    if (known && known.fingerprint !== fingerprint) {
      throw new UnprocessableEntityException(
        'this Idempotency-Key was already used with a different request (body or partitions): use a new key for a new request',
      );
    }
    if (known?.pending) {
      return { result: await known.pending, replayed: true };
    }
    if (known?.result !== undefined) {
      return { result: known.result, replayed: true };
    }
    const entry: Entry<T> = { fingerprint, at: this.now() };
    entry.pending = write();
    this.entries.delete(key); // re-inserted as the newest
    this.entries.set(key, entry);
    this.forgetOldest();
    try {
      entry.result = await entry.pending;
      return { result: entry.result, replayed: false };
    } finally {
      entry.pending = undefined;
    }
  }

  private forgetExpired(): void {
    const oldest = this.now() - this.ttlMs;
    for (const [key, entry] of this.entries) {
      if (entry.at > oldest) return;
      if (!entry.pending) this.entries.delete(key);
    }
  }

  private forgetOldest(): void {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.maxKeys) return;
      if (!entry.pending) this.entries.delete(key);
    }
  }
}
