import type {
  GroupConsumerPort,
  GroupConsumerRun,
  GroupMembershipEvents,
  RecordBatch,
} from '../client/group-consumer.port.js';
import {
  PausableGroupConsumer,
  type PauseSource,
} from './pausable-group-consumer.js';

class FakeSource implements PauseSource {
  caughtUp = true;
  paused = new Set<number>();
  private listeners = new Set<(groupId: string) => void>();
  pausedAt(_groupId: string, partition: number): boolean {
    return this.paused.has(partition);
  }
  onChange(listener: (groupId: string) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  change(groupId = 'g') {
    for (const listener of this.listeners) listener(groupId);
  }
}

function fakeInner() {
  let run: GroupConsumerRun | undefined;
  let events: GroupMembershipEvents | undefined;
  const inner = {
    run: vi.fn((r: GroupConsumerRun, e: GroupMembershipEvents) => {
      run = r;
      events = e;
      return Promise.resolve();
    }),
    pause: vi.fn(),
    resume: vi.fn(),
    commit: vi.fn(() => Promise.resolve()),
    disconnect: vi.fn(() => Promise.resolve()),
  } satisfies GroupConsumerPort;
  return { inner, run: () => run!, events: () => events! };
}

function batch(partition: number): RecordBatch {
  return {
    topic: 't',
    partition,
    highWatermark: '1',
    records: [{ offset: '0', key: null, value: null, timestamp: '0' }],
    isActive: () => true,
    resolve: vi.fn(),
    heartbeat: () => Promise.resolve(),
  };
}

async function started(source: FakeSource) {
  const fake = fakeInner();
  const eachBatch = vi.fn((b: RecordBatch) => {
    void b;
    return Promise.resolve();
  });
  const joined = vi.fn();
  const gate = new PausableGroupConsumer(fake.inner, 'g', source);
  await gate.run(
    { topic: 't', fromBeginning: true, concurrency: 2, eachBatch },
    {
      joined,
      rebalancing: () => Promise.resolve(),
      heartbeat: () => undefined,
      crashed: () => undefined,
      coordinatorSilent: () => undefined,
    },
  );
  return { ...fake, gate, eachBatch, joined };
}

describe('PausableGroupConsumer', () => {
  it('pauses the paused partitions it is given before the caller hears of them', async () => {
    const source = new FakeSource();
    source.paused.add(1);
    const { inner, events, joined } = await started(source);

    events().joined('m', false, [0, 1]);

    expect(inner.pause).toHaveBeenCalledWith('t', [1]);
    expect(inner.pause.mock.invocationCallOrder[0]).toBeLessThan(
      joined.mock.invocationCallOrder[0],
    );
  });

  it('hands a batch of a paused partition back untouched, and passes the others on', async () => {
    const source = new FakeSource();
    source.paused.add(1);
    const { run, eachBatch } = await started(source);
    const held = batch(1);

    await run().eachBatch(held);
    await run().eachBatch(batch(0));

    expect(held.resolve).not.toHaveBeenCalled();
    expect(eachBatch).toHaveBeenCalledTimes(1);
    expect(eachBatch.mock.calls[0][0].partition).toBe(0);
  });

  it('holds every partition until the pause state is read, then resumes the free ones', async () => {
    const source = new FakeSource();
    source.caughtUp = false;
    const { inner, events, run, eachBatch } = await started(source);
    events().joined('m', false, [0, 1]);
    await run().eachBatch(batch(0));

    expect(eachBatch).not.toHaveBeenCalled();
    expect(inner.pause).toHaveBeenCalledWith('t', [0, 1]);

    source.caughtUp = true;
    source.change('*');

    expect(inner.resume).toHaveBeenCalledWith('t', [0, 1]);
  });

  it('pauses a held partition again when the client still hands over its batches (a restarted client lost the pause)', async () => {
    const source = new FakeSource();
    source.paused.add(1);
    const { inner, events, run } = await started(source);
    events().joined('m', false, [0, 1]);
    inner.pause.mockClear();

    await run().eachBatch(batch(1));

    expect(inner.pause).toHaveBeenCalledWith('t', [1]);
  });

  it('stops a batch under way between records when its partition is paused', async () => {
    const source = new FakeSource();
    const { run, eachBatch } = await started(source);
    await run().eachBatch(batch(0));
    const passed = eachBatch.mock.calls[0][0];

    expect(passed.isActive()).toBe(true);
    source.paused.add(0);
    expect(passed.isActive()).toBe(false);
  });

  it('pauses its partitions again after a whole-topic resume', async () => {
    const source = new FakeSource();
    source.paused.add(2);
    const { inner, events, gate } = await started(source);
    events().joined('m', false, [2, 3]);
    inner.pause.mockClear();

    gate.resume('t');

    expect(inner.resume).toHaveBeenCalledWith('t', undefined);
    expect(inner.pause).toHaveBeenCalledWith('t', [2]);
  });

  it('stops listening when it disconnects', async () => {
    const source = new FakeSource();
    const { inner, events, gate } = await started(source);
    events().joined('m', false, [0]);
    await gate.disconnect();
    source.paused.add(0);

    source.change();

    expect(inner.pause).not.toHaveBeenCalled();
    expect(inner.disconnect).toHaveBeenCalled();
  });
});
