import { Injectable, Logger } from '@nestjs/common';
import type { ConsumedRecord } from '../client/group-consumer.port.js';
import { deadLetterTopicName, redriveSource } from '../kafka.constants.js';
import { deadLetterTarget } from './dead-letter.headers.js';
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
  /** Topics created or found, by name; shared while in flight (a group's two servers start at once). */
  private readonly ensured = new Map<string, Promise<void>>();

  constructor(
    private readonly producer: SerialProducer,
    private readonly topics: TopicService,
  ) {}

  /**
   * Creates the group's dead-letter topic (one partition keeps failures in
   * order). A group's redrive topic and group share the group's own.
   */
  async ensureTopic(topic: string, groupId: string): Promise<string> {
    const source = redriveSource(topic, groupId);
    const name = source
      ? deadLetterTopicName(source.topic, source.groupId)
      : deadLetterTopicName(topic, groupId);
    await this.once(name);
    // The redrive topic itself: one partition keeps redriven records in order.
    if (source) await this.once(topic);
    return name;
  }

  /** Creates a one-partition topic unless this process did already. */
  private once(name: string): Promise<void> {
    let ensured = this.ensured.get(name);
    if (!ensured) {
      ensured = this.topics.ensureTopic(name, 1).then(() => undefined);
      // A failure is not remembered: the next start tries again.
      ensured.catch(() => this.ensured.delete(name));
      this.ensured.set(name, ensured);
    }
    return ensured;
  }

  async publish(
    groupId: string,
    meta: GroupMessageMeta,
    record: ConsumedRecord,
    error: unknown,
    attempts: number,
  ): Promise<void> {
    const target = deadLetterTarget({
      groupId,
      topic: meta.topic,
      partition: meta.partition,
      offset: meta.offset,
      headers: meta.headers,
      error,
      attempts,
      failedAt: new Date(),
    });
    const dlq = await this.ensureTopic(target.topic, target.groupId);
    const reason = errorMessage(error);
    await this.producer.produce(dlq, [
      {
        key: record.key?.toString() ?? null,
        value: record.value ?? '',
        headers: target.headers,
      },
    ]);
    this.logger.warn(
      `dead-lettered ${meta.topic}[${meta.partition}]@${meta.offset} for ${groupId} to ${dlq} after ${attempts} attempt(s): ${reason}`,
    );
  }
}
