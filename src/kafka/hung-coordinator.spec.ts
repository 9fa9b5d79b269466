import { HungCoordinator } from './hung-coordinator.js';

describe('HungCoordinator', () => {
  it('stops the member, waits until the coordinator answers, then joins again', async () => {
    const calls: string[] = [];
    const answers = [false, false, true];
    const recovery = new HungCoordinator(
      {
        stop: async () => void calls.push('stop'),
        answers: async () => (calls.push('probe'), answers.shift() ?? true),
        start: async () => void calls.push('start'),
        active: () => true,
      },
      1,
    );

    await recovery.recover();

    expect(calls).toEqual(['stop', 'probe', 'probe', 'probe', 'start']);
  });

  it('runs one recovery for commits that time out together', async () => {
    const stop = vi.fn(async () => undefined);
    const recovery = new HungCoordinator({
      stop,
      answers: async () => true,
      start: async () => undefined,
      active: () => true,
    });

    await Promise.all([recovery.recover(), recovery.recover()]);

    expect(stop).toHaveBeenCalledTimes(1);
    expect(recovery.active).toBe(false);
  });

  it('does not join again once shutdown began', async () => {
    const start = vi.fn(async () => undefined);
    const recovery = new HungCoordinator({
      stop: async () => undefined,
      answers: async () => false,
      start,
      active: () => false,
    });

    await recovery.recover();

    expect(start).not.toHaveBeenCalled();
  });
});
