import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Env, EnvReader } from './env.parsers.js';
import {
  type GroupProtocol,
  type KafkaClientName,
  readKafkaClient,
} from './kafka-client.config.js';
export type { GroupProtocol, KafkaClientName };
import {
  type KafkaSecuritySettings,
  readKafkaSecurity,
} from './kafka-security.config.js';

export const APP_ROLES = ['producer', 'realtime', 'analytics'] as const;
export type AppRole = (typeof APP_ROLES)[number];

export const LOG_LEVELS = [
  'fatal',
  'error',
  'warn',
  'log',
  'debug',
  'verbose',
] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface AppSettings {
  port: number;
  roles: AppRole[];
  logLevel: LogLevel;
  logFormat: 'json' | 'text';
  bodyLimitBytes: number;
  /** Deepest nesting of objects and arrays accepted in a JSON body. */
  maxJsonDepth: number;
  /** Time allowed to receive a whole request (headers and body). */
  requestTimeoutMs: number;
  shutdownTimeoutMs: number;
  /** Origins (scheme://host[:port]) whose web pages may write (POST) besides this one's. */
  allowedOrigins: string[];
  /** Open Server-Sent Event streams (record stream and dashboards) at once. */
  sseMaxStreams: number;
  /** Bytes all streams may hold unsent together; each stream gets its share. */
  sseMaxBufferedBytes: number;
}

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  topic: string;
  topicPartitions: number;
  /** undefined: the broker's default.replication.factor applies to topics the service creates. */
  topicReplicationFactor: number | undefined;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  security: KafkaSecuritySettings;
  /** Which client library speaks to Kafka (src/kafka/<client>/). */
  client: KafkaClientName;
  /** The consumer group protocol: classic (JoinGroup/SyncGroup) or consumer (KIP-848). */
  groupProtocol: GroupProtocol;
  /**
   * This replica's static-membership id (KIP-345, KIP-848); each group's
   * member uses `<id>-<role>` (groupInstanceIdOf). undefined: dynamic members.
   */
  groupInstanceId: string | undefined;
}

export interface ProducerSettings {
  timeoutMs: number;
  maxMessagesPerPartition: number;
  /** Records one POST /produce may write in all (messagesPerPartition × partitions). */
  maxRecords: number;
  maxHeaders: number;
  /** Header names and values of one request together, UTF-8 bytes. */
  maxHeaderBytes: number;
  maxKeyBytes: number;
  /** The request's payload as JSON, UTF-8 bytes. */
  maxPayloadBytes: number;
  /** One partition's records in one request; under the broker's message.max.bytes (1 MiB by default). */
  maxBatchBytes: number;
  apiKey: string | undefined;
  /** Idempotency-Keys one replica remembers, and for how long. */
  idempotencyMaxKeys: number;
  idempotencyTtlMs: number;
}

export interface ConsumerSettings {
  realtimeGroupId: string;
  analyticsGroupId: string;
  fromBeginning: boolean;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  maxRetries: number;
  retryBackoffMs: number;
  journalFile: string | undefined;
  /** Distinct record keys GET /analytics keeps counts for (the most frequent). */
  analyticsTopKeys: number;
}

export interface HealthSettings {
  brokerTimeoutMs: number;
  rebalanceGraceMs: number;
  shutdownReadinessDelayMs: number;
}

export interface MetricsSettings {
  /** Least time between two broker reads made for /metrics (cached in between). */
  brokerRefreshMs: number;
  /** A partition with lag whose group has not committed for longer than this is STOP (lag status). */
  stopAfterMs: number;
}

export interface DashboardSettings {
  /** Time between two reads of the cluster while at least one page is open. */
  refreshMs: number;
}

export interface Configuration {
  app: AppSettings;
  kafka: KafkaSettings;
  producer: ProducerSettings;
  consumers: ConsumerSettings;
  health: HealthSettings;
  metrics: MetricsSettings;
  dashboard: DashboardSettings;
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = ConfigValidationError.name;
  }
}

const BROKER_ADDRESS = /^[A-Za-z0-9._-]+:\d{1,5}$/;
// Kafka's own rule for topic names (Topic.java): legal chars, at most 249.
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * Reads and validates every setting at once. The single source of truth for
 * names and defaults: .env.example and docs/configuration.md follow it (a test
 * compares .env.example with these defaults). `nodeVersion`: the Node that
 * will run it (the platformatic engine needs 22.22+ or 24.6+).
 */
