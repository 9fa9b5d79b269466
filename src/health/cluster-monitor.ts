import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { healthConfig, kafkaConfig } from '../config/config.namespaces.js';
import {
  type ClusterView,
  KafkaAdmin,
  type PartitionOffsets,
} from '../kafka/client/kafka-admin.port.js';
import { MONITOR_ADMIN } from '../kafka/kafka.constants.js';
import { errorMessage } from '../kafka/kafka.errors.js';

/** Time between the end of one cluster read and the start of the next. */
export const MONITOR_REFRESH_MS = 500;

/** One fact about the cluster, as of the last read that succeeded, or why the last one failed. */
export type Reading<T> =
  | { ok: true; value: T; at: number }
  | { ok: false; error: string; since: number; last?: T };

/**
 * The cluster as health sees it, read in the background: the cluster's
 * brokers (metadata) and every partition leader of the topic (ListOffsets),
 * every MONITOR_REFRESH_MS, each read bounded by HEALTH_BROKER_TIMEOUT_MS on
 * an admin of its own that starts over on another broker after a failure.
 * Probes read the last result and never wait on a broker: a frozen broker
 * (its sockets open, never answering) costs one refresh, not every probe.
 */
@Injectable()
export class ClusterMonitor
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger(ClusterMonitor.name);
  private clusterReading: Reading<ClusterView> = pending();
  private endsReading: Reading<PartitionOffsets[]> = pending();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    @Inject(MONITOR_ADMIN) private readonly admin: KafkaAdmin,
    @Inject(kafkaConfig.KEY)
    private readonly kafka: ConfigType<typeof kafkaConfig>,
    @Inject(healthConfig.KEY)
    private readonly health: ConfigType<typeof healthConfig>,
  ) {}

  get cluster(): Reading<ClusterView> {
    return this.clusterReading;
  }

  /** Start and end offsets of each partition of the topic, from its leaders. */
  get ends(): Reading<PartitionOffsets[]> {
    return this.endsReading;
  }

  /** The first read before the app listens, so the first probe has an answer. */
  async onApplicationBootstrap(): Promise<void> {
    await this.refresh();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  async refresh(): Promise<void> {
    const deadline = this.health.brokerTimeoutMs;
    const [cluster, ends] = await Promise.allSettled([
      this.admin.describeCluster(deadline),
      this.admin.topicOffsets(this.kafka.topic, deadline),
    ]);
    this.clusterReading = next(this.clusterReading, cluster);
    this.endsReading = next(this.endsReading, ends);
    if (!this.stopped) {
      this.timer = setTimeout(() => {
        this.refresh().catch((error: unknown) =>
          this.logger.warn(`cluster read failed: ${errorMessage(error)}`),
        );
      }, MONITOR_REFRESH_MS);
      this.timer.unref();
    }
  }
}

function pending<T>(): Reading<T> {
  return { ok: false, error: 'not read yet', since: Date.now() };
}

/** The new reading: the value read, or the failure (since the first failure in a row). */
function next<T>(
  previous: Reading<T>,
  result: PromiseSettledResult<T>,
): Reading<T> {
  const now = Date.now();
  if (result.status === 'fulfilled') {
    return { ok: true, value: result.value, at: now };
  }
  return {
    ok: false,
    error: errorMessage(result.reason),
    since: previous.ok ? now : previous.since,
    last: previous.ok ? previous.value : previous.last,
  };
}
