import { createRequire } from 'node:module';
import {
  applyLinearHeaderDecoding,
  toHeaderObject,
} from './kafkajs-header-decoding.fix.js';

const require = createRequire(import.meta.url);
const Encoder = require('kafkajs/src/protocol/encoder.js') as new () => {
  writeVarIntArray(items: unknown[]): unknown;
  buffer: Buffer;
};
const HeaderEncoder =
  require('kafkajs/src/protocol/recordBatch/header/v0/index.js') as (header: {
    key: string;
    value: Buffer;
  }) => unknown;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (
  buffer: Buffer,
) => { readVarIntArray(reader: unknown): DecodedList };
const HeaderDecoder =
  require('kafkajs/src/protocol/recordBatch/header/v0/decoder.js') as unknown;
type DecodedList = { key: string; value: Buffer }[];

function encodedHeaders(pairs: [string, string][]): Buffer {
  const encoder = new Encoder();
  encoder.writeVarIntArray(
    pairs.map(([key, value]) =>
      HeaderEncoder({ key, value: Buffer.from(value) }),
    ),
  );
  return encoder.buffer;
}

/** kafkajs' own reducer, as in record/v0/decoder.js: the shape to keep. */
function kafkajsShape(list: DecodedList) {
  return list.reduce<Record<string, Buffer | Buffer[]>>(
    (obj, { key, value }) => ({
      ...obj,
      [key]:
        obj[key] === undefined
          ? value
          : Array.isArray(obj[key])
            ? obj[key].concat([value])
            : [obj[key], value],
    }),
    {},
  );
}

describe('linear decoding of record headers (kafkajs fix)', () => {
  beforeAll(() => applyLinearHeaderDecoding());

  it('leaves a short header list to kafkajs (cheap either way)', () => {
    const list = new Decoder(
      encodedHeaders([
        ['a', '1'],
        ['a', '2'],
      ]),
    ).readVarIntArray(HeaderDecoder);
    expect(Object.hasOwn(list, 'reduce')).toBe(false);
  });

  it('builds the object kafkajs builds: first value as is, repeated keys as arrays in order', () => {
    const pairs: [string, string][] = [
      ['a', '1'],
      ['b', '2'],
      ['a', '3'],
      ['a', '4'],
      // Past the length where the linear pass takes over.
      ...Array.from({ length: 20 }, (_, i): [string, string] => [`k${i}`, 'v']),
    ];
    const list = new Decoder(encodedHeaders(pairs)).readVarIntArray(
      HeaderDecoder,
    );
    const patched = list.reduce<Record<string, unknown>>(() => ({}), {});
    expect(patched).toEqual(kafkajsShape([...list]));
    expect(patched.a).toEqual([
      Buffer.from('1'),
      Buffer.from('3'),
      Buffer.from('4'),
    ]);
  });

  it('keeps a header named __proto__ as data, not as the prototype', () => {
    const headers = toHeaderObject([
      { key: '__proto__', value: Buffer.from('x') },
    ]);
    expect(Object.keys(headers)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
  });

  it('leaves other arrays the decoder reads alone', () => {
    const list = new Decoder(encodedHeaders([['k', 'v']])).readVarIntArray(
      (decoder: unknown) => decoder,
    );
    expect(Object.getOwnPropertyNames(list)).not.toContain('reduce');
  });
});
