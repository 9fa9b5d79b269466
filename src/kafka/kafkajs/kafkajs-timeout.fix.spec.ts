import { createRequire } from 'node:module';
import { applyNonNegativeThrottleCheck } from './kafkajs-timeout.fix.js';

const require = createRequire(import.meta.url);

interface Queue {
  throttledUntil: number;
  pending: unknown[];
  scheduleCheckPendingRequests(): void;
}
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
  new (options: object): Queue;
  prototype: Queue;
};
// Taken before the fix is applied in this process: kafkajs' own.
const kafkajsSchedule = RequestQueue.prototype.scheduleCheckPendingRequests;

/** A queue in the state given, as a connection to a broker holds one. */
function queue(state: Partial<Queue> = {}): Queue {
  const created = new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 1_000,
    enforceRequestTimeout: false,
    clientId: 'spec',
    broker: 'broker:9092',
    logger: { debug: () => undefined, warn: () => undefined },
    isConnected: () => true,
  });
  return Object.assign(created, state);
}

/** The delay `schedule` hands to setTimeout (nothing is scheduled). */
function delayOf(schedule: (this: Queue) => void, target: Queue): number {
  const setTimer = vi
    .spyOn(globalThis, 'setTimeout')
    .mockImplementation((() => ({})) as never);
  try {
    schedule.call(target);
    return Number(setTimer.mock.calls[0][1]);
  } finally {
    setTimer.mockRestore();
  }
}

describe('the request queue’s throttle check, never scheduled below 0 ms', () => {
  applyNonNegativeThrottleCheck();
  const fixed = RequestQueue.prototype.scheduleCheckPendingRequests;

  it('is scheduled at 0 ms on an idle queue, where kafkajs asks for about -1.8e12 ms', () => {
    expect(delayOf(kafkajsSchedule, queue())).toBeLessThan(-1e12); // the bug
    expect(delayOf(fixed, queue())).toBe(0);
  });

  it('keeps kafkajs’ delays otherwise: 10 ms with requests pending, the rest of a throttle', () => {
    const pending = () => queue({ pending: [{}] });
    expect(delayOf(fixed, pending())).toBe(delayOf(kafkajsSchedule, pending()));
    expect(delayOf(fixed, pending())).toBe(10);

    const throttledUntil = Date.now() + 60_000;
    const throttled = delayOf(fixed, queue({ throttledUntil }));
    expect(throttled).toBeGreaterThan(50_000);
    expect(throttled).toBeLessThanOrEqual(60_000);
  });
});
