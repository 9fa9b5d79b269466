import { Logger, type Provider } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Kafka } from 'kafkajs';
import {
  appConfig,
  healthConfig,
  kafkaConfig,
} from '../../config/config.namespaces.js';
import type { GroupConsumerFactory } from '../client/group-consumer.port.js';
import { KafkaAdmin } from '../client/kafka-admin.port.js';
import { KafkaProducer } from '../client/kafka-producer.port.js';
import {
  GROUP_CONSUMER_FACTORY,
  KAFKA_CLIENT,
  MONITOR_ADMIN,
} from '../kafka.constants.js';
import { BrokerRanking } from '../client/broker-ranking.js';
import { KafkajsAdmin } from './kafkajs-admin.js';
import { KafkajsGroupConsumer } from './kafkajs-group-consumer.js';
import { assertPatchedKafkajs } from './kafkajs-internals.js';
import { applyFastRecordDecoding } from './kafkajs-record-decoding.fix.js';
import { applyFastRecordEncoding } from './kafkajs-record-encoding.fix.js';
import { ConnectionFailures } from '../client/connection-failures.js';
import { kafkaLogCreator } from './kafkajs-logger.js';
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
    inject: [kafkaConfig.KEY, appConfig.KEY, ConnectionFailures, BrokerRanking],
    useFactory: (
      config: ConfigType<typeof kafkaConfig>,
      app: ConfigType<typeof appConfig>,
      failures: ConnectionFailures,
      ranking: BrokerRanking,
    ) => {
      for (const warning of config.security.warnings) {
        new Logger('KafkaSecurity').warn(warning);
      }
      return kafkaClient(config, app, failures, ranking, {
        requestTimeoutMs: config.requestTimeoutMs,
        connectionTimeoutMs: config.connectionTimeoutMs,
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
  {
    provide: BrokerRanking,
    inject: [kafkaConfig.KEY],
    useFactory: (config: ConfigType<typeof kafkaConfig>) =>
      new BrokerRanking(config.brokers),
  },
  {
    provide: KafkaAdmin,
    inject: [KAFKA_CLIENT, kafkaConfig.KEY],
    useFactory: (kafka: Kafka, config: ConfigType<typeof kafkaConfig>) =>
      new KafkajsAdmin(kafka, config.requestTimeoutMs, 1),
  },
  {
    provide: MONITOR_ADMIN,
    inject: [
      kafkaConfig.KEY,
      appConfig.KEY,
      healthConfig.KEY,
      ConnectionFailures,
      BrokerRanking,
    ],
    useFactory: (
      config: ConfigType<typeof kafkaConfig>,
      app: ConfigType<typeof appConfig>,
      health: ConfigType<typeof healthConfig>,
      failures: ConnectionFailures,
      ranking: BrokerRanking,
    ) => {
      // Half the deadline per request: connecting (ApiVersions) and one
      // request both fit in it, and a hanging broker is named (REQUEST_TIMEOUT)
      // before the caller's deadline ends. Only this admin tells the ranking:
      // its connections carry nothing a live broker may hold (an acks=all
      // produce or a commit waiting on a frozen follower), and a broker
      // answers one connection's requests in order.
      const requestMs = Math.max(100, Math.floor(health.brokerTimeoutMs / 2));
      const kafka = kafkaClient(config, app, failures, ranking, {
        requestTimeoutMs: requestMs,
        connectionTimeoutMs: Math.min(config.connectionTimeoutMs, requestMs),
      });
      return new KafkajsAdmin(kafka, health.brokerTimeoutMs, 0, ranking);
    },
  },
  { provide: KafkaProducer, useClass: KafkajsProducer },
];

/**
 * A kafkajs client with the fixes applied. `brokers` is a function: each new
 * connection starts on a broker that has not hung lately (BrokerRanking).
 */
function kafkaClient(
  config: ConfigType<typeof kafkaConfig>,
  app: ConfigType<typeof appConfig>,
  failures: ConnectionFailures,
  ranking: BrokerRanking,
  timeouts: { requestTimeoutMs: number; connectionTimeoutMs: number },
): Kafka {
  // The fixes below fit one kafkajs release: refuse to boot on another.
  assertPatchedKafkajs();
  applyFastRecordDecoding();
  applyFastRecordEncoding();
  applyNonNegativeThrottleCheck();
  const SettledKafka = kafkaWithSettledProduceRetries();
  return new SettledKafka({
    clientId: config.clientId,
    brokers: () => ranking.brokers(),
    connectionTimeout: timeouts.connectionTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    // Why: the clusters' own retries (connect, metadata, coordinator lookup)
    // back off to 30 s by default, and a consumer that crashed on them
    // restarts after the last backoff: ~12 s after a full outage had ended.
    // Capped at 2 s like the consumers' (KafkajsGroupConsumer).
    retry: { initialRetryTime: 300, maxRetryTime: 2_000, retries: 5 },
    ...kafkaSecurityOptions(config.security),
    logCreator: kafkaLogCreator(
      app.logFormat,
      secretsOf(config.security),
      failures,
    ),
  });
}
