import type {
  OutgoingRecord,
  SentPartition,
} from '../client/kafka-producer.port.js';
import { SerialProducer } from './serial-producer.js';

/** A send the test completes by hand, to control what is in flight. */
function controllableSends(maxPartitionBytes = 1_000_000, timeoutMs = 60_000) {
  const calls: Array<{
    topic: string;
    records: OutgoingRecord[];
    resolve: (sent: SentPartition[]) => void;
    reject: (e: Error) => void;
  }> = [];
  const coalescer = new SerialProducer(
    (topic, records) =>
      new Promise<SentPartition[]>((resolve, reject) =>
        calls.push({ topic, records, resolve, reject }),
      ),
    { maxPartitionBytes, timeoutMs },
  );
  return { coalescer, calls };
}

function records(
  tag: string,
  perPartition: Record<number, number>,
): OutgoingRecord[] {
  return Object.entries(perPartition).flatMap(([partition, count]) =>
    Array.from({ length: count }, (_, i) => ({
      partition: Number(partition),
      value: `${tag}-${partition}-${i}`,
    })),
  );
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('SerialProducer', () => {
  it('sends a request alone at once when nothing is in flight', async () => {
    const { coalescer, calls } = controllableSends();

    const answer = coalescer.produce('t', records('a', { 0: 2 }));
    calls[0].resolve([{ partition: 0, baseOffset: '10' }]);

    expect(calls).toHaveLength(1);
    expect(calls[0].records.map((r) => r.value)).toEqual(['a-0-0', 'a-0-1']);
    await expect(answer).resolves.toEqual(new Map([[0, '10']]));
  });

  it('coalesces two requests that arrive during a send into one next send', async () => {
    const { coalescer, calls } = controllableSends();
    const first = coalescer.produce('t', records('a', { 0: 1 }));
    const second = coalescer.produce('t', records('b', { 0: 2, 1: 1 }));
    const third = coalescer.produce('t', records('c', { 1: 3 }));
    expect(calls).toHaveLength(1);

    calls[0].resolve([{ partition: 0, baseOffset: '5' }]);
    await first;
    await tick();

    expect(calls).toHaveLength(2);
    expect(calls[1].records.map((r) => r.value)).toEqual([
      'b-0-0',
      'b-0-1',
      'b-1-0',
      'c-1-0',
      'c-1-1',
      'c-1-2',
    ]);
    calls[1].resolve([
      { partition: 0, baseOffset: '6' },
      { partition: 1, baseOffset: '100' },
    ]);
    await expect(second).resolves.toEqual(
      new Map([
        [0, '6'],
        [1, '100'],
      ]),
    );
    // The third request's records follow the second's in partition 1.
    await expect(third).resolves.toEqual(new Map([[1, '101']]));
  });

  it('fails exactly the requests of a failed send, never the next ones', async () => {
    const { coalescer, calls } = controllableSends();
    const first = coalescer.produce('t', records('a', { 0: 1 }));
    const second = coalescer.produce('t', records('b', { 0: 1 }));
    const third = coalescer.produce('t', records('c', { 0: 1 }));
    calls[0].resolve([{ partition: 0, baseOffset: '0' }]);
    await first;
    await tick();

    calls[1].reject(new Error('NOT_ENOUGH_REPLICAS'));
    await expect(second).rejects.toThrow('NOT_ENOUGH_REPLICAS');
    await expect(third).rejects.toThrow('NOT_ENOUGH_REPLICAS');
    const fourth = coalescer.produce('t', records('d', { 0: 1 }));
    await tick();
    calls[2].resolve([{ partition: 0, baseOffset: '1' }]);

    await expect(fourth).resolves.toEqual(new Map([[0, '1']]));
    expect(calls[2].records.map((r) => r.value)).toEqual(['d-0-0']);
  });

  it('leaves a request that would make a partition too large for the send after', async () => {
    const { coalescer, calls } = controllableSends(120);
    const first = coalescer.produce('t', records('a', { 0: 1 }));
    const second = coalescer.produce('t', records('b', { 0: 1 }));
    const third = coalescer.produce('t', records('c', { 0: 1 }));
    calls[0].resolve([{ partition: 0, baseOffset: '0' }]);
    await first;
    await tick();
    calls[1].resolve([{ partition: 0, baseOffset: '1' }]);
    await second;
    await tick();
    calls[2].resolve([{ partition: 0, baseOffset: '2' }]);

    await expect(third).resolves.toEqual(new Map([[0, '2']]));
    expect(calls.map((c) => c.records.length)).toEqual([1, 1, 1]);
  });

  it('sends requests of another topic in a send of their own', async () => {
    const { coalescer, calls } = controllableSends();
    const first = coalescer.produce('t', records('a', { 0: 1 }));
    const other = coalescer.produce('u', records('b', { 0: 1 }));
    const same = coalescer.produce('t', records('c', { 0: 1 }));
    calls[0].resolve([{ partition: 0, baseOffset: '0' }]);
    await first;
    await tick();
    calls[1].resolve([{ partition: 0, baseOffset: '7' }]);
    await other;
    await tick();
    calls[2].resolve([{ partition: 0, baseOffset: '1' }]);

    await expect(other).resolves.toEqual(new Map([[0, '7']]));
    await expect(same).resolves.toEqual(new Map([[0, '1']]));
    expect(calls.map((c) => c.topic)).toEqual(['t', 'u', 't']);
  });

  it('fails a queued request at its deadline and never sends it', async () => {
    vi.useFakeTimers();
    try {
      const { coalescer, calls } = controllableSends(1_000_000, 1_000);
      const first = coalescer.produce('t', records('a', { 0: 1 }));
      const queued = coalescer.produce('t', records('b', { 0: 1 }));
      const failed = expect(queued).rejects.toThrow('timed out after 1000 ms');
      const firstFailed = expect(first).rejects.toThrow('timed out');

      await vi.advanceTimersByTimeAsync(1_000);
      await failed;
      await firstFailed;
      calls[0].resolve([{ partition: 0, baseOffset: '0' }]);
      await vi.advanceTimersByTimeAsync(0);

      expect(calls).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
