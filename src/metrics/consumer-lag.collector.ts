import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Gauge } from 'prom-client';
import {
  consumersConfig,
  kafkaConfig,
  metricsConfig,
} from '../config/config.namespaces.js';
import { GroupConsumerRegistry } from '../kafka/consumer/group-consumer.registry.js';
import type { GroupConsumerState } from '../kafka/consumer/group-consumer.state.js';
import {
  KafkaAdmin,
  type PartitionOffsets,
} from '../kafka/client/kafka-admin.port.js';
import { errorMessage } from '../kafka/kafka.errors.js';
import { MetricsService } from './metrics.service.js';

const MEMBER_STATES = [
  'starting',
  'joined',
  'rebalancing',
  'stopped',
  'crashed',
] as const;

/** What the broker said at `at`; read in the background, at most once per METRICS_BROKER_REFRESH_MS. */
interface BrokerView {
  at: number;
  ends: Map<number, PartitionOffsets>;
  committed: Map<string, Map<number, string>>;
  /** Groups Kafka knows with no member at all ('Empty', 'Dead'). */
  memberless: Set<string>;
}

interface LagRow {
  group: string;
  partition: number;
  lag: number;
  current: string;
}

/**
 * Lag and offsets under kafka_exporter's names, so its dashboards and alerts
 * work unchanged, plus each group's member state and partition count.
 *
 * Each replica reports only the partitions its consumers own (one owner per
 * partition, so a sum over replicas counts each once), from what the consumer
 * already knows: the high watermark of its last fetched batch and its own
 * commits. A scrape never calls the broker. The broker is read, in the
 * background and at most once per METRICS_BROKER_REFRESH_MS, only for what
 * the consumer cannot know: offsets of a partition it has not fetched or
 * committed since it got it, and the lag of a configured group that has no
 * live member at all, which the owner of partition 0 of a group running here
 * reports (one owner per partition, so still counted once).
 */
@Injectable()
export class ConsumerLagCollector {
  private readonly logger = new Logger(ConsumerLagCollector.name);
  private view: BrokerView | null = null;
  private refreshing = false;

  constructor(
    metrics: MetricsService,
    private readonly consumers: GroupConsumerRegistry,
    private readonly admin: KafkaAdmin,
    @Inject(kafkaConfig.KEY)
    private readonly kafka: ConfigType<typeof kafkaConfig>,
    @Inject(consumersConfig.KEY)
    private readonly groups: ConfigType<typeof consumersConfig>,
    @Inject(metricsConfig.KEY)
    private readonly config: ConfigType<typeof metricsConfig>,
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

  private labels(row: LagRow) {
    return {
      consumergroup: row.group,
      topic: this.kafka.topic,
      partition: String(row.partition),
    };
  }

  /** One row per partition this replica reports; asks for a broker read when it lacks figures. */
  private rows(): LagRow[] {
    const rows: LagRow[] = [];
    let wantBroker = false;
    const joined = this.consumers
      .all()
      .map(({ state }) => state)
      .filter((state) => state.status === 'joined');
    for (const state of joined) {
      for (const partition of state.assignedPartitions) {
        const row = this.ownedRow(state, partition);
        if (row) {
          rows.push(row);
        } else {
          wantBroker = true;
        }
      }
    }
    // One reporter per group in either protocol (KIP-848 has no group
    // leader): the member that owns partition 0.
    if (joined.some((state) => state.assignedPartitions.includes(0))) {
      wantBroker = true;
      rows.push(...this.memberlessRows(joined));
    }
    if (wantBroker) {
      this.refreshInBackground();
    }
    return rows;
  }

  private ownedRow(
    state: GroupConsumerState,
    partition: number,
  ): LagRow | undefined {
    const known = state.progress.get(partition);
    // Broker figures only if read after this member got the partition.
    const view =
      this.view && this.view.at >= (state.joinedAt?.getTime() ?? Infinity)
        ? this.view
        : undefined;
    const end = view?.ends.get(partition);
    const high = known?.high ?? end?.high;
    const committed =
      known?.committed ?? view?.committed.get(state.groupId)?.get(partition);
    if (high === undefined || committed === undefined) {
      return undefined;
    }
    return this.row(state.groupId, partition, high, committed, end?.low);
  }

  /** A configured group that no replica runs still has lag: its leader-less figures come from the broker. */
  private memberlessRows(joined: GroupConsumerState[]): LagRow[] {
    const view = this.view;
    if (!view) {
      return [];
    }
    const here = new Set(joined.map((state) => state.groupId));
    return this.configuredGroups()
      .filter((group) => !here.has(group) && view.memberless.has(group))
      .flatMap((group) =>
        [...view.ends.values()].map((end) =>
          this.row(
            group,
            end.partition,
            end.high,
            view.committed.get(group)?.get(end.partition) ?? '-1',
            end.low,
          ),
        ),
      );
  }

  private row(
    group: string,
    partition: number,
    high: string,
    committed: string,
    low: string | undefined,
  ): LagRow {
    // Nothing committed yet: the group reads from the oldest retained record.
    const from = committed === '-1' ? (low ?? '0') : committed;
    const lag = BigInt(high) - BigInt(from);
    return {
      group,
      partition,
      lag: lag > 0n ? Number(lag) : 0,
      current: committed,
    };
  }

  private configuredGroups(): string[] {
    return [this.groups.realtimeGroupId, this.groups.analyticsGroupId];
  }

  private refreshInBackground(): void {
    const age = Date.now() - (this.view?.at ?? 0);
    if (this.refreshing || age < this.config.brokerRefreshMs) {
      return;
    }
    this.refreshing = true;
    this.readBroker()
      .then((view) => (this.view = view))
      .catch((error: unknown) =>
        this.logger.debug(
          `broker read for /metrics failed: ${errorMessage(error)}`,
        ),
      )
      .finally(() => (this.refreshing = false));
  }

  private async readBroker(): Promise<BrokerView> {
    const at = Date.now();
    const { topic } = this.kafka;
    const groups = this.configuredGroups();
    const [ends, described, ...committed] = await Promise.all([
      this.admin.topicOffsets(topic),
      this.admin.describeGroups(groups, topic),
      ...groups.map((group) => this.admin.committedOffsets(group, topic)),
    ]);
    return {
      at,
      ends: new Map(ends.map((end) => [end.partition, end])),
      committed: new Map(groups.map((group, i) => [group, committed[i]])),
      memberless: new Set(
        described
          .filter(({ members }) => members.length === 0)
          .map(({ groupId }) => groupId),
      ),
    };
  }
}
