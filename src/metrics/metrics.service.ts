import { Injectable } from '@nestjs/common';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
} from 'prom-client';
import type { GroupConsumerObserver } from '../kafka/consumer/group-consumer.observer.js';
import type { KafkaErrorCause } from '../kafka/kafka.errors.js';
import { PerRecordHistogram } from './per-record-histogram.js';

/** Seconds: from a sub-millisecond handler or commit to a send that times out. */
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
  10,
];

/**
 * The replica's Prometheus registry and the instruments the code feeds as it
 * works. One registry per app (not prom-client's global one), so several apps
 * in one process (the e2e tests) never share counters. Label values are
 * bounded: group ids, a fixed set of causes, route patterns, never record
 * keys or ids. Lag and member-state gauges live in ConsumerLagCollector.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  /**
   * Records each group handled since the counter was last read, added to it
   * when read (scrape): an increment of prom-client's counter per record
   * was ~3% of the CPU of a drain (`npm run bench -- --cpu-prof`).
   */
  private readonly handledSinceRead: {
    labels: { group: string };
    n: number;
  }[] = [];
  private readonly processed = new Counter({
    name: 'nkg_consumer_records_processed_total',
    help: 'Records a group handled successfully on this replica',
    labelNames: ['group'],
    registers: [this.registry],
    collect: () => {
      for (const tally of this.handledSinceRead) {
        this.processed.inc(tally.labels, tally.n);
        tally.n = 0;
      }
    },
  });
  private readonly retried = this.counter(
    'nkg_consumer_records_retried_total',
    'Handler retries (a record that failed and is tried again)',
    ['group'],
  );
  private readonly deadLettered = this.counter(
    'nkg_consumer_records_dead_lettered_total',
    'Records sent to the dead-letter topic (undecodable, or failing after the retries)',
    ['group'],
  );
  private readonly commitFailures = this.counter(
    'nkg_consumer_commit_failures_total',
    'Offset commit requests that failed (expected during rebalances; the records are read again)',
    ['group'],
  );
  private readonly rebalances = this.counter(
    'nkg_consumer_rebalances_total',
    'Rebalances this member took part in (each join with a new assignment)',
    ['group'],
  );
  // Observed once per record: prom-client's Histogram cost ~6% of a drain.
  private readonly handlerSeconds = new PerRecordHistogram(
    'nkg_consumer_handler_duration_seconds',
    'Time from a record reaching the handler to its outcome (retries and dead letter included)',
    'group',
    LATENCY_BUCKETS,
    this.registry,
  );
  private readonly commitSeconds = this.histogram(
    'nkg_consumer_commit_duration_seconds',
    'Time one offset commit request took, successful or not',
    ['group'],
  );
  private readonly producedRecords = this.counter(
    'nkg_producer_records_total',
    'Records POST /produce wrote (acknowledged by the broker)',
  );
  private readonly produceRequests = this.counter(
    'nkg_producer_requests_total',
    'POST /produce requests that reached the broker, by outcome',
    ['outcome'],
  );
  private readonly produceErrors = this.counter(
    'nkg_producer_errors_total',
    'Failed POST /produce sends, by cause',
    ['cause'],
  );
  private readonly produceSeconds = this.histogram(
    'nkg_producer_send_duration_seconds',
    'Time from a POST /produce send to the broker acknowledging it (acks=all) or failing',
  );
  private readonly httpSeconds = this.histogram(
    'nkg_http_request_duration_seconds',
    'HTTP requests by method, route pattern and status',
    ['method', 'route', 'status'],
  );

  private readonly dashboardRequests = this.counter(
    'nkg_dashboard_broker_requests_total',
    'Admin requests /dashboard made to the broker (one read per DASHBOARD_REFRESH_MS, shared by every open page)',
  );
  private readonly dashboardOpen = new Gauge({
    name: 'nkg_dashboard_viewers',
    help: 'Open /dashboard pages (Server-Sent Event streams) on this replica',
    registers: [this.registry],
  });

  constructor() {
    // process_* and nodejs_* (event-loop lag, heap, GC, handles).
    collectDefaultMetrics({ register: this.registry });
    for (const outcome of ['ok', 'error']) {
      this.produceRequests.inc({ outcome }, 0);
    }
  }

  /** What one group's consumer reports, counted under `group` = its group id. */
  observerFor(group: string): GroupConsumerObserver {
    const labels = { group };
    // Present at 0 from the start, so rate() and increase() see the first record.
    for (const counter of [
      this.processed,
      this.retried,
      this.deadLettered,
      this.commitFailures,
      this.rebalances,
    ]) {
      counter.inc(labels, 0);
    }
    const processed = { labels, n: 0 };
    this.handledSinceRead.push(processed);
    const deadLettered = this.deadLettered.labels(labels);
    const handlerSeconds = this.handlerSeconds.labels(group);
    const commitSeconds = this.commitSeconds.labels(labels);
    return {
      handled: (outcome, seconds) => {
        if (outcome === 'processed') {
          processed.n++;
        } else {
          deadLettered.inc();
        }
        handlerSeconds.observe(seconds);
      },
      retried: () => this.retried.inc(labels),
      committed: (seconds) => commitSeconds.observe(seconds),
      commitFailed: (seconds) => {
        this.commitFailures.inc(labels);
        commitSeconds.observe(seconds);
      },
      rebalanced: () => this.rebalances.inc(labels),
    };
  }

  produced(records: number, seconds: number): void {
    this.producedRecords.inc(records);
    this.produceRequests.inc({ outcome: 'ok' });
    this.produceSeconds.observe(seconds);
  }

  produceFailed(cause: KafkaErrorCause, seconds: number): void {
    this.produceRequests.inc({ outcome: 'error' });
    this.produceErrors.inc({ cause });
    this.produceSeconds.observe(seconds);
  }

  httpRequest(
    method: string,
    route: string,
    status: number,
    seconds: number,
  ): void {
    this.httpSeconds.observe(
      { method, route, status: String(status) },
      seconds,
    );
  }

  dashboardBrokerRequests(count: number): void {
    this.dashboardRequests.inc(count);
  }

  dashboardViewers(open: number): void {
    this.dashboardOpen.set(open);
  }

  private counter<L extends string = never>(
    name: string,
    help: string,
    labelNames: L[] = [],
  ): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram<L extends string = never>(
    name: string,
    help: string,
    labelNames: L[] = [],
  ): Histogram<L> {
    return new Histogram({
      name,
      help,
      labelNames,
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
  }
}