export function loadConfiguration(
  env: Env,
  nodeVersion = process.versions.node,
): Configuration {
  const read = new EnvReader(env);

  const roles = read.list('APP_ROLES', APP_ROLES);
  for (const role of roles) {
    read.check(
      (APP_ROLES as readonly string[]).includes(role),
      `APP_ROLES has unknown role "${role}": use a comma list of ${APP_ROLES.join(', ')}`,
    );
  }
  const app: AppSettings = {
    port: read.int('PORT', 3000, 0, 65535),
    roles: [...new Set(roles)].filter((role): role is AppRole =>
      (APP_ROLES as readonly string[]).includes(role),
    ),
    logLevel: read.oneOf('LOG_LEVEL', 'log', LOG_LEVELS),
    logFormat: read.oneOf('LOG_FORMAT', 'json', ['json', 'text'] as const),
    bodyLimitBytes: read.int(
      'HTTP_BODY_LIMIT_BYTES',
      102_400,
      1_024,
      10_485_760,
    ),
    shutdownTimeoutMs: read.int('SHUTDOWN_TIMEOUT_MS', 15_000, 1_000, 300_000),
    maxJsonDepth: read.int('HTTP_MAX_JSON_DEPTH', 32, 2, 1_000),
    requestTimeoutMs: read.int(
      'HTTP_REQUEST_TIMEOUT_MS',
      10_000,
      1_000,
      300_000,
    ),
    // Empty counts as unset, as for PRODUCE_API_KEY: no other origin.
    allowedOrigins: (read.optionalString('HTTP_ALLOWED_ORIGINS') ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin.length > 0),
    sseMaxStreams: read.int('SSE_MAX_STREAMS', 64, 1, 100_000),
    sseMaxBufferedBytes: read.int(
      'SSE_MAX_BUFFERED_BYTES',
      16_777_216,
      65_536,
      1_073_741_824,
    ),
  };
  for (const origin of app.allowedOrigins) {
    read.check(
      /^https?:\/\/[^/\s]+$/.test(origin),
      `HTTP_ALLOWED_ORIGINS entry "${origin}" must be an origin like https://app.example.com (scheme, host, optional port; no path)`,
    );
  }

  const brokers = read.list('KAFKA_BROKERS', ['127.0.0.1:9092']);
  for (const broker of brokers) {
    const port = Number(broker.split(':').pop());
    read.check(
      BROKER_ADDRESS.test(broker) && port >= 1 && port <= 65_535,
      `KAFKA_BROKERS entry "${broker}" must look like host:port with a port from 1 to 65535 (e.g. 127.0.0.1:9092)`,
    );
  }
  const topic = read.string('KAFKA_TOPIC', 'demo-messages');
  read.check(
    TOPIC_NAME.test(topic) && topic !== '.' && topic !== '..',
    `KAFKA_TOPIC "${topic}" is not a legal Kafka topic name: use 1-249 of [A-Za-z0-9._-]`,
  );
  const kafka: KafkaSettings = {
    brokers,
    clientId: read.string('KAFKA_CLIENT_ID', 'nest-kafka-groups'),
    topic,
    topicPartitions: read.int('KAFKA_TOPIC_PARTITIONS', 6, 1, 10_000),
    topicReplicationFactor: read.optionalInt(
      'KAFKA_TOPIC_REPLICATION_FACTOR',
      1,
      32,
    ),
    connectionTimeoutMs: read.int(
      'KAFKA_CONNECTION_TIMEOUT_MS',
      3_000,
      100,
      60_000,
    ),
    requestTimeoutMs: read.int('KAFKA_REQUEST_TIMEOUT_MS', 2_000, 100, 120_000),
    security: readKafkaSecurity(read),
    ...readKafkaClient(read, nodeVersion),
  };

  const producer: ProducerSettings = {
    timeoutMs: read.int('PRODUCE_TIMEOUT_MS', 5_000, 100, 120_000),
    maxMessagesPerPartition: read.int(
      'PRODUCE_MAX_MESSAGES_PER_PARTITION',
      1_000,
      1,
      100_000,
    ),
    maxRecords: read.int('PRODUCE_MAX_RECORDS', 10_000, 1, 1_000_000),
    maxHeaders: read.int('PRODUCE_MAX_HEADERS', 32, 0, 10_000),
    maxHeaderBytes: read.int('PRODUCE_MAX_HEADER_BYTES', 8_192, 0, 1_048_576),
    maxKeyBytes: read.int('PRODUCE_MAX_KEY_BYTES', 1_024, 1, 1_048_576),
    maxPayloadBytes: read.int(
      'PRODUCE_MAX_PAYLOAD_BYTES',
      65_536,
      1,
      10_485_760,
    ),
    maxBatchBytes: read.int(
      'PRODUCE_MAX_BATCH_BYTES',
      900_000,
      1_024,
      104_857_600,
    ),
    apiKey: read.optionalString('PRODUCE_API_KEY'),
    idempotencyMaxKeys: read.int(
      'PRODUCE_IDEMPOTENCY_MAX_KEYS',
      10_000,
      1,
      10_000_000,
    ),
    idempotencyTtlMs:
      read.int('PRODUCE_IDEMPOTENCY_TTL_SECONDS', 86_400, 1, 2_592_000) * 1_000,
  };

  const consumers: ConsumerSettings = {
    realtimeGroupId: read.string('REALTIME_GROUP_ID', 'realtime'),
    analyticsGroupId: read.string('ANALYTICS_GROUP_ID', 'analytics'),
    fromBeginning: read.bool('CONSUMER_FROM_BEGINNING', true),
    sessionTimeoutMs: read.int(
      'CONSUMER_SESSION_TIMEOUT_MS',
      10_000,
      1_000,
      300_000,
    ),
    heartbeatIntervalMs: read.int(
      'CONSUMER_HEARTBEAT_INTERVAL_MS',
      1_000,
      100,
      60_000,
    ),
    rebalanceTimeoutMs: read.int(
      'CONSUMER_REBALANCE_TIMEOUT_MS',
      30_000,
      1_000,
      300_000,
    ),
    maxRetries: read.int('CONSUMER_MAX_RETRIES', 3, 0, 100),
    retryBackoffMs: read.int('CONSUMER_RETRY_BACKOFF_MS', 200, 0, 60_000),
    journalFile: read.optionalString('CONSUMER_JOURNAL_FILE'),
    analyticsTopKeys: read.int('ANALYTICS_TOP_KEYS', 100, 1, 100_000),
  };
  if (consumers.journalFile !== undefined) {
    const dir = dirname(resolve(consumers.journalFile));
    read.check(
      existsSync(dir) && statSync(dir).isDirectory(),
      `CONSUMER_JOURNAL_FILE "${consumers.journalFile}" is in a directory that does not exist (${dir}): create it or choose another path`,
    );
  }
  read.check(
    consumers.realtimeGroupId !== consumers.analyticsGroupId,
    `REALTIME_GROUP_ID and ANALYTICS_GROUP_ID must differ (both are "${consumers.realtimeGroupId}"): one group would steal the other's partitions`,
  );
  read.check(
    consumers.heartbeatIntervalMs < consumers.sessionTimeoutMs,
    `CONSUMER_HEARTBEAT_INTERVAL_MS (${consumers.heartbeatIntervalMs}) must be lower than CONSUMER_SESSION_TIMEOUT_MS (${consumers.sessionTimeoutMs}); a third of it or less is usual`,
  );

  const health: HealthSettings = {
    brokerTimeoutMs: read.int('HEALTH_BROKER_TIMEOUT_MS', 1_000, 100, 60_000),
    rebalanceGraceMs: read.int('HEALTH_REBALANCE_GRACE_MS', 30_000, 0, 600_000),
    shutdownReadinessDelayMs: read.int(
      'SHUTDOWN_READINESS_DELAY_MS',
      0,
      0,
      60_000,
    ),
  };
  read.check(
    health.shutdownReadinessDelayMs < app.shutdownTimeoutMs,
    `SHUTDOWN_READINESS_DELAY_MS (${health.shutdownReadinessDelayMs}) must be lower than SHUTDOWN_TIMEOUT_MS (${app.shutdownTimeoutMs})`,
  );

  const metrics: MetricsSettings = {
    brokerRefreshMs: read.int(
      'METRICS_BROKER_REFRESH_MS',
      10_000,
      500,
      600_000,
    ),
    stopAfterMs: read.int('LAG_STOP_AFTER_MS', 30_000, 1_000, 3_600_000),
  };

  const dashboard: DashboardSettings = {
    refreshMs: read.int('DASHBOARD_REFRESH_MS', 1_000, 250, 60_000),
  };

  if (read.problems.length > 0) {
    throw new ConfigValidationError(read.problems);
  }
  return { app, kafka, producer, consumers, health, metrics, dashboard };
}
