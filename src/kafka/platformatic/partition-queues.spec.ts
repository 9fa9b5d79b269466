import { PartitionQueues } from './partition-queues.js';

/** A deliver function whose calls the test finishes by hand. */
function recorder() {
  const calls: { partition: number; items: string[]; done: () => void }[] = [];
  const deliver = (partition: number, items: string[]) =>
    new Promise<void>((resolve) =>
      calls.push({ partition, items, done: resolve }),
    );
  return { calls, deliver };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('PartitionQueues', () => {
  it('makes one batch of what arrives in one turn, per partition, in order', async () => {
    const { calls, deliver } = recorder();
    const queues = new PartitionQueues(4, deliver, () => undefined);
    queues.push(0, 'a');
    queues.push(1, 'x');
    queues.push(0, 'b');
    expect(queues.size).toBe(3);
    await turn();
    expect(calls.map((c) => [c.partition, c.items])).toEqual([
      [0, ['a', 'b']],
      [1, ['x']],
    ]);
    expect(queues.size).toBe(0);
  });

  it('keeps one batch of a partition out at a time; what came meanwhile follows it', async () => {
    const { calls, deliver } = recorder();
    const queues = new PartitionQueues(4, deliver, () => undefined);
    queues.push(0, 'a');
    await turn();
    queues.push(0, 'b');
    queues.push(0, 'c');
    await turn();
    expect(calls).toHaveLength(1);
    calls[0].done();
    await turn();
    expect(calls.map((c) => c.items)).toEqual([['a'], ['b', 'c']]);
  });

  it('runs at most `concurrency` partitions; a finished one goes to the back', async () => {
    const { calls, deliver } = recorder();
    const queues = new PartitionQueues(1, deliver, () => undefined);
    queues.push(0, 'a');
    queues.push(1, 'x');
    await turn();
    expect(calls.map((c) => c.partition)).toEqual([0]);
    queues.push(0, 'b');
    calls[0].done();
    await turn();
    expect(calls.map((c) => c.partition)).toEqual([0, 1]);
    calls[1].done();
    await turn();
    expect(calls.map((c) => c.partition)).toEqual([0, 1, 0]);
  });

  it('sends nothing new while held, and forgets a dropped partition', async () => {
    const { calls, deliver } = recorder();
    const sizes: number[] = [];
    const queues = new PartitionQueues(4, deliver, () =>
      sizes.push(queues.size),
    );
    queues.hold(true);
    queues.push(0, 'a');
    queues.push(1, 'x');
    await turn();
    expect(calls).toHaveLength(0);
    queues.drop(1);
    expect(queues.size).toBe(1);
    queues.hold(false);
    await turn();
    expect(calls.map((c) => [c.partition, c.items])).toEqual([[0, ['a']]]);
    expect(sizes).toEqual([1, 2, 1, 0]);
  });

  it('settles once the named partitions have no batch out', async () => {
    const { calls, deliver } = recorder();
    const queues = new PartitionQueues(4, deliver, () => undefined);
    queues.push(0, 'a');
    queues.push(1, 'x');
    await turn();
    let settled = false;
    void queues.settled([0]).then(() => (settled = true));
    await turn();
    expect(settled).toBe(false);
    calls[1].done();
    await turn();
    expect(settled).toBe(false);
    calls[0].done();
    await turn();
    expect(settled).toBe(true);
    await expect(queues.settled([5])).resolves.toBeUndefined();
  });
});
