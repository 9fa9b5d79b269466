/**
 * The rebalance phase's steady load: one record per partition every tick,
 * written by the bench itself (an idempotent kafkajs producer, acks=all) in the
 * service's record shape, so the service handles them like POST /produce's.
 * The bench keeps each id's send time: a record's end-to-end latency is its
 * journal line's time minus that.
 */
import { randomUUID } from 'node:crypto';
import type { TestAdmin } from '../../test/support/test-admin.js';

export interface SteadyLoad {
  /** Record id → Date.now() just before its send. */
  readonly sentAt: Map<string, number>;
  /** Stops after the send in flight; what was written and what failed. */
  stop(): Promise<{ records: number; failures: string[] }>;
}

export function steadyLoad(
  admin: TestAdmin,
  topic: string,
  partitions: number,
  recordsPerSecond: number,
): SteadyLoad {
  const producer = admin.producer();
  const sentAt = new Map<string, number>();
  const failures: string[] = [];
  // One record per partition per tick: every partition gets a record each
  // tickMs, so a pause of a partition shows as a gap in its handled records.
  const tickMs = (1_000 * partitions) / recordsPerSecond;
  let stopping = false;
  const loop = (async () => {
    await producer.connect();
    const began = Date.now();
    for (let tick = 0; !stopping; tick++) {
      const due = began + tick * tickMs;
      if (due > Date.now()) await sleep(due - Date.now());
      const now = Date.now();
      const producedAt = new Date(now).toISOString();
      const ids = Array.from({ length: partitions }, () => randomUUID());
      ids.forEach((id) => sentAt.set(id, now));
      const messages = ids.map((id, partition) => ({
        partition,
        key: null,
        value: JSON.stringify({
          id,
          partition,
          sequence: tick + 1,
          producedAt,
          payload: null,
        }),
      }));
      // A failed send stays in sentAt: its records may be written all the same.
      await producer.send({ topic, acks: -1, messages }).catch((error) => {
        failures.push(error instanceof Error ? error.message : String(error));
      });
    }
  })();
  return {
    sentAt,
    async stop() {
      stopping = true;
      await loop;
      await producer.disconnect();
      return { records: sentAt.size, failures };
    },
  };
}

function sleep(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, millis));
}
