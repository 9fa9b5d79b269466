import { RestartBackoff } from './restart-backoff.js';

describe('RestartBackoff', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('restarts after 5 s, doubling up to a minute, once at a time; from 5 s again after reset', async () => {
    const backoff = new RestartBackoff();
    const restart = vi.fn(async () => undefined);

    const delays = Array.from({ length: 6 }, () => backoff.schedule(restart));
    expect(delays).toEqual([5_000, 10_000, 20_000, 40_000, 60_000, 60_000]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(restart).toHaveBeenCalledTimes(1); // each schedule replaced the one pending

    backoff.reset();
    expect(backoff.schedule(restart)).toBe(5_000);
    backoff.cancel();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(restart).toHaveBeenCalledTimes(1);
  });
});
