import { brokerErrorTypes, kafkaErrorCause } from '../kafka.errors.js';

/**
 * What the broker refused a group consumer, and what fixes it; undefined for
 * other failures. Permissions and a static-membership id another live
 * replica holds are fixed by an operator (or that replica leaving), not by a
 * restart: readiness shows this line while the consumer tries again.
 */
export function accessRefusal(
  error: unknown,
  {
    groupId,
    topic,
    groupInstanceId,
  }: { groupId: string; topic: string; groupInstanceId?: string },
): string | undefined {
  const types = brokerErrorTypes(error);
  // KIP-848 refuses the newcomer (UNRELEASED_INSTANCE_ID); the classic
  // protocol fences the member that held the id (FENCED_INSTANCE_ID).
  if (
    types.includes('UNRELEASED_INSTANCE_ID') ||
    types.includes('FENCED_INSTANCE_ID')
  ) {
    return `group instance id ${groupInstanceId ?? '?'} is held by another live member of group ${groupId}: give each replica its own KAFKA_GROUP_INSTANCE_ID`;
  }
  if (types.includes('GROUP_AUTHORIZATION_FAILED')) {
    return `not authorized to Read group ${groupId}: grant it with kafka-acls.sh --add --allow-principal User:<service user> --operation Read --group ${groupId}`;
  }
  if (types.includes('TOPIC_AUTHORIZATION_FAILED')) {
    return `not authorized to Read topic ${topic}: grant it with kafka-acls.sh --add --allow-principal User:<service user> --operation Read --operation Describe --topic ${topic}`;
  }
  return kafkaErrorCause(error) === 'not_authenticated'
    ? `Kafka refused this service's credentials while consuming group ${groupId}`
    : undefined;
}
