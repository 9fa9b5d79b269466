import {
  type HttpException,
  PayloadTooLargeException,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { KafkaErrorCause } from '../kafka/kafka.errors.js';

const UNKNOWN_OUTCOME =
  'Nothing is confirmed as written: some records may have been written, and a retry may write them again.';

const WHY: Record<Exclude<KafkaErrorCause, 'too_large'>, string> = {
  timeout:
    'Kafka broker unreachable or too slow: no acknowledgement within PRODUCE_TIMEOUT_MS',
  unreachable:
    'Kafka broker unreachable (a broker leading a partition of the topic does not answer)',
  not_authenticated:
    "Kafka refused this service's credentials (KAFKA_SASL_USERNAME and its password)",
  tls: 'the TLS connection to Kafka failed (certificate not trusted, or KAFKA_SSL does not match the listener)',
  not_enough_replicas:
    'Kafka has too few in-sync replicas of the topic to accept writes (min.insync.replicas)',
  no_leader:
    'a partition of the topic has no leader right now (a broker is down or a leader election is running)',
  not_authorized:
    'this service is not authorized to Write to topic {topic}: grant it with kafka-acls.sh --add --allow-principal User:<service user> --operation Write --topic {topic}',
  other: 'Kafka did not accept the write',
};

/**
 * The HTTP answer for a failed send: one message per cause, no client
 * internals, and honest about the outcome (Kafka cannot say whether a timed
 * out send was written).
 */
export function produceFailure(
  cause: KafkaErrorCause,
  timeoutMs: number,
  topic: string,
): HttpException {
  if (cause === 'too_large') {
    return new PayloadTooLargeException(
      'the broker refused the batch as too large (message.max.bytes): produce fewer records per partition or a smaller payload',
    );
  }
  const why =
    cause === 'timeout'
      ? `${WHY.timeout} (${timeoutMs} ms)`
      : WHY[cause].replaceAll('{topic}', topic);
  // Refused before anything reached a partition: the one case where Kafka says so.
  const refused = ['not_authorized', 'not_authenticated', 'tls'].includes(
    cause,
  );
  return new ServiceUnavailableException(
    `${why}. ${refused ? 'Nothing was written.' : UNKNOWN_OUTCOME}`,
  );
}
