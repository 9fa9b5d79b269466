import { memberSource } from './json-source.js';

describe('memberSource', () => {
  it.each([
    ['{"payload":{"a":1}}', '{"a":1}'],
    ['{ "payload" : 12345678901234567890 , "key":"k"}', '12345678901234567890'],
    [
      '{"key":"}{\\"payload\\":0","payload":[1.50, 1E+2, "]\\\\"]}',
      '[1.50, 1E+2, "]\\\\"]',
    ],
    ['{"payload":"x","payload":{"last":true}}', '{"last":true}'],
    ['{"p":{"payload":1},"payload":null}', 'null'],
    ['{"payload":true}', 'true'],
    ['\n{\n"payload":\n"\\u00e9\\ud800"\n}\n', '"\\u00e9\\ud800"'],
  ])('finds the text of payload in %s', (text, expected) => {
    expect(JSON.parse(text)).toBeDefined(); // the input is valid JSON
    expect(memberSource(text, 'payload')).toBe(expected);
  });

  it('answers undefined when the member is absent or the text is not an object', () => {
    expect(memberSource('{"key":"payload"}', 'payload')).toBeUndefined();
    expect(memberSource('{}', 'payload')).toBeUndefined();
    expect(memberSource('[{"payload":1}]', 'payload')).toBeUndefined();
  });
});
