import {
  BadRequestException,
  Inject,
  Injectable,
  Logger,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createHash, randomUUID } from 'node:crypto';
import { producerConfig } from '../config/config.namespaces.js';
import { errorMessage, kafkaErrorCause } from '../kafka/kafka.errors.js';
import { KafkaProducer } from '../kafka/client/kafka-producer.port.js';
import { TopicService } from '../kafka/topic.service.js';
import { demoMessageEncoder } from '../messages/demo-message.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { ProduceRequestDto } from './dto/produce-request.dto.js';
import {
  type PartitionedRecord,
  ProduceCoalescer,
} from './produce-coalescer.js';
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
  private readonly coalescer: ProduceCoalescer;

  constructor(
    producer: KafkaProducer,
    private readonly topics: TopicService,
    private readonly metrics: MetricsService,
    @Inject(producerConfig.KEY)
    private readonly config: ConfigType<typeof producerConfig>,
  ) {
    this.coalescer = new ProduceCoalescer(
      (topic, records) => producer.send(topic, records),
      { maxPartitionBytes: config.maxBatchBytes, timeoutMs: config.timeoutMs },
    );
  }

  /**
   * Writes `messagesPerPartition` records to each chosen partition, with an
   * explicit partition on every record (like the original Go program), all
   * in one batched, idempotent, acks=all request (shared with the records of
   * requests that arrive while another send is in flight).
   */
  async produce(
    request: ProduceRequestDto,
    idempotencyKey?: string,
  ): Promise<ProduceResult> {
    checkIdempotencyKey(idempotencyKey);
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
    const headers =
      idempotencyKey === undefined
        ? request.headers
        : { ...request.headers, [IDEMPOTENCY_HEADER]: idempotencyKey };
    const encode = demoMessageEncoder(producedAt, request.payload ?? null);
    const records: PartitionedRecord[] = partitions.flatMap((partition) =>
      Array.from({ length: perPartition }, (_, i) => ({
        partition,
        key: request.key ?? null,
        headers,
        value: encode(
          recordId(idempotencyKey, partition, i + 1),
          partition,
          i + 1,
        ),
      })),
    );

    const topic = this.topics.topic;
    let baseOffsets;
    const started = performance.now();
    try {
      baseOffsets = await this.coalescer.produce(topic, records);
      this.metrics.produced(records.length, secondsSince(started));
    } catch (error) {
      const cause = kafkaErrorCause(error);
      this.metrics.produceFailed(cause, secondsSince(started));
      this.logger.warn(
        `send to ${topic} failed (${cause}): ${errorMessage(error)}`,
      );
      throw produceFailure(cause, this.config.timeoutMs, topic);
    }
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

/** The record header that carries the request's Idempotency-Key. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

function checkIdempotencyKey(key: string | undefined): void {
  if (key !== undefined && !/^[\x21-\x7e]{1,128}$/.test(key)) {
    throw new BadRequestException(
      'Idempotency-Key must be 1-128 visible ASCII characters (no spaces)',
    );
  }
}

/**
 * A random id, or with an Idempotency-Key one derived from key, partition and
 * sequence: a retried request writes records with the same ids.
 */
export function recordId(
  key: string | undefined,
  partition: number,
  sequence: number,
): string {
  if (key === undefined) return randomUUID();
  const h = createHash('sha256')
    .update(`${key}\u0000${partition}\u0000${sequence}`)
    .digest('hex');
  // UUID layout, version 8 (custom), variant 10.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16] ?? '0', 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function secondsSince(started: number): number {
  return (performance.now() - started) / 1_000;
}
