import { untilTopicKnown } from './topic-propagation.js';

/** The shape of kafkajs' broker errors: a type, sometimes wrapped in a retry error. */
function brokerError(type: string, wrapped = false): Error {
  const error = Object.assign(new Error(`broker says ${type}`), { type });
  return wrapped
    ? Object.assign(new Error('retries exhausted'), { originalError: error })
    : error;
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
    let calls = 0;
    const result = untilTopicKnown(
      () => {
        calls++;
        return Promise.reject(brokerError('TOPIC_AUTHORIZATION_FAILED'));
      },
      () => true,
    );
    await expect(result).rejects.toThrow('TOPIC_AUTHORIZATION_FAILED');
    expect(calls).toBe(1);
  });

  it('gives up after six attempts (~6 s), and at once when told to stop', async () => {
    let calls = 0;
    const endless = untilTopicKnown(
      () => {
        calls++;
        return Promise.reject(brokerError('UNKNOWN_TOPIC_OR_PARTITION'));
      },
      () => true,
    );
    const settled = expect(endless).rejects.toThrow('UNKNOWN_TOPIC');
    await vi.runAllTimersAsync();
    await settled;
    expect(calls).toBe(6);

    let stoppedCalls = 0;
    await expect(
      untilTopicKnown(
        () => {
          stoppedCalls++;
          return Promise.reject(brokerError('UNKNOWN_TOPIC_OR_PARTITION'));
        },
        () => false,
      ),
    ).rejects.toThrow('UNKNOWN_TOPIC');
    expect(stoppedCalls).toBe(1);
  });
});
