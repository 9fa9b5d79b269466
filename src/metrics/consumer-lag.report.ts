import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import {
  consumersConfig,
  kafkaConfig,
  metricsConfig,
} from '../config/config.namespaces.js';
import { GroupConsumerRegistry } from '../kafka/consumer/group-consumer.registry.js';
import type { GroupConsumerState } from '../kafka/consumer/group-consumer.state.js';
import {
  groupStatus,
  type GroupLagStatus,
  type PartitionStatus,
} from '../kafka/consumer/lag-status.js';
import { KafkaAdmin } from '../kafka/client/kafka-admin.port.js';
import { GroupPauseBoard } from '../kafka/control/group-pause.board.js';
import { BrokerLagReader, lagFrom } from './broker-lag.reader.js';

/** One partition of one group, as this replica reports it. */
export interface LagRow {
  group: string;
  partition: number;
  /** Records behind the end of the partition. */
  lag: number;
  /** The committed offset (next to read); -1 when none yet. */
  current: string;
  /** Age of the oldest unhandled record (0 when caught up); undefined when its timestamp was not seen here. */
  seconds: number | undefined;
  status: PartitionStatus;
}

/** A group's lag as /consumers shows it: the worst status and each partition reported here. */
export interface GroupLagReport {
  status: GroupLagStatus;
  partitions: {
    partition: number;
    lag: number;
    lagSeconds: number | null;
    status: PartitionStatus;
  }[];
}

/**
 * Lag per group and partition, in records, in seconds and as a status, for
 * /metrics and /consumers.
 *
 * Each replica reports only the partitions its consumers own (one owner per
 * partition), from what the consumer already knows: the high watermark of
 * its last fetched batch, its own commits (the status window) and the
 * timestamps of the records it fetched (the age of the record at the
 * committed offset). Reading it never calls the broker. The broker is read,
 * in the background and at most once per METRICS_BROKER_REFRESH_MS, only for
 * what the consumer cannot know: offsets of a partition it has not fetched or
 * committed since it got it, and the lag of a configured group that has no
 * live member at all, which the owner of partition 0 of a group running here
 * reports (one owner per partition, so still counted once). For such a group the status
 * comes from those reads (a commit is an offset that moved), and the age from
 * the records the groups of this replica fetched.
 */
@Injectable()
export class ConsumerLagReport {
  private readonly broker: BrokerLagReader;
  private readonly groupIds: string[];

  constructor(
    private readonly consumers: GroupConsumerRegistry,
    admin: KafkaAdmin,
    @Inject(kafkaConfig.KEY)
    kafka: ConfigType<typeof kafkaConfig>,
    @Inject(consumersConfig.KEY)
    groups: ConfigType<typeof consumersConfig>,
    @Inject(metricsConfig.KEY)
    private readonly config: ConfigType<typeof metricsConfig>,
    private readonly pauses: GroupPauseBoard,
  ) {
    this.groupIds = [groups.realtimeGroupId, groups.analyticsGroupId];
    this.broker = new BrokerLagReader({
      admin,
      topic: kafka.topic,
      groups: this.groupIds,
      refreshMs: config.brokerRefreshMs,
    });
  }

