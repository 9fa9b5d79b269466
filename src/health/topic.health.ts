import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { HealthIndicatorService } from '@nestjs/terminus';
import { healthConfig, kafkaConfig } from '../config/config.namespaces.js';
import {
  KafkaAdmin,
  type PartitionOffsets,
} from '../kafka/client/kafka-admin.port.js';
import { errorMessage } from '../kafka/kafka.errors.js';

/** The topic's end offsets, read once per health check and shared by the checks that need them. */
export type TopicEnds = () => Promise<PartitionOffsets[]>;

/**
 * Every partition of the topic has a leader that answers: one ListOffsets
 * request to each partition leader. A cluster that answers metadata is not
 * enough: with its controller quorum lost (two of three nodes down) the last
 * node still answers, but names dead leaders that nobody replaces, and no
 * record can be written or read on their partitions. This check says so,
 * steadily, until the leaders answer again.
 */
@Injectable()
export class TopicHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly admin: KafkaAdmin,
    @Inject(healthConfig.KEY)
    private readonly health: ConfigType<typeof healthConfig>,
    @Inject(kafkaConfig.KEY)
    private readonly kafka: ConfigType<typeof kafkaConfig>,
  ) {}

  /** One read of the topic's end offsets for every check of a probe (bounded, not cached across probes). */
  ends(): TopicEnds {
    let read: Promise<PartitionOffsets[]> | undefined;
    return () =>
      (read ??= this.admin.topicOffsets(
        this.kafka.topic,
        this.health.brokerTimeoutMs,
      ));
  }

  /** `detailed`: the client's error text too (GET /health), not for probes. */
  async check(ends: TopicEnds, detailed: boolean, key = 'kafka-topic') {
    const indicator = this.indicators.check(key);
    const topic = this.kafka.topic;
    try {
      const partitions = await ends();
      return indicator.up({ topic, partitions: partitions.length });
    } catch (error) {
      const message = `not every partition of topic ${topic} has a leader that answers: records cannot be written or read there until the cluster elects or restores one`;
      return indicator.down({
        topic,
        message: detailed ? `${message} (${errorMessage(error)})` : message,
      });
    }
  }
}
