import { Global, Module } from '@nestjs/common';
import { ConsumerLagCollector } from './consumer-lag.collector.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

/** GET /metrics on every replica; MetricsService is injectable everywhere. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, ConsumerLagCollector],
  exports: [MetricsService],
})
export class MetricsModule {}
