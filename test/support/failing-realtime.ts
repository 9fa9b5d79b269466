import { Injectable } from '@nestjs/common';
import { RealtimeService } from '../../src/consumers/realtime/realtime.service.js';
import type { GroupMessageMeta } from '../../src/kafka/consumer/group-message.context.js';
import type { DemoMessage } from '../../src/messages/demo-message.js';

/** The payload that makes FailingRealtimeService refuse a record. */
export const POISON = { fail: true };

/**
 * Realtime that throws for payloads `{ fail: true }` (POISON) and counts
 * every attempt per record id; analytics stays as it is. The Kafka side of a
 * test that overrides RealtimeService with it stays real.
 */
@Injectable()
export class FailingRealtimeService extends RealtimeService {
  static readonly attempts = new Map<string, number>();

  override handle(message: DemoMessage, meta: GroupMessageMeta) {
    FailingRealtimeService.attempts.set(
      message.id,
      (FailingRealtimeService.attempts.get(message.id) ?? 0) + 1,
    );
    if ((message.payload as { fail?: boolean } | null)?.fail) {
      throw new Error(`refusing ${message.id}`);
    }
    return super.handle(message, meta);
  }
}
