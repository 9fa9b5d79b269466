import type { EnvReader } from './env.parsers.js';

export const KAFKA_CLIENTS = ['kafkajs', 'platformatic'] as const;
export type KafkaClientName = (typeof KAFKA_CLIENTS)[number];
export const GROUP_PROTOCOLS = ['classic', 'consumer'] as const;
export type GroupProtocol = (typeof GROUP_PROTOCOLS)[number];

/** @platformatic/kafka's engines field: Node 22.22+ on the 22 line, 24.6+ from 24 on. */
export function platformaticRunsOn(nodeVersion: string): boolean {
  const [major = 0, minor = 0] = nodeVersion
    .replace(/^v/, '')
    .split('.')
    .map(Number);
  return (
    (major === 22 && minor >= 22) || (major === 24 && minor >= 6) || major > 24
  );
}

/** Kafka's rule for a group.instance.id, leaving room for the group's suffix. */
const INSTANCE_ID = /^[A-Za-z0-9._-]{1,200}$/;

/**
 * KAFKA_CLIENT, KAFKA_GROUP_PROTOCOL and KAFKA_GROUP_INSTANCE_ID. The classic
 * protocol is kafkajs' only one; the platformatic client defaults to
 * KIP-848's consumer protocol. Static membership (an instance id) is the
 * platformatic client's only.
 */
export function readKafkaClient(
  read: EnvReader,
  nodeVersion = process.versions.node,
): {
  client: KafkaClientName;
  groupProtocol: GroupProtocol;
  groupInstanceId: string | undefined;
} {
  const client = read.oneOf('KAFKA_CLIENT', 'kafkajs', KAFKA_CLIENTS);
  const groupProtocol =
    read.optionalOneOf('KAFKA_GROUP_PROTOCOL', GROUP_PROTOCOLS) ??
    (client === 'platformatic' ? 'consumer' : 'classic');
  read.check(
    client !== 'kafkajs' || groupProtocol === 'classic',
    'KAFKA_GROUP_PROTOCOL=consumer (KIP-848) needs KAFKA_CLIENT=platformatic: kafkajs speaks only the classic group protocol',
  );
  read.check(
    client !== 'platformatic' || platformaticRunsOn(nodeVersion),
    `KAFKA_CLIENT=platformatic needs Node 22.22+ or 24.6+ (this is Node ${nodeVersion}); use Node 24, or KAFKA_CLIENT=kafkajs`,
  );
  const groupInstanceId = read.optionalString('KAFKA_GROUP_INSTANCE_ID');
  read.check(
    groupInstanceId === undefined || INSTANCE_ID.test(groupInstanceId),
    `KAFKA_GROUP_INSTANCE_ID "${groupInstanceId}" must be 1-200 of [A-Za-z0-9._-] (e.g. the pod name, web-0)`,
  );
  read.check(
    groupInstanceId === undefined || client === 'platformatic',
    'KAFKA_GROUP_INSTANCE_ID (static membership) needs KAFKA_CLIENT=platformatic: kafkajs has no static membership',
  );
  return { client, groupProtocol, groupInstanceId };
}

/**
 * The instance id of one group's member on this replica: the replica's id
 * and the group's role (`web-0-realtime`), so that Kafka's own tools show
 * which replica and which consumer of it each static member is.
 */
export function groupInstanceIdOf(
  replicaId: string | undefined,
  role: string,
): string | undefined {
  return replicaId === undefined ? undefined : `${replicaId}-${role}`;
}
