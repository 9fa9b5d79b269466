import { createRequire } from 'node:module';
import type { RecordToEncode } from './kafkajs-internals.js';
import { encodeRecord } from './kafkajs-record-encoding.fix.js';

const require = createRequire(import.meta.url);
// This process never applied the fix: kafkajs' own record encoder.
const kafkajsEncodeRecord =
  require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (
    record: RecordToEncode,
  ) => { buffer: Buffer };

const long = 'x'.repeat(300);

describe('the fast kafkajs record encoder', () => {
  it.each<[string, RecordToEncode]>([
    [
      'a service record',
      {
        offsetDelta: 5,
        timestampDelta: 0,
        key: null,
        value: '{"id":"a","partition":1}',
      },
    ],
    [
      'key, value and headers as strings',
      {
        offsetDelta: 1,
        timestampDelta: 12,
        key: 'k',
        value: 'v',
        headers: { a: '1', 'x-b': 'two' },
      },
    ],
    [
      'Buffers and a repeated header',
      {
        offsetDelta: 2,
        timestampDelta: 3,
        key: Buffer.from([0, 1, 2]),
        value: Buffer.from('vv'),
        headers: { r: [Buffer.from('1'), '2'], s: Buffer.alloc(0) },
      },
    ],
    [
      'null value (a tombstone), no key',
      { offsetDelta: 0, timestampDelta: 0, key: null, value: null },
    ],
    [
      'empty strings',
      { offsetDelta: 0, timestampDelta: 0, key: '', value: '' },
    ],
    [
      'multi-byte lengths and UTF-8',
      {
        offsetDelta: 300,
        timestampDelta: 70_000,
        key: 'ключ',
        value: `${long}é😀`,
        headers: { [long]: long },
      },
    ],
    [
      'a negative timestamp delta',
      { offsetDelta: 7, timestampDelta: -1_234_567, key: null, value: 'v' },
    ],
    [
      'a timestamp delta of many bytes',
      { offsetDelta: 7, timestampDelta: 2 ** 45 + 3, key: null, value: 'v' },
    ],
    [
      'a timestamp delta past 2^52 (kafkajs encodes it)',
      { offsetDelta: 7, timestampDelta: 2 ** 53 - 1, key: null, value: 'v' },
    ],
    ['defaults', { value: 'only a value' }],
  ])('writes %s byte for byte as kafkajs does', (_name, record) => {
    const ours = encodeRecord(record);
    expect(ours.buf.subarray(0, ours.offset)).toEqual(
      kafkajsEncodeRecord(record).buffer,
    );
  });

  it('gives an Encoder the record batch encoder accepts', () => {
    const Encoder = require('kafkajs/src/protocol/encoder.js') as new () => {
      writeArray(array: unknown[], type: string): { buffer: Buffer };
    };
    const records = [
      { offsetDelta: 0, value: 'a' },
      { offsetDelta: 1, value: 'b', headers: { h: 'x' } },
    ];
    expect(
      new Encoder().writeArray(records.map(encodeRecord), 'object').buffer,
    ).toEqual(
      new Encoder().writeArray(records.map(kafkajsEncodeRecord), 'object')
        .buffer,
    );
  });
});
