import { Logger, type Provider } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Kafka } from 'kafkajs';
import { appConfig, kafkaConfig } from '../../config/config.namespaces.js';
import type { GroupConsumerFactory } from '../client/group-consumer.port.js';
import { KafkaAdmin } from '../client/kafka-admin.port.js';
import { KafkaProducer } from '../client/kafka-producer.port.js';
import { GROUP_CONSUMER_FACTORY, KAFKA_CLIENT } from '../kafka.constants.js';
import { KafkajsAdmin } from './kafkajs-admin.js';
import { KafkajsGroupConsumer } from './kafkajs-group-consumer.js';
import { applyFastRecordDecoding } from './kafkajs-record-decoding.fix.js';
import { applyFastRecordEncoding } from './kafkajs-record-encoding.fix.js';
import { ConnectionFailures, kafkaLogCreator } from './kafkajs-logger.js';
import { kafkaWithSettledProduceRetries } from './kafkajs-produce-retry.fix.js';
import { KafkajsProducer } from './kafkajs-producer.js';
import { kafkaSecurityOptions, secretsOf } from './kafkajs-security.js';
import { applyNonNegativeThrottleCheck } from './kafkajs-timeout.fix.js';

/**
 * The kafkajs adapter of the client port, as Nest providers: the one client,
 * and the admin, producer and group-consumer ports built on it. Another
 * client would be another folder exporting the same tokens.
 */
export const kafkajsProviders: Provider[] = [
  {
    provide: KAFKA_CLIENT,
    inject: [kafkaConfig.KEY, appConfig.KEY, ConnectionFailures],
    useFactory: (
      config: ConfigType<typeof kafkaConfig>,
      app: ConfigType<typeof appConfig>,
      failures: ConnectionFailures,
    ) => {
      applyFastRecordDecoding();
      applyFastRecordEncoding();
      applyNonNegativeThrottleCheck();
      const SettledKafka = kafkaWithSettledProduceRetries();
      for (const warning of config.security.warnings) {
        new Logger('KafkaSecurity').warn(warning);
      }
      return new SettledKafka({
        clientId: config.clientId,
        brokers: config.brokers,
        connectionTimeout: config.connectionTimeoutMs,
        requestTimeout: config.requestTimeoutMs,
        ...kafkaSecurityOptions(config.security),
        logCreator: kafkaLogCreator(
          app.logFormat,
          secretsOf(config.security),
          failures,
        ),
      });
    },
  },
  {
    provide: GROUP_CONSUMER_FACTORY,
    inject: [KAFKA_CLIENT],
    useFactory:
      (kafka: Kafka): GroupConsumerFactory =>
      (settings) =>
        new KafkajsGroupConsumer(kafka, settings),
  },
  { provide: ConnectionFailures, useValue: new ConnectionFailures() },
  { provide: KafkaAdmin, useClass: KafkajsAdmin },
  { provide: KafkaProducer, useClass: KafkajsProducer },
];
