import { Global, Inject, Logger, Module, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Kafka } from 'kafkajs';
import { appConfig, kafkaConfig } from '../config/config.namespaces.js';
import { DeadLetterPublisher } from './dead-letter.publisher.js';
import { GroupConsumerRegistry } from './group-consumer.registry.js';
import { KafkaAdminService } from './kafka-admin.service.js';
import { kafkaLogCreator } from './kafka-logger.js';
import { KafkaProducerService } from './kafka-producer.service.js';
import { applyLinearHeaderDecoding } from './kafkajs-header-decoding.fix.js';
import { KAFKA_CLIENT } from './kafka.constants.js';
import { ConfigurationMismatchError, errorMessage } from './kafka.errors.js';
import { TopicService } from './topic.service.js';

const BOOT_ATTEMPTS = 3;

@Global()
@Module({
  providers: [
    {
      provide: KAFKA_CLIENT,
      inject: [kafkaConfig.KEY, appConfig.KEY],
      useFactory: (
        config: ConfigType<typeof kafkaConfig>,
        app: ConfigType<typeof appConfig>,
      ) => {
        applyLinearHeaderDecoding();
        return new Kafka({
          clientId: config.clientId,
          brokers: config.brokers,
          connectionTimeout: config.connectionTimeoutMs,
          requestTimeout: config.requestTimeoutMs,
          logCreator: kafkaLogCreator(app.logFormat),
        });
      },
    },
    KafkaAdminService,
    KafkaProducerService,
    TopicService,
    DeadLetterPublisher,
    GroupConsumerRegistry,
  ],
  exports: [
    KAFKA_CLIENT,
    KafkaAdminService,
    KafkaProducerService,
    TopicService,
    DeadLetterPublisher,
    GroupConsumerRegistry,
  ],
})
export class KafkaModule implements OnModuleInit {
  private readonly logger = new Logger(KafkaModule.name);

  constructor(
    private readonly topics: TopicService,
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
        if (attempt >= BOOT_ATTEMPTS) {
          throw new Error(
            `Kafka at ${this.config.brokers.join(',')} is unreachable (${errorMessage(error)}). ` +
              `Is the broker running? Locally: npm run kafka:start`,
          );
        }
        this.logger.warn(
          `topic provisioning attempt ${attempt} failed: ${errorMessage(error)}; retrying`,
        );
        await new Promise((resolve) => setTimeout(resolve, 1_000 * attempt));
      }
    }
  }
}
