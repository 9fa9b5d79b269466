import type { Message } from '@platformatic/kafka';
import { PlatformaticRecord } from './platformatic-record.js';

/** A library message with what the record reads; the rest is not used. */
function message(
  fields: Partial<Message<Buffer, Buffer, Buffer, Buffer>>,
): Message<Buffer, Buffer, Buffer, Buffer> {
  return {
    offset: 41n,
    timestamp: 1_765_000_000_000n,
    key: Buffer.from('k'),
    value: Buffer.from('{}'),
    headerEntries: [],
    ...fields,
  } as unknown as Message<Buffer, Buffer, Buffer, Buffer>;
}

describe('PlatformaticRecord', () => {
  it('gives offset and timestamp as decimal strings, key and value as they came', () => {
    const key = Buffer.from('id-1');
    const value = Buffer.from('{"id":"id-1"}');

    const record = new PlatformaticRecord(
      message({ offset: 9_007_199_254_740_993n, key, value }),
    );

    expect(record.offset).toBe('9007199254740993');
    expect(record.timestamp).toBe('1765000000000');
    expect(record.key).toBe(key);
    expect(record.value).toBe(value);
  });

  it('gives a missing key or value as null and no headers as undefined', () => {
    const record = new PlatformaticRecord(
      message({
        key: undefined,
        value: undefined,
      }),
    );

    expect(record.key).toBeNull();
    expect(record.value).toBeNull();
    expect(record.headers).toBeUndefined();
  });

  it('gives headers by name, a repeated one as an array in order, the same object each read', () => {
    const record = new PlatformaticRecord(
      message({
        headerEntries: [
          [Buffer.from('trace'), Buffer.from('a')],
          [Buffer.from('tag'), Buffer.from('x')],
          [Buffer.from('tag'), Buffer.from('y')],
        ],
      }),
    );

    const headers = record.headers;

    expect(headers).toEqual({
      trace: Buffer.from('a'),
      tag: [Buffer.from('x'), Buffer.from('y')],
    });
    expect(record.headers).toBe(headers);
  });
});
