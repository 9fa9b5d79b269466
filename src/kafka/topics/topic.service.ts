import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { kafkaConfig } from '../../config/config.namespaces.js';
import {
  KafkaAdmin,
  type TopicReplication,
} from '../client/kafka-admin.port.js';
import { ConfigurationMismatchError, errorMessage } from '../kafka.errors.js';
import { untilTopicKnown } from './topic-propagation.js';

/**
 * Owns the one topic this service works on: makes sure it exists at boot and
 * knows its real partition count (which may differ from the configured one).
 */
@Injectable()
export class TopicService {
  private readonly logger = new Logger(TopicService.name);
  private count = 0;
  private replicas: TopicReplication | null = null;

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

  /** The topic's replication factor and min.insync.replicas, read at boot (null before, or unreadable). */
  get replication(): TopicReplication | null {
    return this.replicas;
  }

  /**
   * Creates the topic with the configured partitions if it is missing, then reads
   * its real partition count. Safe when several replicas boot at once: kafkajs
   * answers `false` instead of failing when the topic already exists.
   */
  async provision(): Promise<number> {
    const { topic, topicPartitions, topicReplicationFactor } = this.config;
    const brokers = await this.checkReplicationFactor(topicReplicationFactor);
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
    await this.readReplication(brokers);
    return count;
  }

  /**
   * A replication factor the cluster cannot give is a configuration mistake,
   * not an outage. Returns the cluster's broker count.
   */
  private async checkReplicationFactor(
    factor: number | undefined,
  ): Promise<number> {
    const { brokers } = await this.admin.describeCluster();
    if (factor !== undefined && factor > brokers.length) {
      throw new ConfigurationMismatchError(
        `KAFKA_TOPIC_REPLICATION_FACTOR=${factor} but the cluster has ${brokers.length} broker${brokers.length === 1 ? '' : 's'}: set it to ${brokers.length} or less`,
      );
    }
    return brokers.length;
  }

  /** Reads the topic's replication for /health, and warns once when it cannot survive a broker loss. */
  private async readReplication(brokers: number): Promise<void> {
    try {
      // Like the partition count: a broker that does not know the new topic
      // yet is asked again (CI saw "does not host this topic-partition" here,
      // and /health named no replication until a restart).
      this.replicas = await untilTopicKnown(
        () => this.admin.topicReplication(this.topic),
        (error, delayMs) => {
          this.logger.debug(
            `cannot read the replication of topic ${this.topic} yet (${errorMessage(error)}); again in ${delayMs} ms`,
          );
          return true;
        },
      );
    } catch (error) {
      this.logger.warn(
        `cannot read the replication of topic ${this.topic}: ${errorMessage(error)}`,
      );
      return;
    }
    const weak = replicationWarning(this.topic, this.replicas, brokers);
    if (weak) this.logger.warn(weak);
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
    configs?: Readonly<Record<string, string>>,
  ): Promise<boolean> {
    const existing = await this.admin.listTopics();
    if (existing.includes(topic)) {
      return false;
    }
    return this.admin.createTopic(
      topic,
      numPartitions,
      replicationFactor,
      undefined,
      configs,
    );
  }

  /** Re-reads the partition count, e.g. after an operator grew the topic. */
  async refresh(): Promise<number> {
    this.count = await this.admin.partitionCount(this.topic);
    return this.count;
  }
}

/**
 * Why warn: acks=all only waits for min.insync.replicas copies; with fewer
 * than min ISR + 1 replicas one broker down stops writes (or, at min ISR 1,
 * an acknowledged record lives on one disk), and fewer than 3 replicas on a
 * cluster of 3 or more is usually a forgotten setting, not a choice.
 */
export function replicationWarning(
  topic: string,
  { replicationFactor, minInsyncReplicas }: TopicReplication,
  brokers: number,
): string | undefined {
  const minIsr = minInsyncReplicas ?? 1;
  const wanted = Math.max(minIsr + 1, brokers >= 3 ? 3 : 0);
  if (replicationFactor >= wanted) return undefined;
  return (
    `Topic ${topic} has ${replicationFactor} replica${replicationFactor === 1 ? '' : 's'} ` +
    `(min.insync.replicas=${minIsr}, ${brokers} broker${brokers === 1 ? '' : 's'}): ` +
    `losing one broker ${replicationFactor > minIsr ? 'leaves no spare copy' : 'stops writes or loses acknowledged records'}. ` +
    `Raise its replication with kafka-reassign-partitions.sh (new topics: unset KAFKA_TOPIC_REPLICATION_FACTOR to get the broker's default.replication.factor)`
  );
}
