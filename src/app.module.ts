import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { CONFIG_NAMESPACES } from './config/config.namespaces.js';
import type { AppRole, KafkaClientName } from './config/configuration.js';
import { AnalyticsModule } from './consumers/analytics/analytics.module.js';
import { ConsumersModule } from './consumers/consumers.module.js';
import { RealtimeModule } from './consumers/realtime/realtime.module.js';
import { DashboardModule } from './dashboard/dashboard.module.js';
import { DeadLettersModule } from './dead-letters/dead-letters.module.js';
import { HealthModule } from './health/health.module.js';
import { KafkaModule } from './kafka/kafka.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { ProducerModule } from './producer/producer.module.js';

const ROLE_MODULES: Record<AppRole, Type> = {
  producer: ProducerModule,
  realtime: RealtimeModule,
  analytics: AnalyticsModule,
};

@Module({})
export class AppModule {
  /** The feature modules this replica runs, chosen by APP_ROLES. */
  static forRoles(
    roles: readonly AppRole[],
    client: KafkaClientName = 'kafkajs',
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // main.ts loads .env and validates before Nest starts; here only the namespaces.
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          load: CONFIG_NAMESPACES,
        }),
        KafkaModule.forClient(client),
        MetricsModule,
        ConsumersModule,
        HealthModule,
        DashboardModule,
        DeadLettersModule,
        ...roles.map((role) => ROLE_MODULES[role]),
      ],
    };
  }
}
