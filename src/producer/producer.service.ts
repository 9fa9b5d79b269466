import {
  BadRequestException,
  Inject,
  Injectable,
  Logger,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { producerConfig } from '../config/config.namespaces.js';
import { errorMessage, kafkaErrorCause } from '../kafka/kafka.errors.js';
import {
  KafkaProducerService,
  type OutgoingRecord,
} from '../kafka/kafka-producer.service.js';
import { TopicService } from '../kafka/topic.service.js';
import { encodeDemoMessage } from '../messages/demo-message.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { ProduceRequestDto } from './dto/produce-request.dto.js';
import { produceFailure } from './produce-failure.js';
import { checkProduceLimits } from './produce-limits.js';

export const DEFAULT_MESSAGES_PER_PARTITION = 3;

export interface PartitionResult {
  partition: number;
  /** Offset the broker gave the first of this request's records in the partition. */
  baseOffset: string;
  count: number;
}

export interface ProduceResult {
  topic: string;
  partitions: PartitionResult[];
  total: number;
}

@Injectable()
export class ProducerService {
  private readonly logger = new Logger(ProducerService.name);

  constructor(
    private readonly producer: KafkaProducerService,
    private readonly topics: TopicService,
    private readonly metrics: MetricsService,
    @Inject(producerConfig.KEY)
    private readonly config: ConfigType<typeof producerConfig>,
  ) {}

  /**
   * Writes `messagesPerPartition` records to each chosen partition, with an
   * explicit partition on every record (like the original Go program), all
   * in one batched, idempotent, acks=all request.
   */
  async produce(request: ProduceRequestDto): Promise<ProduceResult> {
    const perPartition =
      request.messagesPerPartition ?? DEFAULT_MESSAGES_PER_PARTITION;
    const partitions = await this.targetPartitions(request.partitions);
    checkProduceLimits(
      {
        partitions: partitions.length,
        perPartition,
        key: request.key,
        headers: request.headers,
        payload: request.payload,
      },
      this.config,
    );
    const producedAt = new Date().toISOString();
    const records: OutgoingRecord[] = partitions.flatMap((partition) =>
      Array.from({ length: perPartition }, (_, i) => ({
        partition,
        key: request.key ?? null,
        headers: request.headers,
        value: encodeDemoMessage({
          id: randomUUID(),
          partition,
          sequence: i + 1,
          producedAt,
          payload: request.payload ?? null,
        }),
      })),
    );

    const topic = this.topics.topic;
    let metadata;
    const started = performance.now();
    try {
      metadata = await this.producer.send(topic, records);
      this.metrics.produced(records.length, secondsSince(started));
    } catch (error) {
      const cause = kafkaErrorCause(error);
      this.metrics.produceFailed(cause, secondsSince(started));
      this.logger.warn(
        `send to ${topic} failed (${cause}): ${errorMessage(error)}`,
      );
      throw produceFailure(cause, this.config.timeoutMs, topic);
    }
    // kafkajs answers one entry per partition with the base offset of the batch.
    const baseOffsets = new Map(
      metadata.map((m) => [m.partition, m.baseOffset ?? m.offset ?? '-1']),
    );
    return {
      topic,
      partitions: partitions.map((partition) => ({
        partition,
        baseOffset: baseOffsets.get(partition) ?? '-1',
        count: perPartition,
      })),
      total: records.length,
    };
  }

  private async targetPartitions(
    requested: number[] | undefined,
  ): Promise<number[]> {
    let count = this.topics.partitionCount;
    if (!requested) {
      return Array.from({ length: count }, (_, p) => p);
    }
    if (requested.length === 0) {
      throw new BadRequestException(
        'partitions must name at least one partition, or be left out for all',
      );
    }
    if (requested.some((p) => p >= count)) {
      // The topic may have been grown since boot: look again before refusing.
      count = await this.topics.refresh().catch(() => count);
    }
    const outside = requested.filter((p) => p < 0 || p >= count);
    if (outside.length > 0) {
      throw new BadRequestException(
        `partitions must be within [0, ${count - 1}] (topic ${this.topics.topic} has ${count}), got ${outside.join(', ')}`,
      );
    }
    return [...requested].sort((a, b) => a - b);
  }
}

function secondsSince(started: number): number {
  return (performance.now() - started) / 1_000;
}
