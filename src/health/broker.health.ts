import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { HealthIndicatorService } from '@nestjs/terminus';
import { healthConfig, kafkaConfig } from '../config/config.namespaces.js';
import { ClusterMonitor, type Reading } from './cluster-monitor.js';

/**
 * A reading counts as down once reads have failed for longer than
 * HEALTH_BROKER_TIMEOUT_MS: one slow read on a busy host is not an outage,
 * a broker away for longer is. Returns the failure, or null while up.
 */
export function failing<T>(
  reading: Reading<T>,
  graceMs: number,
  now = Date.now(),
): string | null {
  return !reading.ok && now - reading.since >= graceMs ? reading.error : null;
}

/** The cluster answered metadata lately (ClusterMonitor's background reads; a probe never waits on a broker). */
@Injectable()
export class BrokerHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly monitor: ClusterMonitor,
    @Inject(healthConfig.KEY)
    private readonly health: ConfigType<typeof healthConfig>,
    @Inject(kafkaConfig.KEY)
    private readonly kafka: ConfigType<typeof kafkaConfig>,
  ) {}

  /** `detailed`: cluster id, controller and brokers (GET /health), not for probes. */
  check(detailed: boolean, key = 'kafka-broker') {
    const indicator = this.indicators.check(key);
    const reading = this.monitor.cluster;
    const error = failing(reading, this.health.brokerTimeoutMs);
    if (error !== null) {
      return detailed
        ? indicator.down({
            message: `Kafka broker unreachable: ${error}`,
            bootstrap: this.kafka.brokers,
          })
        : indicator.down({ message: 'Kafka broker unreachable' });
    }
    const cluster = reading.ok ? reading.value : reading.last;
    return detailed && cluster
      ? indicator.up({
          clusterId: cluster.clusterId,
          controller: cluster.controller,
          brokers: cluster.brokers.map(({ host, port }) => `${host}:${port}`),
        })
      : indicator.up();
  }
}
