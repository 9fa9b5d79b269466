import { MalformedMessageError } from '../kafka/kafka.errors.js';
import {
  decodeDemoMessage,
  demoMessageEncoder,
  encodeDemoMessage,
} from './demo-message.js';

describe('decodeDemoMessage', () => {
  const valid = {
    id: 'a1',
    partition: 2,
    sequence: 1,
    producedAt: '2026-11-24T10:00:00.000Z',
    payload: { n: 1 },
  };

  it('round-trips what encodeDemoMessage writes', () => {
    expect(decodeDemoMessage(Buffer.from(encodeDemoMessage(valid)))).toEqual(
      valid,
    );
  });

  it.each([
    ['a null value', null, 'empty value'],
    ['an empty value', Buffer.alloc(0), 'empty value'],
    [
      'text',
      Buffer.from('message for partition 0 - one!'),
      'value is not JSON',
    ],
    ['a JSON array', Buffer.from('[1]'), '"id" must be a non-empty string'],
    ['a JSON number', Buffer.from('7'), 'value is not a JSON object'],
    [
      'a missing id',
      Buffer.from(JSON.stringify({ ...valid, id: '' })),
      '"id" must be a non-empty string',
    ],
    [
      'a fractional partition',
      Buffer.from(JSON.stringify({ ...valid, partition: 1.5 })),
      '"partition" and "sequence" must be integers',
    ],
    [
      'a bad date',
      Buffer.from(JSON.stringify({ ...valid, producedAt: 'yesterday' })),
      '"producedAt" must be an ISO-8601 date',
    ],
  ])('rejects %s as malformed', (_name, value, reason) => {
    expect(() => decodeDemoMessage(value)).toThrow(MalformedMessageError);
    expect(() => decodeDemoMessage(value)).toThrow(
      `malformed message: ${reason}`,
    );
  });
});

describe('demoMessageEncoder', () => {
  it.each([
    null,
    { n: 1, nested: { list: [1, 'two', null, true] } },
    'a "quoted" string with \\ and \u2028 and é😀',
    [],
    0,
  ])('writes what encodeDemoMessage writes, payload %j', (payload) => {
    const producedAt = '2026-11-25T05:00:00.000Z';
    const encode = demoMessageEncoder(producedAt, JSON.stringify(payload));
    expect(encode('id-"1"', 3, 12)).toBe(
      encodeDemoMessage({
        id: 'id-"1"',
        partition: 3,
        sequence: 12,
        producedAt,
        payload,
      }),
    );
  });
});
