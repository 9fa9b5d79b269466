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
  metricsConfig,
  producerConfig,
} from '../config/config.namespaces.js';
import {
  type GroupView,
  KafkaAdmin,
} from '../kafka/client/kafka-admin.port.js';
import { errorMessage } from '../kafka/kafka.errors.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { ClusterView } from './cluster-view.js';
import {
  deriveView,
  emptyMemory,
  emptyView,
  type Reading,
  type ViewFrame,
} from './cluster-view.model.js';
import { AWAY_FOR_THE_SESSION } from './held-members.js';

/** How long a group's session timeout, once read, is trusted. */
const SESSION_TIMEOUT_KEPT_MS = 60_000;

/**
 * Kafka's own view of both groups, read by the one long-lived admin client
 * once per DASHBOARD_REFRESH_MS while at least one page is open, and pushed
 * to every open page: ten viewers cost the broker what one does. The reading
 * and the fan-out live here; what the page shows is derived from the
 * readings by deriveView (cluster-view.model.ts), without I/O.
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
  private readonly memory = emptyMemory();
  private readonly sessionTimeoutCache = new Map<
    string,
    { ms: number | null; at: number }
  >();

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
    @Inject(metricsConfig.KEY)
    private readonly metricsSettings: ConfigType<typeof metricsConfig>,
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
    const frame = this.frame();
    const ids = frame.groupIds;
    try {
      const requests = 2 + ids.length;
      this.metrics.dashboardBrokerRequests(requests);
      const [ends, groups, ...committed] = await Promise.all([
        this.admin.topicOffsets(topic),
        this.admin.describeGroups(ids, topic),
        ...ids.map((id) => this.admin.committedOffsets(id, topic)),
      ]);
      const reading: Reading = {
        at: Date.now(),
        ends,
        groups,
        committed,
        sessionTimeoutMs: await this.sessionTimeouts(groups),
      };
      const view = deriveView(frame, this.memory, reading, this.previous);
      this.previous = reading;
      return view;
    } catch (error) {
      this.logger.debug(`dashboard read failed: ${errorMessage(error)}`);
      const message = 'Kafka did not answer; showing the last figures read';
      return this.latest
        ? { ...this.latest, at: new Date().toISOString(), error: message }
        : { ...emptyView(frame, Date.now()), error: message };
    }
  }

  /**
   * Each group's session timeout, for "back in N s" on partitions held for a
   * static member. KIP-848: the broker's, read only while a member is away
   * (no request otherwise) and kept for a minute. Classic: the members' own
   * CONSUMER_SESSION_TIMEOUT_MS, the same on every replica.
   */
  private async sessionTimeouts(
    groups: GroupView[],
  ): Promise<(number | null)[]> {
    if (this.kafka.groupProtocol !== 'consumer') {
      return groups.map(() => this.consumers.sessionTimeoutMs);
    }
    return Promise.all(
      groups.map(async ({ groupId, members }) => {
        if (!members.some((m) => m.memberEpoch === AWAY_FOR_THE_SESSION)) {
          return null;
        }
        const known = this.sessionTimeoutCache.get(groupId);
        if (known && Date.now() - known.at < SESSION_TIMEOUT_KEPT_MS) {
          return known.ms;
        }
        this.metrics.dashboardBrokerRequests(1);
        const ms = await this.admin
          .groupSessionTimeoutMs(groupId)
          .catch(() => null);
        if (ms !== null) {
          this.sessionTimeoutCache.set(groupId, { ms, at: Date.now() });
        }
        return ms;
      }),
    );
  }

  private frame(): ViewFrame {
    return {
      topic: this.kafka.topic,
      engine: {
        client: this.kafka.client,
        groupProtocol: this.kafka.groupProtocol,
      },
      groupIds: [
        this.consumers.realtimeGroupId,
        this.consumers.analyticsGroupId,
      ],
      produce: {
        available: this.app.roles.includes('producer'),
        keyRequired: this.producer.apiKey !== undefined,
      },
      stopAfterMs: this.metricsSettings.stopAfterMs,
    };
  }
}
