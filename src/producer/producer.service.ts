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
import type { OutgoingRecord } from '../kafka/client/kafka-producer.port.js';
import { SerialProducer } from '../kafka/producer/serial-producer.js';
import { TopicService } from '../kafka/topics/topic.service.js';
import { demoMessageEncoder } from '../messages/demo-message.js';
import { listed } from '../http/quote.js';
import { MetricsService } from '../metrics/metrics.service.js';
import {
  IdempotencyStore,
  type IdempotentOutcome,
} from './idempotency-store.js';
import type { ProduceRequest } from './produce-body.js';
import { produceFailure } from './produce-failure.js';
import { checkProduceLimits, IDEMPOTENCY_HEADER } from './produce-limits.js';
import { TroubleStreak } from '../common/trouble-streak.js';

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
  /** A broker outage fails every send: said once, then its outcome. */
  private readonly failing = new TroubleStreak(this.logger, 'a send succeeds');
  private readonly idempotency: IdempotencyStore<ProduceResult>;

  constructor(
    /** One send in flight; requests that arrive meanwhile share the next one. */
    private readonly producer: SerialProducer,
    private readonly topics: TopicService,
    private readonly metrics: MetricsService,
    @Inject(producerConfig.KEY)
    private readonly config: ConfigType<typeof producerConfig>,
  ) {
    this.idempotency = new IdempotencyStore(
      config.idempotencyMaxKeys,
      config.idempotencyTtlMs,
    );
  }

  /**
   * Writes `messagesPerPartition` records to each chosen partition, with an
   * explicit partition on every record (like the original Go program), all
   * in one batched, idempotent, acks=all request (shared with the records of
   * requests that arrive while another send is in flight).
   */
  async produce(
    request: ProduceRequest,
    idempotencyKey?: string,
  ): Promise<IdempotentOutcome<ProduceResult>> {
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
        payloadText: request.payloadText,
      },
      this.config,
    );
    if (idempotencyKey === undefined) {
      const result = await this.write(request, partitions, perPartition);
      return { result, replayed: false };
    }
    const fingerprint = requestFingerprint(request, partitions, perPartition);
    return this.idempotency.run(idempotencyKey, fingerprint, () =>
      this.write(request, partitions, perPartition, {
        key: idempotencyKey,
        fingerprint,
      }),
    );
  }

  private async write(
    request: ProduceRequest,
    partitions: number[],
    perPartition: number,
    idempotency?: { key: string; fingerprint: string },
  ): Promise<ProduceResult> {
    const producedAt = new Date().toISOString();
    const headers =
      idempotency === undefined
        ? request.headers
        : { ...request.headers, [IDEMPOTENCY_HEADER]: idempotency.key };
    const encode = demoMessageEncoder(producedAt, request.payloadText);
    const records: OutgoingRecord[] = partitions.flatMap((partition) =>
      Array.from({ length: perPartition }, (_, i) => ({
        partition,
        key: request.key ?? null,
        headers: headers as Record<string, string> | undefined,
        value: encode(
          recordId(idempotency, partition, i + 1),
          partition,
          i + 1,
        ),
      })),
    );

    const topic = this.topics.topic;
    let baseOffsets;
    const started = performance.now();
    try {
      baseOffsets = await this.producer.produce(topic, records);
      this.metrics.produced(records.length, secondsSince(started));
      this.failing.recovered(`sends to ${topic} succeed again`);
    } catch (error) {
      const cause = kafkaErrorCause(error);
      this.metrics.produceFailed(cause, secondsSince(started));
      this.failing.failed(
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
        `partitions must be within [0, ${count - 1}] (topic ${this.topics.topic} has ${count}), got ${listed(outside)}`,
      );
    }
    return [...requested].sort((a, b) => a - b);
  }
}

function checkIdempotencyKey(key: string | undefined): void {
  if (key !== undefined && !/^[\x21-\x7e]{1,128}$/.test(key)) {
    throw new BadRequestException(
      'Idempotency-Key must be 1-128 visible ASCII characters (no spaces)',
    );
  }
}

/**
 * What makes two requests the same request for an Idempotency-Key: the
 * partitions written (resolved, so `{}` and the full list agree), records per
 * partition, key, headers and the payload's text.
 */
export function requestFingerprint(
  request: ProduceRequest,
  partitions: number[],
  perPartition: number,
): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        partitions,
        perPartition,
        request.key ?? null,
        Object.entries(request.headers ?? {}),
        request.payloadText ?? null,
      ]),
    )
    .digest('hex');
}

/**
 * A random id, or with an Idempotency-Key one derived from key, request
 * fingerprint, partition and sequence: a retried request writes records with
 * the same ids, and another request under the same key (on a replica that
 * has not seen the key) never shares them.
 */
export function recordId(
  idempotency: { key: string; fingerprint: string } | undefined,
  partition: number,
  sequence: number,
): string {
  if (idempotency === undefined) return randomUUID();
  const h = createHash('sha256')
    .update(
      `${idempotency.key}\u0000${idempotency.fingerprint}\u0000${partition}\u0000${sequence}`,
    )
    .digest('hex');
  // UUID layout, version 8 (custom), variant 10.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16] ?? '0', 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function secondsSince(started: number): number {
  return (performance.now() - started) / 1_000;
}
