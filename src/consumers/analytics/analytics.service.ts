import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { consumersConfig } from '../../config/config.namespaces.js';
import { DEDUP_WINDOW_IDS, handlingKey, RecentIds } from '../recent-ids.js';
import { TopKeys } from './top-keys.js';
import type { GroupMessageMeta } from '../../kafka/consumer/group-message.context.js';
import type { DemoMessage } from '../../messages/demo-message.js';

const LATENCY_WINDOW = 1_000;

export interface LatencyStats {
  count: number;
  minMs: number | null;
  maxMs: number | null;
  meanMs: number | null;
  /** Percentiles over the last 1000 records. */
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface AnalyticsSnapshot {
  messages: number;
  /** Records not counted again: their id was seen among the last DEDUP_WINDOW_IDS. */
  repeatsIgnored: number;
  bytes: number;
  byPartition: Record<string, number>;
  byKey: Record<string, number>;
  latency: LatencyStats;
  firstAt: string | null;
  lastAt: string | null;
}

/** The analytics group's business logic: aggregates over what this replica handled. */
@Injectable()
export class AnalyticsService {
  constructor(
    @Inject(consumersConfig.KEY)
    config: Pick<ConfigType<typeof consumersConfig>, 'analyticsTopKeys'>,
  ) {
    this.byKey = new TopKeys(config.analyticsTopKeys);
  }

  private messages = 0;
  private repeatsIgnored = 0;
  private readonly seen = new RecentIds(DEDUP_WINDOW_IDS);
  private bytes = 0;
  private readonly byPartition = new Map<number, number>();
  private readonly byKey: TopKeys;
  private latencySum = 0;
  private latencyMin = Infinity;
  private latencyMax = -Infinity;
  private readonly recentLatencies: number[] = [];
  private firstAt: Date | null = null;
  private lastAt: Date | null = null;

  record(message: DemoMessage, meta: GroupMessageMeta): void {
    if (!this.seen.firstTime(handlingKey(message.id, meta))) {
      this.repeatsIgnored++;
      return;
    }
    const now = new Date();
    const latency = now.getTime() - Date.parse(message.producedAt);
    this.messages++;
    this.bytes += meta.sizeBytes;
    this.byPartition.set(
      meta.partition,
      (this.byPartition.get(meta.partition) ?? 0) + 1,
    );
    const key = meta.key ?? '(none)';
    this.byKey.add(key);
    this.latencySum += latency;
    this.latencyMin = Math.min(this.latencyMin, latency);
    this.latencyMax = Math.max(this.latencyMax, latency);
    this.recentLatencies.push(latency);
    if (this.recentLatencies.length > LATENCY_WINDOW) {
      this.recentLatencies.shift();
    }
    this.firstAt ??= now;
    this.lastAt = now;
  }

  snapshot(): AnalyticsSnapshot {
    const sorted = [...this.recentLatencies].sort((a, b) => a - b);
    const empty = this.messages === 0;
    return {
      messages: this.messages,
      repeatsIgnored: this.repeatsIgnored,
      bytes: this.bytes,
      byPartition: Object.fromEntries(
        [...this.byPartition]
          .sort(([a], [b]) => a - b)
          .map(([p, n]) => [String(p), n]),
      ),
      byKey: this.byKey.top(),
      latency: {
        count: this.messages,
        minMs: empty ? null : this.latencyMin,
        maxMs: empty ? null : this.latencyMax,
        meanMs: empty
          ? null
          : Math.round((this.latencySum / this.messages) * 100) / 100,
        p50Ms: percentile(sorted, 0.5),
        p95Ms: percentile(sorted, 0.95),
      },
      firstAt: this.firstAt?.toISOString() ?? null,
      lastAt: this.lastAt?.toISOString() ?? null,
    };
  }
}

export function percentile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) {
    return null;
  }
  const index = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? null;
}