  /** One row per partition this replica reports; asks for a broker read when it lacks figures. */
  rows(now = Date.now()): LagRow[] {
    const rows: LagRow[] = [];
    let wantBroker = false;
    const joined = this.joined();
    for (const state of joined) {
      for (const partition of state.assignedPartitions) {
        const row = this.ownedRow(state, partition, now);
        // A paused partition is not fetched: its end comes from the broker.
        if (row?.status === 'PAUSED') wantBroker = true;
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
      rows.push(...this.memberlessRows(joined, now));
    }
    if (wantBroker) {
      this.broker.refreshInBackground();
    }
    return rows;
  }

  /** The lag of one group this replica runs, for /consumers: the partitions it owns (none while it rebalances). */
  group(groupId: string, now = Date.now()): GroupLagReport {
    const state = this.joined().find((s) => s.groupId === groupId);
    const rows = state
      ? state.assignedPartitions.flatMap(
          (partition) => this.ownedRow(state, partition, now) ?? [],
        )
      : [];
    if (rows.some((row) => row.status === 'PAUSED')) {
      this.broker.refreshInBackground();
    }
    return {
      status: groupStatus(rows.map((row) => row.status)),
      partitions: rows.map((row) => ({
        partition: row.partition,
        lag: row.lag,
        lagSeconds: row.seconds ?? null,
        status: row.status,
      })),
    };
  }

  private joined(): GroupConsumerState[] {
    return this.consumers
      .all()
      .map(({ state }) => state)
      .filter((state) => state.status === 'joined');
  }

  private ownedRow(
    state: GroupConsumerState,
    partition: number,
    now: number,
  ): LagRow | undefined {
    const known = state.progress.get(partition);
    // Broker figures only if read after this member got the partition.
    const view =
      this.broker.view &&
      this.broker.view.at >= (state.joinedAt?.getTime() ?? Infinity)
        ? this.broker.view
        : undefined;
    const end = view?.ends.get(partition);
    const paused = this.pauses.pausedAt(state.groupId, partition, now);
    const high = paused
      ? newest(known?.high, end?.high)
      : (known?.high ?? end?.high);
    const committed =
      known?.committed ?? view?.committed.get(state.groupId)?.get(partition);
    if (!known || high === undefined || committed === undefined) {
      return undefined;
    }
    const row = this.row(state.groupId, partition, high, committed, end?.low);
    // Starts the STOP clock when only the broker's figures showed the lag (no
    // fetch yet); a paused partition is not idle: its clock starts at the resume.
    known.history.sawLag(paused ? 0 : row.lag, now);
    return {
      ...row,
      seconds: this.age(row, now, state),
      status: paused
        ? 'PAUSED'
        : known.history.status(row.lag, now, this.config.stopAfterMs),
    };
  }

  /** A configured group that no replica runs still has lag: its leader-less figures come from the broker. */
  private memberlessRows(joined: GroupConsumerState[], now: number): LagRow[] {
    const view = this.broker.view;
    if (!view) {
      return [];
    }
    const here = new Set(joined.map((state) => state.groupId));
    return this.groupIds
      .filter((group) => !here.has(group) && view.memberless.has(group))
      .flatMap((group) =>
        [...view.ends.values()].map((end) => {
          const row = this.row(
            group,
            end.partition,
            end.high,
            view.committed.get(group)?.get(end.partition) ?? '-1',
            end.low,
          );
          const history = this.broker.memberlessHistory(group, end.partition);
          return {
            ...row,
            seconds: this.age(row, now),
            status:
              history?.status(row.lag, now, this.config.stopAfterMs) ?? 'OK',
          };
        }),
      );
  }

  private row(
    group: string,
    partition: number,
    high: string,
    committed: string,
    low: string | undefined,
  ) {
    return {
      group,
      partition,
      current: committed,
      ...lagFrom(high, committed, low),
    };
  }

  /**
   * Seconds since the oldest unhandled record (the one at `from`) was
   * written: from the timestamps the owner fetched (exact), else from the
   * nearest later record any group of this replica fetched (a lower bound).
   */
  private age(
    row: { lag: number; partition: number; from: string },
    now: number,
    owner?: GroupConsumerState,
  ): number | undefined {
    if (row.lag === 0) return 0;
    const states = owner ? [owner, ...this.joined()] : this.joined();
    const times = states
      .map((state) => state.recordTimes.at(row.partition, row.from))
      .filter((time) => time !== undefined);
    const best = times.find((time) => time.exact) ?? times[0];
    return best && Math.max(0, (now - best.ms) / 1_000);
  }
}

/** The later of two end offsets (decimal strings), either may be unknown. */
function newest(a: string | undefined, b: string | undefined) {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return BigInt(a) >= BigInt(b) ? a : b;
}
