import { createRequire } from 'node:module';

interface DecodedHeader {
  key: string;
  value: Buffer;
}
type HeaderValue = Buffer | Buffer[];
type Reducer = (
  headers: Record<string, HeaderValue>,
  header: DecodedHeader,
) => Record<string, HeaderValue>;
interface DecoderPrototype {
  readVarIntArray: (this: DecoderPrototype, reader: unknown) => unknown[];
  __linearHeaders?: true;
}

const require = createRequire(import.meta.url);

/** Header lists up to this long keep kafkajs' own (quadratic, but tiny) reduce. */
const LINEAR_FROM_HEADERS = 16;

/**
 * kafkajs 2.2.4 (unmaintained) turns a record's header list into an object
 * with `reduce((obj, h) => ({ ...obj, [h.key]: ... }), {})`: it copies the
 * whole object once per header, O(n²). A record with 3,000 headers then
 * blocked the event loop for ~7 s per consumer (measured): heartbeats missed,
 * commits failed, records handled twice. Records come from any producer, so
 * this must hold whatever is on the topic.
 *
 * The fix: when the decoder reads a header list, the array it returns reduces
 * in one linear pass into the same shape (first value as is, repeated keys as
 * an array in order, every key an own property, `__proto__` included). It
 * patches Decoder.prototype, looked up at each call, so it works whatever
 * loaded kafkajs first.
 */
export function applyLinearHeaderDecoding(): void {
  const Decoder = require('kafkajs/src/protocol/decoder.js') as {
    prototype: DecoderPrototype;
  };
  const HeaderDecoder =
    require('kafkajs/src/protocol/recordBatch/header/v0/decoder.js') as unknown;
  const proto = Decoder.prototype;
  if (proto.__linearHeaders) {
    return;
  }
  const original = proto.readVarIntArray;
  proto.readVarIntArray = function readVarIntArray(
    this: DecoderPrototype,
    reader: unknown,
  ) {
    const items = original.call(this, reader);
    // A short list is cheap either way, and the per-list patch is not.
    if (reader === HeaderDecoder && items.length > LINEAR_FROM_HEADERS) {
      Object.defineProperty(items, 'reduce', {
        value: (_reducer: Reducer, initial: Record<string, HeaderValue>) =>
          toHeaderObject(items as DecodedHeader[], initial),
      });
    }
    return items;
  };
  proto.__linearHeaders = true;
}

/** The object kafkajs' reducer builds, in one pass. */
export function toHeaderObject(
  headers: readonly DecodedHeader[],
  into: Record<string, HeaderValue> = {},
): Record<string, HeaderValue> {
  for (const { key, value } of headers) {
    const seen = Object.prototype.hasOwnProperty.call(into, key)
      ? into[key]
      : undefined;
    const next =
      seen === undefined ? value : Array.isArray(seen) ? seen : [seen, value];
    if (Array.isArray(seen)) {
      seen.push(value);
    }
    if (key === '__proto__') {
      // defineProperty, not assignment: a header named __proto__ stays data.
      Object.defineProperty(into, key, {
        value: next,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      into[key] = next;
    }
  }
  return into;
}
