import {
  MultipleErrors,
  NetworkError,
  ProtocolError,
  TimeoutError,
} from '@platformatic/kafka';
import { isTimeout, isTopicNotYetKnown } from '../kafka.errors.js';

describe("kafka.errors' isTimeout on @platformatic/kafka's errors", () => {
  it('knows its TimeoutError, though 2.12.1 gives the instance NetworkError’s code', () => {
    const timeout = new TimeoutError('Request timed out');
    expect(timeout.code).toBe('PLT_KFK_NETWORK'); // the library's slip this works around
    expect(isTimeout(timeout)).toBe(true);
    expect(
      isTimeout(new MultipleErrors('metadata failed 1 times.', [timeout])),
    ).toBe(true);
  });

  it('does not take another network error for a timeout', () => {
    expect(isTimeout(new NetworkError('Connection closed'))).toBe(false);
  });
});

describe("kafka.errors' isTopicNotYetKnown on @platformatic/kafka's errors", () => {
  it.each([3, 5, 6])(
    'waits out the broker error %i, which the library marks stale metadata',
    (code) => {
      const error = new ProtocolError(code);
      expect(error.hasStaleMetadata).toBe(true);
      expect(
        isTopicNotYetKnown(new MultipleErrors('listOffsets failed', [error])),
      ).toBe(true);
    },
  );

  it('does not wait out a refusal', () => {
    expect(isTopicNotYetKnown(new ProtocolError(29))).toBe(false); // TOPIC_AUTHORIZATION_FAILED
  });
});
