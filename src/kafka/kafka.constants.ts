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

/**
 * The topic that carries one group's redriven dead letters: only that
 * group's replicas read it (in a group of their own, redriveGroupId), so a
 * redrive reaches the group that failed and no other reader of the main topic.
 */
export function redriveTopicName(topic: string, groupId: string): string {
  return `${topic}.redrive.${groupId}`;
}

/** The consumer group that reads a group's redrive topic (its own commits). */
export function redriveGroupId(groupId: string): string {
  return `${groupId}.redrive`;
}

/** Compacted: one entry per dead letter redriven, keyed `<group>:<dlqPartition>:<dlqOffset>`. */
export function redriveLedgerTopicName(topic: string): string {
  return `${topic}.redrive-ledger`;
}

/**
 * The main topic and group a redrive topic and group belong to, or null when
 * they are not such a pair: a redriven record that fails again goes back to
 * the group's own dead-letter topic.
 */
export function redriveSource(
  topic: string,
  groupId: string,
): { topic: string; groupId: string } | null {
  const suffix = '.redrive';
  if (!groupId.endsWith(suffix)) return null;
  const group = groupId.slice(0, -suffix.length);
  const tail = `.redrive.${group}`;
  if (group === '' || !topic.endsWith(tail) || topic.length === tail.length) {
    return null;
  }
  return { topic: topic.slice(0, -tail.length), groupId: group };
}

/** Provenance of a redriven record, beside DLQ_HEADERS (values are strings). */
export const REDRIVE_HEADERS = {
  /** The error's class name (Error, TypeError, MalformedMessageError, ...). */
  errorClass: 'x-error-class',
  /** JSON array of the failures before the current one (FailureRecord). */
  history: 'x-failure-history',
  redriveId: 'x-redrive-id',
  redrivenAt: 'x-redriven-at',
  dlqPartition: 'x-redrive-dlq-partition',
  dlqOffset: 'x-redrive-dlq-offset',
} as const;
