import { Logger, type Provider } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import {
  healthConfig,
  kafkaConfig,
  producerConfig,
} from '../../config/config.namespaces.js';
import { BrokerRanking } from '../client/broker-ranking.js';
import { ConnectionFailures } from '../client/connection-failures.js';
import type { GroupConsumerFactory } from '../client/group-consumer.port.js';
import { KafkaAdmin } from '../client/kafka-admin.port.js';
import { KafkaProducer } from '../client/kafka-producer.port.js';
import {
  GROUP_CONSUMER_FACTORY,
  KAFKA_CLIENT,
  MONITOR_ADMIN,
} from '../kafka.constants.js';
import { PlatformaticAdmin } from './platformatic-admin.js';
import { PlatformaticGroupConsumer } from './platformatic-group-consumer.js';
import { baseOptions } from './platformatic-options.js';
import { PlatformaticProducer } from './platformatic-producer.js';

/**
 * The @platformatic/kafka adapter of the client port (KAFKA_CLIENT=platformatic),
 * as Nest providers of the same tokens as the kafkajs adapter's. KAFKA_CLIENT
 * is the clients' shared options.
 */
export const platformaticProviders: Provider[] = [
  {
    provide: KAFKA_CLIENT,
    inject: [kafkaConfig.KEY],
    useFactory: (config: ConfigType<typeof kafkaConfig>) => {
      for (const warning of config.security.warnings) {
        new Logger('KafkaSecurity').warn(warning);
      }
      return baseOptions(config);
    },
  },
  {
    // Which bootstrap broker a new client asks first: not one that hung lately.
    provide: BrokerRanking,
    inject: [kafkaConfig.KEY],
    useFactory: (config: ConfigType<typeof kafkaConfig>) =>
      new BrokerRanking(config.brokers),
  },
  {
    provide: GROUP_CONSUMER_FACTORY,
    inject: [KAFKA_CLIENT, kafkaConfig.KEY, BrokerRanking],
    useFactory:
      (
        options: ReturnType<typeof baseOptions>,
        config: ConfigType<typeof kafkaConfig>,
        ranking: BrokerRanking,
      ): GroupConsumerFactory =>
      (settings) =>
        new PlatformaticGroupConsumer(
          options,
          settings,
          config.groupProtocol,
          () => ranking.brokers(),
        ),
  },
  {
    provide: KafkaAdmin,
    inject: [KAFKA_CLIENT, kafkaConfig.KEY, ConnectionFailures],
    useFactory: (
      options: ReturnType<typeof baseOptions>,
      config: ConfigType<typeof kafkaConfig>,
      failures: ConnectionFailures,
    ) =>
      new PlatformaticAdmin(
        options,
        config.requestTimeoutMs,
        config.groupProtocol,
        failures,
      ),
  },
  {
    provide: MONITOR_ADMIN,
    inject: [kafkaConfig.KEY, healthConfig.KEY, BrokerRanking],
    useFactory: (
      config: ConfigType<typeof kafkaConfig>,
      health: ConfigType<typeof healthConfig>,
      ranking: BrokerRanking,
    ) => {
      // Half the deadline per request, no retries: a hanging broker costs one refresh.
      const requestMs = Math.max(100, Math.floor(health.brokerTimeoutMs / 2));
      return new PlatformaticAdmin(
        {
          ...baseOptions(config, {
            requestTimeoutMs: requestMs,
            connectionTimeoutMs: Math.min(
              config.connectionTimeoutMs,
              requestMs,
            ),
          }),
          retries: 0,
        },
        health.brokerTimeoutMs,
        config.groupProtocol,
        undefined,
        // Only this admin tells the ranking: its reads wait for nothing.
        ranking,
      );
    },
  },
  {
    provide: KafkaProducer,
    inject: [KAFKA_CLIENT, producerConfig.KEY, BrokerRanking],
    useFactory: (
      options: ReturnType<typeof baseOptions>,
      config: ConfigType<typeof producerConfig>,
      ranking: BrokerRanking,
    ) =>
      new PlatformaticProducer(
        { ...options, retries: Number.MAX_SAFE_INTEGER },
        config.timeoutMs,
        () => ranking.brokers(),
      ),
  },
];
