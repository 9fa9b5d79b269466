import { createRequire } from 'node:module';
import { swapKafkajsModule } from './kafkajs-module-swap.js';
import type { RecordToEncode, Encoder } from './kafkajs-internals.js';

type RecordEncoder = (record: RecordToEncode) => Encoder;

const require = createRequire(import.meta.url);
const RECORD_ENCODER = 'kafkajs/src/protocol/recordBatch/record/v0/index.js';
const ENCODER = 'kafkajs/src/protocol/encoder.js';
/** Modules that hold kafkajs' record encoder once loaded: the produce requests. */
const HOLDERS = ['kafkajs/src/protocol/requests/produce/'];

/**
 * kafkajs 2.2.4 (unmaintained) encodes each produced record with a fresh
 * 512-byte zeroed buffer, a Buffer.from() per varint, Long arithmetic for the
 * timestamp delta and one more encoder per header, then copies it all into
 * the batch: the largest cost of a POST /produce after HTTP itself (npm run
 * bench --produce-only, --cpu-prof).
 *
 * The same bytes, written once: the record's exact size is computed first,
 * then every field goes into one buffer of that size. Anything this encoder
 * does not expect (a timestamp delta that is not a safe integer, a value
 * that is neither a Buffer nor a string) is left to kafkajs' own encoder.
 * Swapped in kafkajs' module cache like the record decoder.
 */
export function applyFastRecordEncoding(): void {
  const original = swapKafkajsModule(RECORD_ENCODER, encodeRecord, HOLDERS);
  if (original) kafkajsEncodeRecord = original as RecordEncoder;
}

let kafkajsEncodeRecord: RecordEncoder | undefined;
const EncoderClass = require(ENCODER) as { prototype: Encoder };

/** kafkajs' record v0 encoder, byte for byte (see the kafkajs file for the layout). */
export function encodeRecord(record: RecordToEncode): Encoder {
  const { offsetDelta = 0, timestampDelta = 0, key, value } = record;
  const headers = record.headers ?? {};
  if (
    !Number.isInteger(timestampDelta) ||
    Math.abs(timestampDelta) >= 2 ** 52 ||
    !Number.isSafeInteger(offsetDelta) ||
    !encodable(key) ||
    !encodable(value)
  ) {
    return fallback(record);
  }
  const names = Object.keys(headers);
  let headerCount = 0;
  let headerBytes = 0;
  for (const name of names) {
    const values = headers[name];
    for (const one of Array.isArray(values) ? values : [values]) {
      if (one === null || one === undefined || !encodable(one)) {
        return fallback(record);
      }
      headerCount++;
      headerBytes += bytesSize(name) + bytesSize(one);
    }
  }
  const bodySize =
    1 + // attributes
    varLongSize(timestampDelta) +
    varIntSize(offsetDelta) +
    bytesSize(key) +
    bytesSize(value) +
    varIntSize(headerCount) +
    headerBytes;
  const size = varIntSize(bodySize) + bodySize;
  const buffer = Buffer.allocUnsafe(size);
  let at = writeVarInt(buffer, 0, bodySize);
  buffer[at++] = 0; // no record attributes
  at = writeUnsignedVarLong(buffer, at, zigzag(timestampDelta));
  at = writeVarInt(buffer, at, offsetDelta);
  at = writeBytes(buffer, at, key);
  at = writeBytes(buffer, at, value);
  at = writeVarInt(buffer, at, headerCount);
  for (const name of names) {
    const values = headers[name];
    for (const one of Array.isArray(values) ? values : [values]) {
      at = writeBytes(buffer, at, name);
      at = writeBytes(buffer, at, one);
    }
  }
  // An Encoder holding exactly these bytes, without Encoder's 512-byte buffer.
  const encoder = Object.create(EncoderClass.prototype) as Encoder;
  encoder.buf = buffer;
  encoder.offset = at;
  return encoder;
}

function fallback(record: RecordToEncode): Encoder {
  const original =
    kafkajsEncodeRecord ?? (require(RECORD_ENCODER) as RecordEncoder);
  if (original === encodeRecord) {
    throw new Error('kafkajs record encoder not captured');
  }
  return original(record);
}

function encodable(value: unknown): value is Buffer | string | null {
  return (
    value === null ||
    value === undefined ||
    typeof value === 'string' ||
    Buffer.isBuffer(value)
  );
}

/** A varint length followed by the bytes (-1 for null), as kafkajs writes them. */
function bytesSize(value: Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return 1; // varint -1
  const length =
    typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.length;
  return varIntSize(length) + length;
}

function writeBytes(
  buffer: Buffer,
  at: number,
  value: Buffer | string | null | undefined,
): number {
  if (value === null || value === undefined) {
    return writeVarInt(buffer, at, -1);
  }
  if (typeof value === 'string') {
    const length = Buffer.byteLength(value, 'utf8');
    at = writeVarInt(buffer, at, length);
    return at + buffer.write(value, at, length, 'utf8');
  }
  at = writeVarInt(buffer, at, value.length);
  return at + value.copy(buffer, at);
}

/** A 32-bit zigzag varint. */
function varIntSize(value: number): number {
  let encoded = ((value << 1) ^ (value >> 31)) >>> 0;
  let bytes = 1;
  while (encoded >= 0x80) {
    bytes++;
    encoded >>>= 7;
  }
  return bytes;
}

function writeVarInt(buffer: Buffer, at: number, value: number): number {
  let encoded = ((value << 1) ^ (value >> 31)) >>> 0;
  while (encoded >= 0x80) {
    buffer[at++] = (encoded & 0x7f) | 0x80;
    encoded >>>= 7;
  }
  buffer[at++] = encoded;
  return at;
}

/** Zigzag of an integer below 2^52 in magnitude, as a non-negative number (exact). */
function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function varLongSize(value: number): number {
  let encoded = zigzag(value);
  let bytes = 1;
  while (encoded >= 0x80) {
    bytes++;
    encoded = Math.floor(encoded / 0x80);
  }
  return bytes;
}

function writeUnsignedVarLong(
  buffer: Buffer,
  at: number,
  encoded: number,
): number {
  while (encoded >= 0x80) {
    buffer[at++] = (encoded % 0x80) | 0x80;
    encoded = Math.floor(encoded / 0x80);
  }
  buffer[at++] = encoded;
  return at;
}
