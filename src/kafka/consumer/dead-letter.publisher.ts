import { Injectable, Logger } from '@nestjs/common';
import type { ConsumedRecord } from '../client/group-consumer.port.js';
import { DLQ_HEADERS, deadLetterTopicName } from '../kafka.constants.js';
import { errorMessage } from '../kafka.errors.js';
import { SerialProducer } from '../producer/serial-producer.js';
import type { GroupMessageMeta } from './group-message.context.js';
import { TopicService } from '../topics/topic.service.js';

/**
 * Writes a record that could not be handled to `<topic>.<group>.dlq`, with its
 * original key, value and headers plus where it came from and why it failed,
 * so the group can commit past it: a poison record never blocks its partition.
 * If the dead-letter write itself fails, the error propagates and nothing is
 * committed, so the record is read again.
 */
@Injectable()
export class DeadLetterPublisher {
  private readonly logger = new Logger(DeadLetterPublisher.name);
  private readonly ensured = new Set<string>();

  constructor(
    private readonly producer: SerialProducer,
    private readonly topics: TopicService,
  ) {}

  /** Creates the group's dead-letter topic (one partition keeps failures in order). */
  async ensureTopic(topic: string, groupId: string): Promise<string> {
    const name = deadLetterTopicName(topic, groupId);
    if (!this.ensured.has(name)) {
      await this.topics.ensureTopic(name, 1);
      this.ensured.add(name);
    }
    return name;
  }

  async publish(
    groupId: string,
    meta: GroupMessageMeta,
    record: ConsumedRecord,
    error: unknown,
    attempts: number,
  ): Promise<void> {
    const dlq = await this.ensureTopic(meta.topic, groupId);
    const reason = errorMessage(error);
    await this.producer.produce(dlq, [
      {
        key: record.key?.toString() ?? null,
        value: record.value ?? '',
        headers: {
          ...meta.headers,
          [DLQ_HEADERS.topic]: meta.topic,
          [DLQ_HEADERS.partition]: String(meta.partition),
          [DLQ_HEADERS.offset]: meta.offset,
          [DLQ_HEADERS.group]: groupId,
          [DLQ_HEADERS.error]: reason.slice(0, 1_000),
          [DLQ_HEADERS.attempts]: String(attempts),
          [DLQ_HEADERS.failedAt]: new Date().toISOString(),
        },
      },
    ]);
    this.logger.warn(
      `dead-lettered ${meta.topic}[${meta.partition}]@${meta.offset} for ${groupId} to ${dlq} after ${attempts} attempt(s): ${reason}`,
    );
  }
}
