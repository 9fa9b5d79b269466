import { brokerErrorTypes, kafkaErrorCause } from '../kafka.errors.js';

/**
 * What the broker refused a group consumer, and the grant that fixes it;
 * undefined for other failures. Permissions are fixed by an operator, not by
 * a restart: readiness shows this line while the consumer tries again.
 */
export function accessRefusal(
  error: unknown,
  { groupId, topic }: { groupId: string; topic: string },
): string | undefined {
  const types = brokerErrorTypes(error);
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
