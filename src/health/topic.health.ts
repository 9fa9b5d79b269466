import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { HealthIndicatorService } from '@nestjs/terminus';
import { healthConfig } from '../config/config.namespaces.js';
import { TopicService } from '../kafka/topics/topic.service.js';
import { failing } from './broker.health.js';
import { ClusterMonitor } from './cluster-monitor.js';

/**
 * Every partition of the topic has a leader that answers (ClusterMonitor asks
 * each partition leader for its offsets in the background). A cluster that
 * answers metadata is not enough: with its controller quorum lost (two of
 * three nodes down) the last node still answers, but names dead leaders that
 * nobody replaces, and no record can be written or read on their partitions.
 * This check says so, steadily, until the leaders answer again. The details
 * carry the topic's replication factor and min.insync.replicas.
 */
@Injectable()
export class TopicHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly monitor: ClusterMonitor,
    private readonly topics: TopicService,
    @Inject(healthConfig.KEY)
    private readonly health: ConfigType<typeof healthConfig>,
  ) {}

  /** `detailed`: the client's error text too (GET /health), not for probes. */
  check(detailed: boolean, key = 'kafka-topic') {
    const indicator = this.indicators.check(key);
    const topic = this.topics.topic;
    const replication = {
      replicationFactor: this.topics.replication?.replicationFactor ?? null,
      minInsyncReplicas: this.topics.replication?.minInsyncReplicas ?? null,
    };
    const reading = this.monitor.ends;
    const error = failing(reading, this.health.brokerTimeoutMs);
    if (error !== null) {
      const message = `not every partition of topic ${topic} has a leader that answers: records cannot be written or read there until the cluster elects or restores one`;
      return indicator.down({
        topic,
        ...replication,
        message: detailed ? `${message} (${error})` : message,
      });
    }
    const ends = reading.ok ? reading.value : reading.last;
    return indicator.up({
      topic,
      partitions: ends?.length ?? this.topics.partitionCount,
      ...replication,
    });
  }
}
