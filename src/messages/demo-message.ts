import { MalformedMessageError } from '../kafka/kafka.errors.js';

/**
 * The value of every record POST /produce writes, as JSON. Consumers check it
 * (decodeDemoMessage) and dead-letter anything else.
 */
export interface DemoMessage {
  /** Unique per record: lets tests check exactly-once / at-least-once per group. */
  id: string;
  partition: number;
  /** 1..messagesPerPartition within one POST /produce, per partition. */
  sequence: number;
  /** ISO-8601 time the service built the record; consumers measure latency from it. */
  producedAt: string;
  payload: unknown;
}

export function encodeDemoMessage(message: DemoMessage): string {
  return JSON.stringify(message);
}

/**
 * encodeDemoMessage for the many records of one request, which share
 * `producedAt` and the payload, given as its JSON text: the text the client
 * sent goes into every record as it is (never parsed and printed again), and
 * is built into the record once instead of once per record. With
 * `JSON.stringify(payload)` it is the same text as encodeDemoMessage.
 */
export function demoMessageEncoder(
  producedAt: string,
  payloadText: string | undefined,
): (id: string, partition: number, sequence: number) => string {
  const tail = `,"producedAt":${JSON.stringify(producedAt)},"payload":${payloadText ?? 'null'}}`;
  return (id, partition, sequence) =>
    `{"id":${JSON.stringify(id)},"partition":${JSON.stringify(partition)},"sequence":${JSON.stringify(sequence)}${tail}`;
}

export function decodeDemoMessage(value: Buffer | null): DemoMessage {
  if (!value || value.length === 0) {
    throw new MalformedMessageError('empty value');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    throw new MalformedMessageError('value is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) {
    throw new MalformedMessageError('value is not a JSON object');
  }
  const { id, partition, sequence, producedAt, payload } = parsed as Record<
    string,
    unknown
  >;
  if (typeof id !== 'string' || id.length === 0) {
    throw new MalformedMessageError('"id" must be a non-empty string');
  }
  if (!Number.isInteger(partition) || !Number.isInteger(sequence)) {
    throw new MalformedMessageError(
      '"partition" and "sequence" must be integers',
    );
  }
  if (typeof producedAt !== 'string' || Number.isNaN(Date.parse(producedAt))) {
    throw new MalformedMessageError('"producedAt" must be an ISO-8601 date');
  }
  return {
    id,
    partition: partition as number,
    sequence: sequence as number,
    producedAt,
    payload,
  };
}
