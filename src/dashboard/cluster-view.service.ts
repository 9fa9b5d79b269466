import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Observable, type Subscriber } from 'rxjs';
import {
  appConfig,
  consumersConfig,
  dashboardConfig,
  kafkaConfig,
  producerConfig,
} from '../config/config.namespaces.js';
import {
  type GroupView,
  KafkaAdmin,
  type PartitionOffsets,
} from '../kafka/client/kafka-admin.port.js';
import { errorMessage } from '../kafka/kafka.errors.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type {
  ClusterView,
  DepartedMemberView,
  GroupBandView,
  MemberView,
} from './cluster-view.js';

/** A move or a departure stays on the page this long. */
const SHOWN_FOR_MS = 60_000;

interface Reading {
  at: number;
  ends: PartitionOffsets[];
  groups: GroupView[];
  committed: Map<number, string>[];
}

/**
 * Kafka's own view of both groups, read by the one long-lived admin client
 * once per DASHBOARD_REFRESH_MS while at least one page is open, and pushed
 * to every open page: ten viewers cost the broker what one does. It keeps
 * what a single read cannot tell: records/s (from the previous read), which
 * partitions moved and when, and which members left.
 */
@Injectable()
export class ClusterViewService implements OnModuleDestroy {
  private readonly logger = new Logger(ClusterViewService.name);
  private readonly viewers = new Set<Subscriber<ClusterView>>();
  private latest: ClusterView | undefined;
  private previous: Reading | undefined;
  private polling = false;
  private wake: (() => void) | undefined;
  private closed = false;
  /** group id → partition → last known owner, and the last move. */
  private readonly owners = new Map<
    string,
    Map<number, { owner: string; movedAt: number | null; from: string | null }>
  >();
  private readonly departed = new Map<string, DepartedMemberView[]>();
  private readonly lastMembers = new Map<string, MemberView[]>();
  private readonly slots = new Map<string, Map<string, number>>();

  constructor(
    private readonly admin: KafkaAdmin,
    private readonly metrics: MetricsService,
    @Inject(kafkaConfig.KEY)
    private readonly kafka: ConfigType<typeof kafkaConfig>,
    @Inject(consumersConfig.KEY)
    private readonly consumers: ConfigType<typeof consumersConfig>,
    @Inject(dashboardConfig.KEY)
    private readonly config: ConfigType<typeof dashboardConfig>,
    @Inject(appConfig.KEY)
    private readonly app: ConfigType<typeof appConfig>,
    @Inject(producerConfig.KEY)
    private readonly producer: ConfigType<typeof producerConfig>,
  ) {}

  /** The view as it changes; the poll runs only while someone subscribes. */
  views(): Observable<ClusterView> {
    return new Observable<ClusterView>((viewer) => {
      this.viewers.add(viewer);
      this.metrics.dashboardViewers(this.viewers.size);
      if (this.latest) {
        viewer.next(this.latest);
      }
      if (!this.polling && !this.closed) {
        this.polling = true;
        void this.poll();
      }
      return () => {
        this.viewers.delete(viewer);
        this.metrics.dashboardViewers(this.viewers.size);
      };
    });
  }

  /** Ends every page's stream, so the HTTP server can close. */
  onModuleDestroy(): void {
    this.closed = true;
    this.wake?.();
    for (const viewer of this.viewers) {
      viewer.complete();
    }
  }

