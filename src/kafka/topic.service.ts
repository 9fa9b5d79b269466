import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { kafkaConfig } from '../config/config.namespaces.js';
import { KafkaAdmin } from './client/kafka-admin.port.js';
import { ConfigurationMismatchError, errorMessage } from './kafka.errors.js';
import { untilTopicKnown } from './topic-propagation.js';

/**
 * Owns the one topic this service works on: makes sure it exists at boot and
 * knows its real partition count (which may differ from the configured one).
 */
@Injectable()
export class TopicService {
  private readonly logger = new Logger(TopicService.name);
  private count = 0;

  constructor(
    private readonly admin: KafkaAdmin,
    @Inject(kafkaConfig.KEY)
    private readonly config: ConfigType<typeof kafkaConfig>,
  ) {}

  get topic(): string {
    return this.config.topic;
  }

  /** The partition count read from the broker at boot (or at the last refresh). */
  get partitionCount(): number {
    return this.count;
  }

  /**
   * Creates the topic with the configured partitions if it is missing, then reads
   * its real partition count. Safe when several replicas boot at once: kafkajs
   * answers `false` instead of failing when the topic already exists.
   */
  async provision(): Promise<number> {
    const { topic, topicPartitions, topicReplicationFactor } = this.config;
    await this.checkReplicationFactor(topicReplicationFactor);
    // Just created (here or by a replica booting alongside), the topic is not
    // known to every broker yet for a moment: read again until it is.
    let created = false;
    const count = await untilTopicKnown(
      async () => {
        created =
          (await this.ensureTopic(
            topic,
            topicPartitions,
            topicReplicationFactor,
          )) || created;
        return this.refresh();
      },
      (error, delayMs) => {
        this.logger.warn(
          `cannot read topic ${topic} yet (${errorMessage(error)}); again in ${delayMs} ms`,
        );
        return true;
      },
    );
    if (created) {
      this.logger.log(`Created topic ${topic} with ${count} partitions`);
    } else if (count < topicPartitions) {
      this.logger.warn(
        `Topic ${topic} has ${count} partitions, fewer than KAFKA_TOPIC_PARTITIONS=${topicPartitions}. ` +
          `It is used as it is (never shrunk or recreated); to grow it run ` +
          `kafka-topics.sh --bootstrap-server <broker> --alter --topic ${topic} --partitions ${topicPartitions}`,
      );
    } else {
      this.logger.log(`Topic ${topic} exists with ${count} partitions`);
    }
    return count;
  }

  /** A replication factor the cluster cannot give is a configuration mistake, not an outage. */
  private async checkReplicationFactor(factor: number): Promise<void> {
    const { brokers } = await this.admin.describeCluster();
    if (factor > brokers.length) {
      throw new ConfigurationMismatchError(
        `KAFKA_TOPIC_REPLICATION_FACTOR=${factor} but the cluster has ${brokers.length} broker${brokers.length === 1 ? '' : 's'}: set it to ${brokers.length} or less`,
      );
    }
  }

  /**
   * Creates `topic` unless it exists; true when this call created it. Looks
   * first, so a service without Create permission works on a topic that
   * exists (and no broker error is logged for an existing topic at each boot).
   */
  async ensureTopic(
    topic: string,
    numPartitions: number,
    replicationFactor = this.config.topicReplicationFactor,
  ): Promise<boolean> {
    const existing = await this.admin.listTopics();
    if (existing.includes(topic)) {
      return false;
    }
    return this.admin.createTopic(topic, numPartitions, replicationFactor);
  }

  /** Re-reads the partition count, e.g. after an operator grew the topic. */
  async refresh(): Promise<number> {
    this.count = await this.admin.partitionCount(this.topic);
    return this.count;
  }
}
