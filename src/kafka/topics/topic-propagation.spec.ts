import { untilTopicKnown } from './topic-propagation.js';

/** The shape of kafkajs' broker errors: a type, sometimes wrapped in a retry error. */
function brokerError(type: string, wrapped = false): Error {
  const error = Object.assign(new Error(`broker says ${type}`), { type });
  return wrapped
    ? Object.assign(new Error('retries exhausted'), { originalError: error })
    : error;
}

/** An attempt that always fails with a broker error of `type`, counting its calls. */
function failingAttempt(type: string) {
  const attempt = Object.assign(
    () => {
      attempt.calls++;
      return Promise.reject(brokerError(type));
    },
    { calls: 0 },
  );
  return attempt;
}

describe('untilTopicKnown', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('starts again while a broker does not know the topic yet, then returns', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = untilTopicKnown(
      () => {
        calls++;
        if (calls === 1) throw brokerError('UNKNOWN_TOPIC_OR_PARTITION');
        if (calls === 2) throw brokerError('LEADER_NOT_AVAILABLE', true);
        return Promise.resolve('started');
      },
      (_error, delayMs) => {
        delays.push(delayMs);
        return true;
      },
    );
    await vi.runAllTimersAsync();
    await expect(result).resolves.toBe('started');
    expect(delays).toEqual([200, 400]);
  });

  it('throws any other error at once', async () => {
    const attempt = failingAttempt('TOPIC_AUTHORIZATION_FAILED');
    const result = untilTopicKnown(attempt, () => true);
    await expect(result).rejects.toThrow('TOPIC_AUTHORIZATION_FAILED');
    expect(attempt.calls).toBe(1);
  });

  it('gives up after six attempts (~6 s), and at once when told to stop', async () => {
    const endless = failingAttempt('UNKNOWN_TOPIC_OR_PARTITION');
    const settled = expect(
      untilTopicKnown(endless, () => true),
    ).rejects.toThrow('UNKNOWN_TOPIC');
    await vi.runAllTimersAsync();
    await settled;
    expect(endless.calls).toBe(6);

    const stopped = failingAttempt('UNKNOWN_TOPIC_OR_PARTITION');
    await expect(untilTopicKnown(stopped, () => false)).rejects.toThrow(
      'UNKNOWN_TOPIC',
    );
    expect(stopped.calls).toBe(1);
  });
});
