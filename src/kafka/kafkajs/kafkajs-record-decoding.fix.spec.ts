import { createRequire } from 'node:module';
import { decodeRecord, toHeaderObject } from './kafkajs-record-decoding.fix.js';

const require = createRequire(import.meta.url);

interface KafkajsDecoder {
  readVarIntBytes(): Buffer;
}
type DecoderClass = new (buffer: Buffer) => KafkajsDecoder;
type RecordDecoder = (decoder: KafkajsDecoder, context: object) => unknown;

const Decoder = require('kafkajs/src/protocol/decoder.js') as DecoderClass;
const encodeRecord =
  require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (
    record: object,
  ) => { buffer: Buffer };
// This process never applied the fix: kafkajs' own record decoder.
const kafkajsDecodeRecord =
  require('kafkajs/src/protocol/recordBatch/record/v0/decoder.js') as RecordDecoder;

/** A record as kafkajs writes it, read by a decoder the way its batch decoder does. */
function reader(record: object): () => KafkajsDecoder {
  const { buffer } = encodeRecord(record);
  return () => new Decoder(new Decoder(buffer).readVarIntBytes());
}

const context = (over: object = {}) => ({
  firstOffset: '41',
  firstTimestamp: '1795580000000',
  maxTimestamp: '1795580000999',
  magicByte: 2,
  isControlBatch: false,
  timestampType: 0,
  ...over,
});

describe('the fast kafkajs record decoder', () => {
  it.each([
    [
      'a keyed record with headers',
      {
        offsetDelta: 3,
        timestampDelta: 17,
        key: Buffer.from('k'),
        value: Buffer.from('{"a":1}'),
        headers: { a: Buffer.from('1'), b: Buffer.from('2') },
      },
      context(),
    ],
    [
      'null key and value, no headers',
      { offsetDelta: 0, timestampDelta: 0, key: null, value: null },
      context(),
    ],
    [
      'a repeated header, in order',
      {
        offsetDelta: 1,
        timestampDelta: 1,
        key: null,
        value: Buffer.from('v'),
        headers: {
          r: [Buffer.from('1'), Buffer.from('2'), Buffer.from('3')],
          s: Buffer.from('x'),
        },
      },
      context(),
    ],
    [
      '24 headers, one key repeated three times',
      {
        offsetDelta: 1,
        timestampDelta: 1,
        key: null,
        value: Buffer.from('v'),
        headers: {
          a: [Buffer.from('1'), Buffer.from('3'), Buffer.from('4')],
          b: Buffer.from('2'),
          ...Object.fromEntries(
            Array.from({ length: 20 }, (_, i) => [`k${i}`, Buffer.from('v')]),
          ),
        },
      },
      context(),
    ],
    [
      'a negative timestamp delta',
      {
        offsetDelta: 2,
        timestampDelta: -250,
        key: null,
        value: Buffer.from('v'),
      },
      context(),
    ],
    [
      'a timestamp delta of many bytes',
      {
        offsetDelta: 2,
        timestampDelta: 2 ** 52,
        key: null,
        value: Buffer.from('v'),
      },
      context(),
    ],
    [
      'offsets beyond 2^53',
      { offsetDelta: 9, timestampDelta: 5, key: null, value: Buffer.from('v') },
      context({ firstOffset: '9007199254740990' }),
    ],
    [
      'the broker-set time (LOG_APPEND_TIME)',
      { offsetDelta: 4, timestampDelta: 5, key: null, value: Buffer.from('v') },
      context({ timestampType: 1 }),
    ],
    [
      'no timestamp (-1)',
      { offsetDelta: 4, timestampDelta: 0, key: null, value: Buffer.from('v') },
      context({ firstTimestamp: '-1' }),
    ],
    [
      'a control batch',
      {
        offsetDelta: 0,
        timestampDelta: 0,
        key: Buffer.from([0, 0, 0, 1]),
        value: Buffer.from([0, 0, 0, 0, 0, 0]),
      },
      context({ isControlBatch: true }),
    ],
  ])('decodes %s exactly as kafkajs does', (_name, record, batchContext) => {
    const read = reader(record);
    const ours = read();
    const theirs = read();
    expect(decodeRecord(ours as never, batchContext)).toEqual(
      kafkajsDecodeRecord(theirs, batchContext),
    );
    expect((ours as unknown as { offset: number }).offset).toBe(
      (theirs as unknown as { offset: number }).offset,
    );
  });

  it('keeps batches apart when records of several batches interleave', () => {
    const record = {
      offsetDelta: 1,
      timestampDelta: 1,
      key: null,
      value: Buffer.from('v'),
    };
    const one = context({ firstOffset: '100', firstTimestamp: '1000' });
    const two = context({ firstOffset: '200', firstTimestamp: '2000' });
    const offsets = [one, two, one].map((batch) => {
      const decoded = decodeRecord(reader(record)() as never, batch) as {
        offset: string;
        timestamp: string;
      };
      return [decoded.offset, decoded.timestamp];
    });
    expect(offsets).toEqual([
      ['101', '1001'],
      ['201', '2001'],
      ['101', '1001'],
    ]);
  });

  it('keeps a header named __proto__ as data, not as the prototype', () => {
    const headers = toHeaderObject([
      { key: '__proto__', value: Buffer.from('x') },
    ]);
    expect(Object.keys(headers)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
  });
});
