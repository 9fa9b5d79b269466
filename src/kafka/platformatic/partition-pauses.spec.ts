import { PartitionPauses } from './partition-pauses.js';

function pauses(startOffset: (p: number) => Promise<bigint>) {
  const hooks = {
    drop: vi.fn(),
    startOffset: vi.fn(startOffset),
    owns: vi.fn(() => true),
    seek: vi.fn(),
  };
  return { hooks, pauses: new PartitionPauses(hooks) };
}

describe('PartitionPauses', () => {
  it('drops queued records of a partition when it is paused, and refuses its records', () => {
    const { hooks, pauses: p } = pauses(() => Promise.resolve(0n));

    p.pause([1]);

    expect(hooks.drop).toHaveBeenCalledWith(1);
    expect(p.admits(1, 5n, new Map())).toBe(false);
    expect(p.admits(0, 5n, new Map())).toBe(true);
  });

  it('seeks a resumed partition back to its last commit and refuses records until the stream reads from there', async () => {
    let answer!: (offset: bigint) => void;
    const { hooks, pauses: p } = pauses(
      () => new Promise((resolve) => (answer = resolve)),
    );
    const next = new Map([[1, 50n]]);
    p.pause([1]);

    p.resume([1], next);
    expect(p.admits(1, 50n, next)).toBe(false); // where to read on is not known yet
    answer(20n);
    await vi.waitFor(() => expect(hooks.seek).toHaveBeenCalledWith(1, 20n));

    expect(next.get(1)).toBe(20n);
    expect(p.admits(1, 60n, next)).toBe(false); // from a fetch sent before the seek
    expect(hooks.seek).toHaveBeenLastCalledWith(1, 20n);
    expect(p.admits(1, 20n, next)).toBe(true);
    expect(p.admits(1, 21n, next)).toBe(true);
  });

  it('asks again when the commit cannot be read, while the partition is still resumed and owned', async () => {
    let calls = 0;
    const { hooks, pauses: p } = pauses(() =>
      ++calls === 1
        ? Promise.reject(new Error('coordinator away'))
        : Promise.resolve(7n),
    );
    p.pause([0]);
    p.resume([0], new Map());

    await vi.waitFor(() => expect(hooks.seek).toHaveBeenCalledWith(0, 7n), {
      timeout: 2_000,
    });
    expect(calls).toBe(2);
  });

  it('does not seek a partition paused again before its commit was read', async () => {
    let answer!: (offset: bigint) => void;
    const { hooks, pauses: p } = pauses(
      () => new Promise((resolve) => (answer = resolve)),
    );
    p.pause([0]);
    p.resume([0], new Map());
    p.pause([0]);

    answer(3n);
    await Promise.resolve();

    expect(hooks.seek).not.toHaveBeenCalled();
    expect(p.isPaused(0)).toBe(true);
  });
});
