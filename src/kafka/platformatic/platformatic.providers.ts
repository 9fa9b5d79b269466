import { Logger, type Provider } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import {
  healthConfig,
  kafkaConfig,
  producerConfig,
} from '../../config/config.namespaces.js';
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
    provide: GROUP_CONSUMER_FACTORY,
    inject: [KAFKA_CLIENT, kafkaConfig.KEY],
    useFactory:
      (
        options: ReturnType<typeof baseOptions>,
        config: ConfigType<typeof kafkaConfig>,
      ): GroupConsumerFactory =>
      (settings) =>
        new PlatformaticGroupConsumer(options, settings, config.groupProtocol),
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
    inject: [kafkaConfig.KEY, healthConfig.KEY],
    useFactory: (
      config: ConfigType<typeof kafkaConfig>,
      health: ConfigType<typeof healthConfig>,
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
      );
    },
  },
  {
    provide: KafkaProducer,
    inject: [KAFKA_CLIENT, producerConfig.KEY],
    useFactory: (
      options: ReturnType<typeof baseOptions>,
      config: ConfigType<typeof producerConfig>,
    ) =>
      new PlatformaticProducer(
        { ...options, retries: Number.MAX_SAFE_INTEGER },
        config.timeoutMs,
      ),
  },
];
