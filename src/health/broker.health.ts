import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { HealthIndicatorService } from '@nestjs/terminus';
import { healthConfig, kafkaConfig } from '../config/config.namespaces.js';
import { KafkaAdmin } from '../kafka/client/kafka-admin.port.js';
import { errorMessage } from '../kafka/kafka.errors.js';

/** The broker answers a metadata request on the shared admin connection, within a bound. */
@Injectable()
export class BrokerHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly admin: KafkaAdmin,
    @Inject(healthConfig.KEY)
    private readonly health: ConfigType<typeof healthConfig>,
    @Inject(kafkaConfig.KEY)
    private readonly kafka: ConfigType<typeof kafkaConfig>,
  ) {}

  /** `detailed`: cluster id, controller and brokers (GET /health), not for probes. */
  async check(detailed: boolean, key = 'kafka-broker') {
    const indicator = this.indicators.check(key);
    try {
      const cluster = await this.admin.describeCluster(
        this.health.brokerTimeoutMs,
      );
      return detailed
        ? indicator.up({
            clusterId: cluster.clusterId,
            controller: cluster.controller,
            brokers: cluster.brokers.map(({ host, port }) => `${host}:${port}`),
          })
        : indicator.up();
    } catch (error) {
      return detailed
        ? indicator.down({
            message: `Kafka broker unreachable: ${errorMessage(error)}`,
            bootstrap: this.kafka.brokers,
          })
        : indicator.down({ message: 'Kafka broker unreachable' });
    }
  }
}
