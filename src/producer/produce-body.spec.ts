import { BadRequestException } from '@nestjs/common';
import { parseProduceBody } from './produce-body.js';

/** What JSON.parse and the raw text give the decorator for a body. */
const parse = (text: string) => parseProduceBody(JSON.parse(text), () => text);

const refusal = (text: string): string[] => {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    return [
      (error as BadRequestException).getResponse() as { message: unknown },
    ].flatMap((r) => r.message) as string[];
  }
  throw new Error(`accepted ${text}`);
};

describe('parseProduceBody', () => {
  it.each([
    'toString',
    'valueOf',
    'hasOwnProperty',
    '__proto__',
    'constructor',
  ])('refuses the unknown top-level field %s by name', (name) => {
    expect(refusal(`{"${name}":1}`)).toEqual([
      `property ${name} should not exist`,
    ]);
  });

  it('keeps payload text and header names exactly as sent, prototype names included', () => {
    const payload =
      '{ "constructor":{"prototype":1},"toString":"t","valueOf":[1],"hasOwnProperty":{},"__proto__":{"x":1},"big":12345678901234567890,"f":1.50 }';
    const text = `{"payload":${payload},"headers":{"toString":"a","__proto__":"b","":"c"},"key":"k"}`;
    const request = parse(text);
    expect(request.payloadText).toBe(payload);
    expect(Object.keys(request.headers ?? {})).toEqual([
      'toString',
      '__proto__',
      '',
    ]);
    expect(request.key).toBe('k');
  });

  it('answers {} for no body, and undefined payload text when none was sent', () => {
    expect(parseProduceBody(undefined, () => undefined)).toEqual({});
    expect(parse('{"messagesPerPartition":2}').payloadText).toBeUndefined();
    expect(parse('{"payload":null}').payloadText).toBe('null');
  });

  it('checks the known fields with the DTO rules', () => {
    expect(refusal('{"messagesPerPartition":null}')[0]).toMatch(
      /messagesPerPartition must be a whole number/,
    );
    expect(refusal('{"headers":[]}')[0]).toMatch(/headers must be an object/);
    expect(refusal('{"partitions":[1,1]}')[0]).toMatch(/must not repeat/);
  });

  it('refuses a key with a lone surrogate instead of storing U+FFFD', () => {
    expect(refusal('{"key":"a\\ud800b"}')[0]).toMatch(
      /key must be valid Unicode/,
    );
    expect(parse('{"key":"\\ud83d\\ude00"}').key).toBe('😀');
  });

  it('bounds a long unknown field name in its answer', () => {
    const [message] = refusal(`{"${'n'.repeat(60_000)}":1}`);
    expect(message.length).toBeLessThan(200);
  });
});
