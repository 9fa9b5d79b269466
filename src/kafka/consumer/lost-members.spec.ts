import { LostMembers } from './lost-members.js';

describe('LostMembers', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function outcomes() {
    const said: string[] = [];
    return {
      said,
      removed: (id: string, known: boolean, attempts: number) =>
        said.push(`${known ? 'removed' : 'gone'} ${id} after ${attempts}`),
      gaveUp: (id: string, attempts: number, error: unknown) =>
        said.push(`gave up ${id} after ${attempts}: ${String(error)}`),
    };
  }

  it('retries every 250 ms while the cluster does not answer, and says the outcome once', async () => {
    const o = outcomes();
    let answering = false;
    const remove = vi.fn(async () => {
      if (!answering) throw new Error('no broker');
      return true;
    });
    const lost = new LostMembers({ remove, ...o });

    const done = lost.lost('m-1');
    // The same member lost again while its removal runs is not tried twice.
    void lost.lost('m-1');
    expect(lost.pending).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(remove).toHaveBeenCalledTimes(5); // at 0, 250, 500, 750, 1000 ms
    expect(o.said).toEqual([]);

    answering = true;
    await vi.advanceTimersByTimeAsync(250);
    await done;
    expect(remove).toHaveBeenCalledTimes(6);
    expect(remove).toHaveBeenCalledWith('m-1');
    expect(o.said).toEqual(['removed m-1 after 6']);
    expect(lost.pending).toBe(0);
  });

  it('a member the group had let go already ends the attempts as such', async () => {
    const o = outcomes();
    const lost = new LostMembers({ remove: async () => false, ...o });
    await lost.lost('m-2');
    expect(o.said).toEqual(['gone m-2 after 1']);
  });

  it('gives up at once on an error no retry mends', async () => {
    const o = outcomes();
    const remove = vi.fn(() => Promise.reject(new Error('not authorized')));
    const lost = new LostMembers({
      remove,
      ...o,
      isFinal: (error) => String(error).includes('not authorized'),
    });
    await lost.lost('m-6');
    expect(remove).toHaveBeenCalledTimes(1);
    expect(o.said).toEqual(['gave up m-6 after 1: Error: not authorized']);
  });

  it('gives up after giveUpMs with the last error, and stop() ends the attempts silently', async () => {
    const o = outcomes();
    const remove = vi.fn(() => Promise.reject(new Error('no broker')));
    const lost = new LostMembers({ remove, ...o, giveUpMs: 1_000 });
    const gaveUp = lost.lost('m-3');
    await vi.advanceTimersByTimeAsync(1_250);
    await gaveUp; // tried at 0, 250, 500 and 750 ms: 1 s had passed at the next
    expect(o.said).toEqual(['gave up m-3 after 4: Error: no broker']);

    const stopped = lost.lost('m-4');
    await vi.advanceTimersByTimeAsync(500);
    lost.stop();
    await vi.advanceTimersByTimeAsync(500);
    await stopped;
    const calls = remove.mock.calls.length;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(remove.mock.calls.length).toBe(calls);
    expect(o.said).toHaveLength(1);
    // Nothing new is started once stopped.
    await lost.lost('m-5');
    expect(remove).not.toHaveBeenCalledWith('m-5');
  });
});
