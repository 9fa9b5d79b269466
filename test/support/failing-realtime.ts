import { Injectable } from '@nestjs/common';
import { RealtimeService } from '../../src/consumers/realtime/realtime.service.js';
import type { GroupMessageMeta } from '../../src/kafka/consumer/group-message.context.js';
import type { DemoMessage } from '../../src/messages/demo-message.js';

/** The payload that makes FailingRealtimeService refuse a record (until `fixed`). */
export const POISON = { fail: true };
/** The payload it refuses even when `fixed`: a record that fails again after a redrive. */
export const ALWAYS_POISON = { fail: 'always' };

/**
 * Realtime that throws for payloads `{ fail: true }` (POISON) and counts
 * every attempt per record id; analytics stays as it is. The Kafka side of a
 * test that overrides RealtimeService with it stays real. `fixed = true` is
 * the in-process switch that "deploys the fix": POISON is then handled, and
 * only ALWAYS_POISON still fails.
 */
@Injectable()
export class FailingRealtimeService extends RealtimeService {
  static readonly attempts = new Map<string, number>();
  static fixed = false;

  override handle(message: DemoMessage, meta: GroupMessageMeta) {
    FailingRealtimeService.attempts.set(
      message.id,
      (FailingRealtimeService.attempts.get(message.id) ?? 0) + 1,
    );
    const fail = (message.payload as { fail?: unknown } | null)?.fail;
    if (fail === 'always' || (fail && !FailingRealtimeService.fixed)) {
      throw new Error(`refusing ${message.id}`);
    }
    return super.handle(message, meta);
  }
}
