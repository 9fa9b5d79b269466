import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { HealthIndicatorService } from '@nestjs/terminus';
import { appConfig } from '../config/config.namespaces.js';
import { KafkaProducer } from '../kafka/client/kafka-producer.port.js';
import { errorMessage } from '../kafka/kafka.errors.js';

/**
 * The producer is connected. If not (at boot, after a broker outage, or a
 * producer session retired after an unknown outcome) it connects in the
 * background and the probe says so at once: a probe never waits on a broker.
 */
@Injectable()
export class ProducerHealthIndicator implements OnApplicationBootstrap {
  private connecting: Promise<void> | undefined;
  private lastError: string | undefined;

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly producer: KafkaProducer,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  /** A producer replica connects before it listens, so its first probe can be ready. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.app.roles.includes('producer')) {
      await this.producer.connect().catch(() => undefined);
    }
  }

  check(key = 'producer') {
    const indicator = this.indicators.check(key);
    if (this.producer.isConnected) {
      return indicator.up({ connected: true });
    }
    // The connect is bounded by PRODUCE_TIMEOUT_MS (KafkaProducer.connect).
    this.connecting ??= this.producer
      .connect()
      .then(
        () => (this.lastError = undefined),
        (error: unknown) => (this.lastError = errorMessage(error)),
      )
      .then(() => (this.connecting = undefined));
    return indicator.down({
      connected: false,
      message: this.lastError ?? 'connecting',
    });
  }
}
