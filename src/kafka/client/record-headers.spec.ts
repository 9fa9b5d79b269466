import type { RecordHeaderValue } from './group-consumer.port.js';
import { addHeader } from './record-headers.js';

describe('addHeader', () => {
  it('keeps a repeated key as an array in order, and __proto__ as data', () => {
    const headers: Record<string, RecordHeaderValue> = {};
    addHeader(headers, 'a', '1');
    addHeader(headers, 'a', '2');
    addHeader(headers, 'a', '3');
    addHeader(headers, '__proto__', 'p');
    addHeader(headers, 'constructor', 'c');
    expect(headers.a).toEqual(['1', '2', '3']);
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
    expect(Object.keys(headers)).toEqual(['a', '__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value).toBe(
      'p',
    );
  });

  it('appends in place: 40,000 values of one key stay linear', () => {
    const headers: Record<string, RecordHeaderValue> = {};
    for (let i = 0; i < 40_000; i++) addHeader(headers, 'h', String(i));
    const values = headers.h as string[];
    expect(values).toHaveLength(40_000);
    expect(values[39_999]).toBe('39999');
  });
});
