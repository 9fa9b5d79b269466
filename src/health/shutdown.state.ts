import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { healthConfig } from '../config/config.namespaces.js';

/**
 * Flips readiness to 503 as soon as shutdown starts, before any consumer
 * leaves its group (Nest closes microservices after every
 * beforeApplicationShutdown hook), then optionally waits
 * SHUTDOWN_READINESS_DELAY_MS so load balancers see it while the HTTP server
 * still answers.
 */
@Injectable()
export class ShutdownState implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ShutdownState.name);
  private since: Date | null = null;

  constructor(
    @Inject(healthConfig.KEY)
    private readonly config: ConfigType<typeof healthConfig>,
  ) {}

  get shuttingDown(): boolean {
    return this.since !== null;
  }

  get startedAt(): Date | null {
    return this.since;
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.since = new Date();
    this.logger.log(
      `shutting down (${signal ?? 'app.close()'}): readiness is now 503, draining`,
    );
    if (this.config.shutdownReadinessDelayMs > 0) {
      await new Promise((resolve) =>
        setTimeout(resolve, this.config.shutdownReadinessDelayMs),
      );
    }
  }
}
