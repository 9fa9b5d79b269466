import type { GroupMessageMeta } from './group-message.context.js';
import type { PartitionOffset } from './offset-committer.js';

/**
 * What happens in one group consumer, named in one place (as kafkajs names
 * its instrumentation events and Nest's transports expose a status stream).
 * A record goes forward: the batch loop and the record pipeline emit what
 * became of it, the committer emits what became of its offset; the state,
 * the committer, the journal and the logger listen. Listeners run at once,
 * in the order they were added; a listener that throws stops the emitter
 * (the journal that cannot be written stops the batch before the commit).
 */
export interface ConsumerEventMap {
  /** A handler succeeded with this record; its commit comes after (the journal listens). */
  handled: [meta: GroupMessageMeta, payload: unknown];
  /** A record counted as processed, in `seconds` (handler and retries). */
  processed: [seconds: number];
  /** An attempt failed; the record is tried again after a backoff. */
  retried: [meta: GroupMessageMeta, error: unknown];
  /** A record went to the dead-letter topic after `seconds`. */
  deadLettered: [seconds: number];
  /** The record is done (handled or dead-lettered): its offset may be committed. */
  finished: [partition: number, offset: string];
  /** One commit request went through, in `seconds`. */
  committed: [offsets: PartitionOffset[], seconds: number];
  /** One commit request failed; the offsets stay to be committed. */
  commitFailed: [offsets: PartitionOffset[], error: unknown, seconds: number];
  /** Worth a line in the log; the work goes on. */
  warning: [message: string];
}

type Listener<K extends keyof ConsumerEventMap> = (
  ...args: ConsumerEventMap[K]
) => void;

export class ConsumerEvents {
  private readonly listeners: Partial<
    Record<keyof ConsumerEventMap, unknown[]>
  > = {};

  on<K extends keyof ConsumerEventMap>(name: K, listener: Listener<K>): this {
    const listeners: unknown[] = (this.listeners[name] ??= []);
    listeners.push(listener);
    return this;
  }

  emit<K extends keyof ConsumerEventMap>(
    name: K,
    ...args: ConsumerEventMap[K]
  ): void {
    const listeners = this.listeners[name] as Listener<K>[] | undefined;
    if (listeners === undefined) return;
    for (const listener of listeners) listener(...args);
  }
}
