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

/**
 * KAFKA_CLIENT and KAFKA_GROUP_PROTOCOL. The classic protocol is kafkajs'
 * only one; the platformatic client defaults to KIP-848's consumer protocol.
 */
export function readKafkaClient(
  read: EnvReader,
  nodeVersion = process.versions.node,
): { client: KafkaClientName; groupProtocol: GroupProtocol } {
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
  return { client, groupProtocol };
}