  private async poll(): Promise<void> {
    while (this.viewers.size > 0 && !this.closed) {
      const started = Date.now();
      this.latest = await this.read();
      for (const viewer of this.viewers) {
        viewer.next(this.latest);
      }
      const wait = this.config.refreshMs - (Date.now() - started);
      if (wait > 0 && !this.closed) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
    this.polling = false;
  }

  private async read(): Promise<ClusterView> {
    const { topic } = this.kafka;
    const ids = this.groupIds();
    try {
      const requests = 2 + ids.length;
      this.metrics.dashboardBrokerRequests(requests);
      const [ends, groups, ...committed] = await Promise.all([
        this.admin.topicOffsets(topic),
        this.admin.describeGroups(ids, topic),
        ...ids.map((id) => this.admin.committedOffsets(id, topic)),
      ]);
      const reading: Reading = { at: Date.now(), ends, groups, committed };
      const view = this.viewOf(reading, this.previous);
      this.previous = reading;
      return view;
    } catch (error) {
      this.logger.debug(`dashboard read failed: ${errorMessage(error)}`);
      const message = 'Kafka did not answer; showing the last figures read';
      return this.latest
        ? { ...this.latest, at: new Date().toISOString(), error: message }
        : { ...this.emptyView(), error: message };
    }
  }

  private viewOf(now: Reading, before: Reading | undefined): ClusterView {
    const seconds = before ? (now.at - before.at) / 1_000 : 0;
    const rate = (after: bigint, earlier: bigint | undefined) =>
      seconds > 0 && earlier !== undefined
        ? Math.max(0, Number(after - earlier) / seconds)
        : 0;
    const endOf = (reading: Reading | undefined, partition: number) => {
      const end = reading?.ends.find((e) => e.partition === partition);
      return end && BigInt(end.high);
    };
    return {
      ...this.emptyView(),
      at: new Date(now.at).toISOString(),
      partitions: now.ends.map(({ partition, high }) => ({
        partition,
        end: high,
        recordsPerSecond: rate(BigInt(high), endOf(before, partition)),
      })),
      groups: this.groupIds().map((groupId, index) => {
        const group = now.groups.find((g) => g.groupId === groupId);
        const committedNow = now.committed[index];
        const committedBefore = before?.committed[index];
        const done = (committed: Map<number, string> | undefined) =>
          [...(committed?.values() ?? [])]
            .filter((offset) => offset !== '-1')
            .reduce((sum, offset) => sum + BigInt(offset), 0n);
        return this.band(
          index === 0 ? 'realtime' : 'analytics',
          groupId,
          group,
          now,
          committedNow,
          rate(done(committedNow), committedBefore && done(committedBefore)),
        );
      }),
    };
  }

  private band(
    name: string,
    groupId: string,
    group: GroupView | undefined,
    now: Reading,
    committed: Map<number, string>,
    recordsPerSecond: number,
  ): GroupBandView {
    const members: MemberView[] = (group?.members ?? []).map((m) => ({
      slot: this.slotOf(groupId, m.memberId),
      memberId: m.memberId,
      clientId: m.clientId,
      host: m.clientHost,
      partitions: m.partitions,
    }));
    members.sort((a, b) => a.slot - b.slot);
    this.trackDepartures(groupId, members, now.at);
    const owners = this.trackOwners(groupId, members, now.at);
    return {
      name,
      groupId,
      state: group?.state ?? 'Unknown',
      members,
      departed: this.departed.get(groupId) ?? [],
      recordsPerSecond,
      partitions: now.ends.map(({ partition, low, high }) => {
        const offset = committed.get(partition) ?? '-1';
        const from = offset === '-1' ? BigInt(low) : BigInt(offset);
        const lag = BigInt(high) - from;
        const owner = owners.get(partition);
        const recent =
          owner?.movedAt !== null &&
          owner?.movedAt !== undefined &&
          now.at - owner.movedAt < SHOWN_FOR_MS;
        return {
          partition,
          owner:
            members.find((m) => m.partitions.includes(partition))?.memberId ??
            null,
          committed: offset,
          lag: lag > 0n ? Number(lag) : 0,
          movedAt: recent ? new Date(owner.movedAt ?? 0).toISOString() : null,
          movedFrom: recent ? (owner?.from ?? null) : null,
        };
      }),
    };
  }

  /** A partition moved when its new owner differs from the last one it had (rebalance gaps skipped). */
  private trackOwners(groupId: string, members: MemberView[], at: number) {
    let owners = this.owners.get(groupId);
    if (!owners) {
      owners = new Map();
      this.owners.set(groupId, owners);
    }
    for (const member of members) {
      for (const partition of member.partitions) {
        const known = owners.get(partition);
        if (!known) {
          owners.set(partition, {
            owner: member.memberId,
            movedAt: null,
            from: null,
          });
        } else if (known.owner !== member.memberId) {
          owners.set(partition, {
            owner: member.memberId,
            movedAt: at,
            from: known.owner,
          });
        }
      }
    }
    return owners;
  }

  private trackDepartures(groupId: string, members: MemberView[], at: number) {
    const before = this.lastMembers.get(groupId) ?? [];
    const present = new Set(members.map((m) => m.memberId));
    const left = before
      .filter((m) => !present.has(m.memberId))
      .map((m) => ({ ...m, leftAt: new Date(at).toISOString() }));
    const kept = (this.departed.get(groupId) ?? []).filter(
      (m) =>
        at - Date.parse(m.leftAt) < SHOWN_FOR_MS && !present.has(m.memberId),
    );
    this.departed.set(groupId, [...left, ...kept]);
    this.lastMembers.set(groupId, members);
  }

  /** Letters in order of first sight, per group. */
  private slotOf(groupId: string, memberId: string): number {
    let slots = this.slots.get(groupId);
    if (!slots) {
      slots = new Map();
      this.slots.set(groupId, slots);
    }
    let slot = slots.get(memberId);
    if (slot === undefined) {
      slot = slots.size;
      slots.set(memberId, slot);
    }
    return slot;
  }

  private groupIds(): string[] {
    return [this.consumers.realtimeGroupId, this.consumers.analyticsGroupId];
  }

  private emptyView(): ClusterView {
    return {
      at: new Date().toISOString(),
      topic: this.kafka.topic,
      partitions: [],
      groups: [],
      produce: {
        available: this.app.roles.includes('producer'),
        keyRequired: this.producer.apiKey !== undefined,
      },
      error: null,
    };
  }
}
