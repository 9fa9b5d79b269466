import { Module } from '@nestjs/common';
import { groupConsumerProvider } from '../group-consumer.provider.js';
import { ConsumersModule } from '../consumers.module.js';
import {
  ANALYTICS_SERVER,
  ANALYTICS_TRANSPORT,
} from './analytics.constants.js';
import { AnalyticsController } from './analytics.controller.js';
import { AnalyticsService } from './analytics.service.js';

@Module({
  imports: [ConsumersModule],
  controllers: [AnalyticsController],
  providers: [
    AnalyticsService,
    groupConsumerProvider({
      provide: ANALYTICS_SERVER,
      name: 'analytics',
      transportId: ANALYTICS_TRANSPORT,
      groupId: (settings) => settings.analyticsGroupId,
    }),
  ],
})
export class AnalyticsModule {}
