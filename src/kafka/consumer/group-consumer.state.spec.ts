import { GroupConsumerState } from './group-consumer.state.js';

describe('GroupConsumerState', () => {
  it('follows join, rebalance, crash and stop, keeping counters and commits', () => {
    const state = new GroupConsumerState('realtime', 'rt', 'topic');
    expect(state.status).toBe('starting');

    state.joined('member-1', true, [2, 0, 1]);
    state.committed(
      [
        { partition: 1, offset: '5' },
        { partition: 0, offset: '7' },
      ],
      0.004,
    );
    expect(state.snapshot()).toMatchObject({
      status: 'joined',
      memberId: 'member-1',
      assignedPartitions: [0, 1, 2],
      lastCommitted: { 0: '7', 1: '5' },
    });

    state.rebalancing();
    const since = state.rebalancingSince;
    state.rebalancing();
    expect(state.status).toBe('rebalancing');
    expect(state.rebalancingSince).toBe(since);

    state.crashed('boom', true);
    expect(state.snapshot()).toMatchObject({
      status: 'crashed',
      assignedPartitions: [],
      crash: { error: 'boom', restart: true },
    });

    state.joined('member-2', false, []);
    expect(state.snapshot()).toMatchObject({
      status: 'joined',
      crash: null,
      assignedPartitions: [],
    });

    state.stopped();
    state.rebalancing();
    expect(state.status).toBe('stopped');
  });

  it('tells its observer what it counts, and knows progress only of the partitions it owns', () => {
    const observer = {
      handled: vi.fn(),
      retried: vi.fn(),
      committed: vi.fn(),
      commitFailed: vi.fn(),
      rebalanced: vi.fn(),
    };
    const state = new GroupConsumerState('analytics', 'an', 'topic', observer);

    state.joined('member-1', true, [0, 1]);
    state.fetched(0, '10');
    state.fetched(5, '99');
    state.recordRetry();
    state.recordProcessed(0.002);
    state.recordDeadLettered(0.5);
    state.committed([{ partition: 0, offset: '4' }], 0.003);
    state.commitFailed(0.1);

    expect(observer.rebalanced).toHaveBeenCalledTimes(1);
    expect(observer.retried).toHaveBeenCalledTimes(1);
    expect(observer.handled).toHaveBeenCalledWith('processed', 0.002);
    expect(observer.handled).toHaveBeenCalledWith('dead-lettered', 0.5);
    expect(observer.committed).toHaveBeenCalledWith(0.003);
    expect(observer.commitFailed).toHaveBeenCalledWith(0.1);
    expect([state.processed, state.retried, state.deadLettered]).toEqual([
      1, 1, 1,
    ]);
    expect(state.commitFailures).toBe(1);
    // Every partition it owns (p5 is not its), each with its commit window.
    expect([...state.progress.keys()]).toEqual([0, 1]);
    expect(state.progress.get(0)).toMatchObject({ high: '10', committed: '4' });
    expect(state.progress.get(0)?.history.samples()).toEqual([
      { offset: 4n, lag: 6, time: expect.any(Number) as number },
    ]);

    state.joined('member-1', true, [1]);
    expect([...state.progress.keys()]).toEqual([1]);
    expect(state.progress.get(1)?.committed).toBeUndefined();
  });
});
