import { addHeader } from '../client/record-headers.js';
import { swapKafkajsModule } from './kafkajs-module-swap.js';
import type {
  Decoder,
  DecodedHeader,
  HeaderValue,
  BatchContext,
} from './kafkajs-internals.js';

const RECORD_DECODER = 'kafkajs/src/protocol/recordBatch/record/v0/decoder.js';
/** Modules that hold kafkajs' record decoder (directly or through each other) once loaded. */
const HOLDERS = [
  'kafkajs/src/protocol/recordBatch/v0/decoder.js',
  'kafkajs/src/protocol/requests/fetch/',
];
const LOG_APPEND_TIME = 1; // kafkajs/src/protocol/timestampTypes
const SAFE_VARLONG_BYTES = 7; // 49 bits: the zigzag value is a safe integer

/**
 * kafkajs 2.2.4 (unmaintained) decodes every record's offset and timestamp
 * with its Long class: the batch's first offset and first timestamp are
 * parsed from strings again for each record, added to, and printed back
 * (two Long.fromString, two Long.toString and a Long zigzag per record). It
 * was the largest single cost of draining a backlog (npm run bench): a third
 * of the CPU of a bare kafkajs consumer.
 *
 * The same record, the same shape, with numbers: the batch's base offset and
 * timestamp are parsed once per batch, and offset and timestamp are plain
 * sums while they stay safe integers (BigInt beyond, never a rounded value).
 *
 * Headers are read in one linear pass. kafkajs builds a record's header
 * object by copying it once per header (O(n²)): a record with 3,000 headers
 * blocked the event loop for ~7 s per consumer (measured), heartbeats were
 * missed, commits failed, records were handled twice. Records come from any
 * producer, so this must hold whatever is on the topic. The decoder is
 * swapped in kafkajs' module cache; modules that had already captured the
 * old one (a fetch before this ran) are dropped from the cache so the next
 * fetch loads them with this one.
 */
export function applyFastRecordDecoding(): void {
  swapKafkajsModule(RECORD_DECODER, decodeRecord, HOLDERS);
}

let lastContext: BatchContext | undefined;
let baseOffset = 0;
let baseTimestamp = 0;

/** kafkajs' record v0 decoder, field for field (see the kafkajs file for the layout). */
export function decodeRecord(
  decoder: Decoder,
  batchContext: BatchContext = {},
): unknown {
  if (batchContext !== lastContext) {
    lastContext = batchContext;
    baseOffset = Number(batchContext.firstOffset);
    baseTimestamp = Number(batchContext.firstTimestamp);
  }
  const {
    firstOffset,
    firstTimestamp,
    magicByte,
    isControlBatch = false,
    timestampType,
    maxTimestamp,
  } = batchContext;
  const attributes = decoder.readInt8();
  const timestampDelta = readVarLong(decoder);
  const timestamp =
    timestampType === LOG_APPEND_TIME && maxTimestamp
      ? maxTimestamp
      : sum(firstTimestamp, baseTimestamp, timestampDelta);
  const offset = sum(firstOffset, baseOffset, decoder.readVarInt());
  const key = decoder.readVarIntBytes();
  const value = decoder.readVarIntBytes();
  const count = decoder.readVarInt();
  const headers: Record<string, HeaderValue> = {};
  if (count > 0) {
    const list = new Array<DecodedHeader>(count);
    for (let i = 0; i < count; i++) {
      // A null key or value is kept as kafkajs keeps it ("null" key, null value).
      list[i] = {
        key: decoder.readVarIntString() as string,
        value: decoder.readVarIntBytes() as Buffer,
      };
    }
    toHeaderObject(list, headers);
  }
  return {
    magicByte,
    attributes,
    timestamp,
    offset,
    key,
    value,
    headers,
    isControlRecord: isControlBatch,
    batchContext,
  };
}

/** base + delta as a decimal string; `text` is the base as kafkajs read it. */
function sum(
  text: string | undefined,
  base: number,
  delta: number | bigint,
): string {
  if (typeof delta === 'number') {
    const total = base + delta;
    if (Number.isSafeInteger(base) && Number.isSafeInteger(total)) {
      return String(total);
    }
  }
  return (BigInt(text ?? 0) + BigInt(delta)).toString();
}

/** A zigzag varlong: a number while it is a safe integer, else a bigint. */
function readVarLong(decoder: Decoder): number | bigint {
  const { buffer } = decoder;
  const start = decoder.offset;
  let raw = 0;
  let multiplier = 1;
  for (let i = 0; i < SAFE_VARLONG_BYTES; i++) {
    const byte = buffer[start + i];
    raw += (byte & 0x7f) * multiplier;
    if (byte < 0x80) {
      decoder.offset = start + i + 1;
      return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
    }
    multiplier *= 128;
  }
  // Longer than any timestamp delta in practice: kafkajs' own Long path.
  return BigInt(decoder.readVarLong().toString());
}

/**
 * The object kafkajs' header reducer builds, in one pass: first value as is,
 * a repeated key as an array in order, every key an own property
 * (`__proto__` included, as data).
 */
export function toHeaderObject(
  headers: readonly DecodedHeader[],
  into: Record<string, HeaderValue> = {},
): Record<string, HeaderValue> {
  for (const { key, value } of headers) {
    addHeader(into, key, value);
  }
  return into;
}
