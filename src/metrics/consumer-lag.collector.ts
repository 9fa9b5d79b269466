import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Gauge } from 'prom-client';
import { kafkaConfig } from '../config/config.namespaces.js';
import { GroupConsumerRegistry } from '../kafka/consumer/group-consumer.registry.js';
import { STATUS_VALUES } from '../kafka/consumer/lag-status.js';
import { ConsumerLagReport, type LagRow } from './consumer-lag.report.js';
import { MetricsService } from './metrics.service.js';

const MEMBER_STATES = [
  'starting',
  'joined',
  'rebalancing',
  'stopped',
  'crashed',
] as const;

/**
 * Lag and offsets under kafka_exporter's names, so its dashboards and alerts
 * work unchanged, lag in seconds under kafka-lag-exporter's name, the lag
 * status (OK=0, WARN=1, STALL=2, STOP=3), and each group's member state and
 * partition count. Which partitions a replica reports, and from what: see
 * ConsumerLagReport (each partition by its owner, a scrape never calls the
 * broker).
 */
@Injectable()
export class ConsumerLagCollector {
  private scrapeRows: LagRow[] | undefined;

  constructor(
    metrics: MetricsService,
    private readonly consumers: GroupConsumerRegistry,
    private readonly report: ConsumerLagReport,
    @Inject(kafkaConfig.KEY)
    private readonly kafka: ConfigType<typeof kafkaConfig>,
  ) {
    const registers = [metrics.registry];
    const offsetLabels = ['consumergroup', 'topic', 'partition'] as const;
    // prom-client calls collect() with `this` bound to the gauge being scraped.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const collector = this;
    new Gauge({
      name: 'kafka_consumergroup_lag',
      help: 'Records behind the end of the partition: end offset minus the group committed offset',
      labelNames: offsetLabels,
      registers,
      collect() {
        this.reset();
        for (const row of collector.rows()) {
          this.set(collector.labels(row), row.lag);
        }
      },
    });
    new Gauge({
      name: 'kafka_consumergroup_current_offset',
      help: 'The group committed offset (next record to read) of the partition; -1 when none yet',
      labelNames: offsetLabels,
      registers,
      collect() {
        this.reset();
        for (const row of collector.rows()) {
          this.set(collector.labels(row), Number(row.current));
        }
      },
    });
    new Gauge({
      name: 'kafka_consumergroup_lag_seconds',
      help: 'Age of the oldest unhandled record (at the committed offset) from its timestamp; 0 when caught up',
      labelNames: offsetLabels,
      registers,
      collect() {
        this.reset();
        for (const row of collector.rows()) {
          if (row.seconds !== undefined) {
            this.set(collector.labels(row), row.seconds);
          }
        }
      },
    });
    new Gauge({
      name: 'nkg_consumergroup_status',
      help: 'Lag status of the partition over a window of commits: 0 OK, 1 WARN (falls behind), 2 STALL (commits, does not advance), 3 STOP (no commit while lagging), -1 PAUSED (paused by an operator)',
      labelNames: offsetLabels,
      registers,
      collect() {
        this.reset();
        for (const row of collector.rows()) {
          this.set(collector.labels(row), STATUS_VALUES[row.status]);
        }
      },
    });
    new Gauge({
      name: 'nkg_consumer_assigned_partitions',
      help: 'Partitions of the topic this replica owns in the group',
      labelNames: ['group'],
      registers,
      collect() {
        this.reset();
        for (const { state } of collector.consumers.all()) {
          this.set({ group: state.groupId }, state.assignedPartitions.length);
        }
      },
    });
    new Gauge({
      name: 'nkg_consumer_member_state',
      help: 'The state of this replica member of the group: 1 for the current state, 0 for the others',
      labelNames: ['group', 'state'],
      registers,
      collect() {
        this.reset();
        for (const { state } of collector.consumers.all()) {
          for (const name of MEMBER_STATES) {
            this.set(
              { group: state.groupId, state: name },
              state.status === name ? 1 : 0,
            );
          }
        }
      },
    });
  }

  /** The rows of this scrape: computed once, the gauges' collect() run one after another in one tick. */
  private rows(): LagRow[] {
    if (!this.scrapeRows) {
      this.scrapeRows = this.report.rows();
      setImmediate(() => (this.scrapeRows = undefined));
    }
    return this.scrapeRows;
  }

  private labels(row: LagRow) {
    return {
      consumergroup: row.group,
      topic: this.kafka.topic,
      partition: String(row.partition),
    };
  }
}
