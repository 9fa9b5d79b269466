import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { HealthIndicatorService } from '@nestjs/terminus';
import { healthConfig } from '../config/config.namespaces.js';
import { KafkaProducer } from '../kafka/client/kafka-producer.port.js';
import { errorMessage, withTimeout } from '../kafka/kafka.errors.js';

/** The producer is connected; if not (e.g. after a broker outage) it tries to reconnect, bounded. */
@Injectable()
export class ProducerHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly producer: KafkaProducer,
    @Inject(healthConfig.KEY)
    private readonly health: ConfigType<typeof healthConfig>,
  ) {}

  async check(key = 'producer') {
    const indicator = this.indicators.check(key);
    if (this.producer.isConnected) {
      return indicator.up({ connected: true });
    }
    try {
      await withTimeout(
        this.producer.connect(),
        this.health.brokerTimeoutMs,
        'producer connect',
      );
      return indicator.up({ connected: true });
    } catch (error) {
      return indicator.down({ connected: false, message: errorMessage(error) });
    }
  }
}
