/**
 * What a group consumer reports as it works, for whoever measures it (the
 * Prometheus metrics): one call per event, durations in seconds. The state
 * calls it from its own mutations, so counters and /consumers never disagree.
 */
export interface GroupConsumerObserver {
  /** A record finished: handled, or dead-lettered after its retries. */
  handled(outcome: 'processed' | 'dead-lettered', seconds: number): void;
  retried(): void;
  /** One commit request (for any number of partitions) succeeded or failed. */
  committed(seconds: number): void;
  commitFailed(seconds: number): void;
  /** This member took part in a rebalance that gave it an assignment. */
  rebalanced(): void;
}
