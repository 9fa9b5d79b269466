export const KAFKA_CLIENT = 'KAFKA:CLIENT';
/** A GroupConsumerFactory (src/kafka/client): one consumer group member per call. */
export const GROUP_CONSUMER_FACTORY = 'KAFKA:GROUP_CONSUMER_FACTORY';
/**
 * A KafkaAdmin of its own for the background cluster view (health): short
 * request timeouts and no retries, so a hanging broker costs one refresh, and
 * its failures never reset the admin that provisioning and lag use.
 */
export const MONITOR_ADMIN = 'KAFKA:MONITOR_ADMIN';

/** Pattern under which each group's server dispatches a topic record to its handler. */
export const GROUP_MESSAGE_PATTERN = 'group.message';
/**
 * Pattern of a batch handler: it gets the records of one partition at a time
 * (GroupRecords) instead of one call per record, which spares Nest's per-call
 * pipeline (context, pipes, filters, promises) for every record. A server
 * uses its batch handler if it has one, its per-record handler otherwise.
 */
export const GROUP_BATCH_PATTERN = 'group.batch';

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
