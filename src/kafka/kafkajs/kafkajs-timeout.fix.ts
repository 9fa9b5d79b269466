import { createRequire } from 'node:module';
import type { RequestQueue } from './kafkajs-internals.js';

const require = createRequire(import.meta.url);
// kafkajs' own value (requestQueue/index.js): how soon to look at a non-empty queue again.
const CHECK_PENDING_REQUESTS_INTERVAL = 10;

/**
 * kafkajs 2.2.4 (unmaintained) schedules its throttle check with
 * `setTimeout(fn, throttledUntil - Date.now())` while `throttledUntil` is
 * still -1: a delay of about -1.8e12 ms. Node clamps it to 1 ms, but Node 24
 * also writes `TimeoutNegativeWarning` to stderr, which breaks this service's
 * one-JSON-object-per-line logs. Same schedule, with the delay never below 0.
 */
export function applyNonNegativeThrottleCheck(): void {
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
    prototype: RequestQueue;
  };
  const proto = RequestQueue.prototype;
  if (proto.__clampedTimeout) {
    return;
  }
  proto.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(
    this: RequestQueue,
  ) {
    if (this.throttleCheckTimeoutId) {
      return;
    }
    let delay = this.throttledUntil - Date.now();
    if (this.pending.length > 0 && delay <= 0) {
      delay = CHECK_PENDING_REQUESTS_INTERVAL;
    }
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      Math.max(0, delay),
    );
  };
  proto.__clampedTimeout = true;
}
