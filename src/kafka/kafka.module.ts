import {
  type DynamicModule,
  Global,
  Inject,
  Logger,
  Module,
  OnModuleInit,
  type Provider,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { kafkaConfig, producerConfig } from '../config/config.namespaces.js';
import { KafkaAdmin } from './client/kafka-admin.port.js';
import { KafkaProducer } from './client/kafka-producer.port.js';
import { DeadLetterPublisher } from './consumer/dead-letter.publisher.js';
import { GroupConsumerRegistry } from './consumer/group-consumer.registry.js';
import { SerialProducer } from './producer/serial-producer.js';
import type { KafkaClientName } from '../config/configuration.js';
import { kafkajsProviders } from './kafkajs/kafkajs.providers.js';
import { platformaticProviders } from './platformatic/platformatic.providers.js';
import { ConnectionFailures } from './client/connection-failures.js';
import {
  GROUP_CONSUMER_FACTORY,
  KAFKA_CLIENT,
  MONITOR_ADMIN,
} from './kafka.constants.js';
import {
  ConfigurationMismatchError,
  errorMessage,
  kafkaErrorCause,
} from './kafka.errors.js';
import { TopicService } from './topics/topic.service.js';
import { GroupPauseBoard } from './control/group-pause.board.js';

const BOOT_ATTEMPTS = 3;

/** Each client adapter's providers of the port tokens (one folder each under src/kafka). */
const CLIENT_PROVIDERS: Record<KafkaClientName, Provider[]> = {
  kafkajs: kafkajsProviders,
  platformatic: platformaticProviders,
};

const EXPORTS = [
  KAFKA_CLIENT,
  GROUP_CONSUMER_FACTORY,
  KafkaAdmin,
  MONITOR_ADMIN,
  KafkaProducer,
  SerialProducer,
  TopicService,
  DeadLetterPublisher,
  GroupConsumerRegistry,
  ConnectionFailures,
  GroupPauseBoard,
];

@Global()
@Module({})
export class KafkaModule implements OnModuleInit {
  private readonly logger = new Logger(KafkaModule.name);

  /** The ports on the chosen client (KAFKA_CLIENT), and what the service builds on them. */
  static forClient(client: KafkaClientName): DynamicModule {
    return {
      module: KafkaModule,
      providers: [
        ...CLIENT_PROVIDERS[client],
        { provide: ConnectionFailures, useValue: new ConnectionFailures() },
        {
          // Every send goes through one SerialProducer: one request in flight.
          provide: SerialProducer,
          inject: [KafkaProducer, producerConfig.KEY],
          useFactory: (
            producer: KafkaProducer,
            config: ConfigType<typeof producerConfig>,
          ) =>
            new SerialProducer(
              (topic, records) => producer.send(topic, records),
              {
                maxPartitionBytes: config.maxBatchBytes,
                timeoutMs: config.timeoutMs,
              },
            ),
        },
        TopicService,
        DeadLetterPublisher,
        GroupConsumerRegistry,
        GroupPauseBoard,
      ],
      exports: EXPORTS,
    };
  }

  constructor(
    private readonly topics: TopicService,
    private readonly failures: ConnectionFailures,
    @Inject(kafkaConfig.KEY)
    private readonly config: ConfigType<typeof kafkaConfig>,
  ) {}

  /** Every role needs the topic, so it is provisioned before anything starts. */
  async onModuleInit(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.topics.provision();
        return;
      } catch (error) {
        if (error instanceof ConfigurationMismatchError) {
          throw error;
        }
        // A timeout hides why; kafkajs' last connection error says it.
        const why =
          kafkaErrorCause(error) === 'timeout' && this.failures.last
            ? new Error(this.failures.last.message, {
                cause: this.failures.last.error ?? error,
              })
            : error;
        // Credentials, certificates and permissions do not fix themselves: say so at once.
        const refused = bootRefusal(why, this.config);
        if (refused) {
          throw new ConfigurationMismatchError(refused);
        }
        if (attempt >= BOOT_ATTEMPTS) {
          const tlsHint = this.config.security.ssl
            ? ''
            : ' If its listener uses TLS, set KAFKA_SSL=true.';
          throw new Error(
            `Kafka at ${this.config.brokers.join(',')} is unreachable (${errorMessage(why)}). ` +
              `Is the broker running? Locally: npm run kafka:start.${tlsHint}`,
          );
        }
        this.logger.warn(
          `topic provisioning attempt ${attempt} failed: ${errorMessage(why)}; retrying`,
        );
        await new Promise((resolve) => setTimeout(resolve, 1_000 * attempt));
      }
    }
  }
}

/** The one line for a boot failure that retrying cannot fix; undefined for the others. */
function bootRefusal(
  error: unknown,
  config: ConfigType<typeof kafkaConfig>,
): string | undefined {
  const brokers = config.brokers.join(',');
  const { sasl } = config.security;
  switch (kafkaErrorCause(error)) {
    case 'not_authenticated':
      return sasl
        ? `Kafka at ${brokers} refused the credentials: SASL ${sasl.mechanism.toUpperCase()} as user "${sasl.username}" failed. Check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD(_FILE).`
        : `Kafka at ${brokers} requires authentication: set KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD(_FILE).`;
    case 'tls':
      return `TLS to Kafka at ${brokers} failed: the broker's certificate is not trusted or does not name the host (${errorMessage(error)}). Check KAFKA_SSL_CA_FILE.`;
    case 'not_authorized':
      return `not authorized to use topic ${config.topic} at ${brokers}${sasl ? ` as user "${sasl.username}"` : ''}: grant it Describe (and Create if the topic does not exist yet), e.g. kafka-acls.sh --add --allow-principal User:${sasl?.username ?? '<user>'} --operation Describe --operation Create --topic ${config.topic} (docs/security.md: Secured clusters).`;
    default:
      return undefined;
  }
}
