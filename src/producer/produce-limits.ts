import { BadRequestException, PayloadTooLargeException } from '@nestjs/common';
import type { ProducerSettings } from '../config/configuration.js';
import { isWellFormed, named } from '../http/quote.js';

/** The record header that carries the request's Idempotency-Key. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** What one request asks to write, as the limits see it. */
export interface ProduceShape {
  partitions: number;
  perPartition: number;
  key: string | undefined;
  headers: Record<string, unknown> | undefined;
  /** The payload's JSON text as sent. */
  payloadText: string | undefined;
}

// A record's value besides the payload: {"id":"<uuid>","partition":n,"sequence":n,"producedAt":"<iso>"}
// plus Kafka's per-record overhead (offsets, timestamp, lengths): a generous constant.
const RECORD_OVERHEAD_BYTES = 200;

/**
 * The bounds of one POST /produce, each a 4xx that names the setting, checked
 * before anything is sent: a request may not make the service (or the broker)
 * do unbounded work. The batch bound answers 413 promptly instead of letting
 * the broker refuse an over-sized batch after the producer's retries.
 */
export function checkProduceLimits(
  shape: ProduceShape,
  limits: ProducerSettings,
): void {
  const bad = (message: string) => {
    throw new BadRequestException(message);
  };
  if (shape.perPartition > limits.maxMessagesPerPartition) {
    bad(
      `messagesPerPartition must be between 1 and ${limits.maxMessagesPerPartition}, got ${shape.perPartition} (PRODUCE_MAX_MESSAGES_PER_PARTITION)`,
    );
  }
  const records = shape.perPartition * shape.partitions;
  if (records > limits.maxRecords) {
    bad(
      `this request would write ${records} records; at most ${limits.maxRecords} per request (PRODUCE_MAX_RECORDS)`,
    );
  }
  const keyBytes = shape.key === undefined ? 0 : Buffer.byteLength(shape.key);
  if (keyBytes > limits.maxKeyBytes) {
    bad(
      `key must be at most ${limits.maxKeyBytes} bytes (PRODUCE_MAX_KEY_BYTES), got ${keyBytes}`,
    );
  }
  const headerBytes = checkHeaders(shape.headers, limits, bad);
  const payloadBytes =
    shape.payloadText === undefined ? 0 : Buffer.byteLength(shape.payloadText);
  if (payloadBytes > limits.maxPayloadBytes) {
    bad(
      `payload must be at most ${limits.maxPayloadBytes} bytes as JSON (PRODUCE_MAX_PAYLOAD_BYTES), got ${payloadBytes}`,
    );
  }
  const batchBytes =
    shape.perPartition *
    (RECORD_OVERHEAD_BYTES + keyBytes + headerBytes + payloadBytes);
  if (batchBytes > limits.maxBatchBytes) {
    throw new PayloadTooLargeException(
      `the ${shape.perPartition} records for one partition would make about ${batchBytes} bytes, over PRODUCE_MAX_BATCH_BYTES (${limits.maxBatchBytes}; the broker refuses batches over its message.max.bytes): produce fewer per partition or a smaller payload`,
    );
  }
}

function checkHeaders(
  headers: Record<string, unknown> | undefined,
  limits: ProducerSettings,
  bad: (message: string) => never,
): number {
  const entries = Object.entries(headers ?? {});
  if (entries.length > limits.maxHeaders) {
    bad(
      `headers must have at most ${limits.maxHeaders} entries (PRODUCE_MAX_HEADERS), got ${entries.length}`,
    );
  }
  let bytes = 0;
  for (const [name, value] of entries) {
    if (typeof value !== 'string') {
      bad(`headers.${named(name)} must be a string`);
    }
    if (name.toLowerCase() === IDEMPOTENCY_HEADER) {
      bad(
        `headers.${name} is set by the service: send it as the Idempotency-Key HTTP header instead`,
      );
    }
    if (!isWellFormed(name) || !isWellFormed(value)) {
      bad(
        `headers.${named(name)} must be valid Unicode: a lone surrogate (\\ud800-\\udfff) has no UTF-8 form`,
      );
    }
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
  }
  if (bytes > limits.maxHeaderBytes) {
    bad(
      `headers must be at most ${limits.maxHeaderBytes} bytes of names and values (PRODUCE_MAX_HEADER_BYTES), got ${bytes}`,
    );
  }
  return bytes;
}
