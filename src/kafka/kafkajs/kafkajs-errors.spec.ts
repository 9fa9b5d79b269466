import { createRequire } from 'node:module';
import { KafkaJSNumberOfRetriesExceeded } from 'kafkajs';
import { isTopicNotYetKnown } from '../kafka.errors.js';

const require = createRequire(import.meta.url);
// kafkajs' own mapping from a broker's error code to the error it throws.
const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as {
  createErrorFromCode: (code: number) => Error & { type: string };
};

describe("kafka.errors' isTopicNotYetKnown on kafkajs' errors", () => {
  it.each([3, 5, 6])(
    'waits out the broker error %i, which kafkajs refreshes its metadata for',
    (code) => {
      const error = createErrorFromCode(code);
      expect(isTopicNotYetKnown(error)).toBe(true);
      expect(
        isTopicNotYetKnown(
          new KafkaJSNumberOfRetriesExceeded(error, {
            retryCount: 5,
            retryTime: 100,
          }),
        ),
      ).toBe(true);
    },
  );

  it('does not wait out a refusal', () => {
    expect(isTopicNotYetKnown(createErrorFromCode(29))).toBe(false);
  });
});
