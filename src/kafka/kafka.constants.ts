export const KAFKA_CLIENT = 'KAFKA:CLIENT';
/** A GroupConsumerFactory (src/kafka/client): one consumer group member per call. */
export const GROUP_CONSUMER_FACTORY = 'KAFKA:GROUP_CONSUMER_FACTORY';

/** Pattern under which each group's server dispatches a topic record to its handler. */
export const GROUP_MESSAGE_PATTERN = 'group.message';

export function deadLetterTopicName(topic: string, groupId: string): string {
  return `${topic}.${groupId}.dlq`;
}

/** Headers written on every dead-lettered record (values are strings). */
export const DLQ_HEADERS = {
  topic: 'x-origin-topic',
  partition: 'x-origin-partition',
  offset: 'x-origin-offset',
  group: 'x-origin-group',
  error: 'x-error',
  attempts: 'x-attempts',
  failedAt: 'x-failed-at',
} as const;
