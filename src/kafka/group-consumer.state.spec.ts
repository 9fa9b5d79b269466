import { GroupConsumerState } from './group-consumer.state.js';

describe('GroupConsumerState', () => {
  it('follows join, rebalance, crash and stop, keeping counters and commits', () => {
    const state = new GroupConsumerState('realtime', 'rt', 'topic');
    expect(state.status).toBe('starting');

    state.joined('member-1', true, [2, 0, 1]);
    state.committed(1, '5');
    state.committed(0, '7');
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
});
