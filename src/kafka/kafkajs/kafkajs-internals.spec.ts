import { createRequire } from 'node:module';
import { assertPatchedKafkajs, KAFKAJS_VERSION } from './kafkajs-internals.js';

const require = createRequire(import.meta.url);

describe('assertPatchedKafkajs', () => {
  it('accepts the installed kafkajs, the release the fixes were written against', () => {
    const installed = (require('kafkajs/package.json') as { version: string })
      .version;
    expect(installed).toBe(KAFKAJS_VERSION);
    expect(() => assertPatchedKafkajs()).not.toThrow();
  });

  it('refuses another release with one line naming both versions', () => {
    expect(() => assertPatchedKafkajs('2.3.0')).toThrow(
      /^kafkajs 2\.3\.0 is installed, but the fixes in src\/kafka\/kafkajs were written against kafkajs 2\.2\.4: install 2\.2\.4[^\n]*$/,
    );
  });
});
