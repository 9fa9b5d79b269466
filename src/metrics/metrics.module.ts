import { Global, Module } from '@nestjs/common';
import { ConsumerLagCollector } from './consumer-lag.collector.js';
import { ConsumerLagReport } from './consumer-lag.report.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

/** GET /metrics on every replica; MetricsService and ConsumerLagReport are injectable everywhere. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, ConsumerLagReport, ConsumerLagCollector],
  exports: [MetricsService, ConsumerLagReport],
})
export class MetricsModule {}
