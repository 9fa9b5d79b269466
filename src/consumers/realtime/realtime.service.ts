import { type BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { type Observable, Subject } from 'rxjs';
import type { GroupMessageMeta } from '../../kafka/consumer/group-message.context.js';
import type { DemoMessage } from '../../messages/demo-message.js';
import { DEDUP_WINDOW_IDS, handlingKey, RecentIds } from '../recent-ids.js';

export interface RealtimeEvent {
  id: string;
  topic: string;
  partition: number;
  offset: string;
  sequence: number;
  key: string | null;
  producedAt: string;
  consumedAt: string;
  /** Produce (service built the record) to consume (this handler ran), in ms. */
  latencyMs: number;
  payload: unknown;
}

/** The realtime group's business logic: react to each record at once, and let people watch. */
@Injectable()
export class RealtimeService implements BeforeApplicationShutdown {
  private readonly events$ = new Subject<RealtimeEvent>();
  // A record written twice with one id (a client's retry with the same
  // Idempotency-Key after an unknown outcome) or read again after a restart
  // is reacted to once, as analytics counts it once.
  private readonly seen = new RecentIds(DEDUP_WINDOW_IDS);

  /**
   * Reacts to one record, once per id; the event is built only while someone
   * watches the stream.
   */
  handle(message: DemoMessage, meta: GroupMessageMeta): RealtimeEvent | null {
    if (
      !this.seen.firstTime(handlingKey(message.id, meta)) ||
      !this.events$.observed
    ) {
      return null;
    }
    const consumedAt = new Date();
    const event: RealtimeEvent = {
      id: message.id,
      topic: meta.topic,
      partition: meta.partition,
      offset: meta.offset,
      sequence: message.sequence,
      key: meta.key,
      producedAt: message.producedAt,
      consumedAt: consumedAt.toISOString(),
      latencyMs: consumedAt.getTime() - Date.parse(message.producedAt),
      payload: message.payload,
    };
    this.events$.next(event);
    return event;
  }

  stream(): Observable<RealtimeEvent> {
    return this.events$.asObservable();
  }

  /** Ends open SSE streams so the HTTP server can close. */
  beforeApplicationShutdown(): void {
    this.events$.complete();
  }
}
