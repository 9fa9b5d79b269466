import { ConsumerEvents } from './consumer.events.js';
import { OffsetCommitter, type PartitionOffset } from './offset-committer.js';

/** A commit the test completes by hand, to control what is in flight. */
function controllableCommits(
  owns: (partition: number) => boolean = () => true,
) {
  const calls: Array<{
    offsets: PartitionOffset[];
    resolve: () => void;
    reject: (e: Error) => void;
  }> = [];
  const committed: PartitionOffset[][] = [];
  const failed: PartitionOffset[][] = [];
  const events = new ConsumerEvents()
    .on('committed', (offsets) => committed.push(offsets))
    .on('commitFailed', (offsets) => failed.push(offsets));
  const committer = new OffsetCommitter({
    commit: (offsets) =>
      new Promise<void>((resolve, reject) =>
        calls.push({ offsets, resolve, reject }),
      ),
    events,
    owns,
  });
  return { committer, calls, committed, failed };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('OffsetCommitter', () => {
  it('commits offset+1 of a handled record at once', () => {
    const { committer, calls } = controllableCommits();

    committer.handled(2, '41');

    expect(calls.map((c) => c.offsets)).toEqual([
      [{ partition: 2, offset: '42' }],
    ]);
  });

  it('keeps one commit in flight and sends the newest offset of each partition next', async () => {
    const { committer, calls, committed } = controllableCommits();
    committer.handled(0, '0');
    committer.handled(0, '1');
    committer.handled(1, '7');
    committer.handled(0, '2');
    expect(calls).toHaveLength(1);

    calls[0].resolve();
    await tick();

    expect(calls.map((c) => c.offsets)).toEqual([
      [{ partition: 0, offset: '1' }],
      [
        { partition: 0, offset: '3' },
        { partition: 1, offset: '8' },
      ],
    ]);
    calls[1].resolve();
    await committer.flush();
    expect(committed).toEqual(calls.map((c) => c.offsets));
  });

  it('flush() resolves only when everything handled so far is committed', async () => {
    const { committer, calls } = controllableCommits();
    committer.handled(0, '9');
    let flushed = false;
    const flushing = committer.flush().then(() => (flushed = true));

    await tick();
    expect(flushed).toBe(false);
    calls[0].resolve();
    await flushing;

    expect(flushed).toBe(true);
  });

  it('keeps a failed offset for the next attempt unless a newer one came in, and drops lost partitions', async () => {
    const { committer, calls, failed } = controllableCommits();
    committer.handled(0, '4');
    committer.handled(1, '4');
    committer.handled(1, '5');

    calls[0].reject(new Error('REBALANCE_IN_PROGRESS'));
    await tick();
    expect(failed).toEqual([[{ partition: 0, offset: '5' }]]);

    committer.retainOnly([0, 2]);
    committer.handled(2, '0');
    await tick();
    expect(calls[1].offsets).toEqual([
      { partition: 0, offset: '5' },
      { partition: 2, offset: '1' },
    ]);
    calls[1].resolve();
    await committer.flush();
    expect(calls).toHaveLength(2);
  });

  it('sends a failed commit again by itself while the partition is owned, with no newer record to carry it', async () => {
    vi.useFakeTimers();
    try {
      let owned = [0, 1];
      const { committer, calls, committed } = controllableCommits((p) =>
        owned.includes(p),
      );
      committer.handled(0, '9');
      committer.handled(1, '3');
      calls[0].reject(new Error('STALE_MEMBER_EPOCH'));
      await vi.advanceTimersByTimeAsync(0);
      expect(calls).toHaveLength(1);

      await vi.advanceTimersByTimeAsync(500);
      expect(calls[1].offsets).toEqual([
        { partition: 1, offset: '4' },
        { partition: 0, offset: '10' },
      ]);
      calls[1].reject(new Error('STALE_MEMBER_EPOCH'));
      owned = [1];
      // The delay doubles; a partition lost meanwhile is not sent again.
      await vi.advanceTimersByTimeAsync(999);
      expect(calls).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(1);
      expect(calls[2].offsets).toEqual([{ partition: 1, offset: '4' }]);
      calls[2].resolve();
      await committer.flush();
      expect(committed).toEqual([[{ partition: 1, offset: '4' }]]);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(calls).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('uses BigInt, so offsets past 2^53 stay exact', () => {
    const { committer, calls } = controllableCommits();

    committer.handled(0, '9007199254740993');

    expect(calls[0].offsets).toEqual([
      { partition: 0, offset: '9007199254740994' },
    ]);
  });
});
