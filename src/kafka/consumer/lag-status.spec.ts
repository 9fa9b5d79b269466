import {
  evaluatePartition,
  groupStatus,
  LagHistory,
  type LagSample,
  WINDOW_SIZE,
} from './lag-status.js';

/** Commits one minute apart, from [offset, lag] pairs. */
function commits(...pairs: [number, number][]): LagSample[] {
  return pairs.map(([offset, lag], i) => ({
    offset: BigInt(offset),
    lag,
    time: i * 60_000,
  }));
}

const STOP_AFTER = 30_000;

/** The present just after the last commit of `window`, with `lag` now. */
function soon(window: LagSample[], lag: number) {
  const last = window.at(-1)?.time ?? 0;
  return { lag, now: last + 1_000, idleSince: last, stopAfterMs: STOP_AFTER };
}

describe('evaluatePartition', () => {
  it('is OK with no lag now, whatever the window says', () => {
    const window = commits([10, 5], [10, 5], [10, 5]);
    expect(evaluatePartition(window, { ...soon(window, 0), now: 1e9 })).toBe(
      'OK',
    );
  });

  it('is OK when the lag was 0 at some commit of the window', () => {
    const window = commits([10, 3], [20, 0], [25, 4]);
    expect(evaluatePartition(window, soon(window, 6))).toBe('OK');
  });

  it('is OK while the offset moves and the lag went down at least once', () => {
    const window = commits([10, 8], [20, 9], [30, 5], [40, 7]);
    expect(evaluatePartition(window, soon(window, 7))).toBe('OK');
  });

  it('is WARN when the offset moves but the lag never went down (falling behind)', () => {
    const window = commits([10, 5], [20, 5], [30, 9], [40, 12]);
    expect(evaluatePartition(window, soon(window, 12))).toBe('WARN');
  });

  it('is STALL when commits keep coming with the same offset while there is lag', () => {
    const window = commits([10, 5], [10, 7], [10, 9]);
    expect(evaluatePartition(window, soon(window, 9))).toBe('STALL');
  });

  it('is STOP when there is lag and no commit for longer than the threshold', () => {
    const window = commits([10, 0], [20, 0]);
    const last = window[1].time;
    const now = { lag: 4, idleSince: last, stopAfterMs: STOP_AFTER };
    expect(evaluatePartition(window, { ...now, now: last + STOP_AFTER })).toBe(
      'OK',
    );
    expect(
      evaluatePartition(window, { ...now, now: last + STOP_AFTER + 1 }),
    ).toBe('STOP');
  });

  it('needs two commits to call a trend: one commit with lag is OK until STOP', () => {
    const window = commits([10, 5]);
    expect(evaluatePartition(window, soon(window, 5))).toBe('OK');
    expect(evaluatePartition([], soon([], 5))).toBe('OK');
  });
});

describe('groupStatus', () => {
  it('is the worst partition, with STALL and STOP rolled up to ERR', () => {
    expect(groupStatus([])).toBe('OK');
    expect(groupStatus(['OK', 'OK'])).toBe('OK');
    expect(groupStatus(['OK', 'WARN'])).toBe('WARN');
    expect(groupStatus(['WARN', 'STALL'])).toBe('ERR');
    expect(groupStatus(['OK', 'STOP'])).toBe('ERR');
  });

  it('counts a paused partition as no failure: PAUSED only when the others are OK', () => {
    expect(groupStatus(['PAUSED', 'PAUSED'])).toBe('PAUSED');
    expect(groupStatus(['OK', 'PAUSED'])).toBe('PAUSED');
    expect(groupStatus(['WARN', 'PAUSED'])).toBe('WARN');
    expect(groupStatus(['PAUSED', 'STOP'])).toBe('ERR');
  });
});

describe('LagHistory', () => {
  it('keeps the last WINDOW_SIZE commits, merging commits closer than a second', () => {
    const history = new LagHistory(0);
    history.commit(1n, 5, 0);
    history.commit(2n, 4, 500); // replaces the one at 0
    for (let i = 1; i <= WINDOW_SIZE + 2; i++) {
      history.commit(BigInt(10 * i), 3, i * 1_000);
    }
    const samples = history.samples();
    expect(samples).toHaveLength(WINDOW_SIZE);
    expect(samples[0].offset).toBe(30n);
    expect(samples.at(-1)?.offset).toBe(BigInt(10 * (WINDOW_SIZE + 2)));
  });

  it('starts a new window when the offset goes back (offsets reset)', () => {
    const history = new LagHistory(0);
    history.commit(50n, 1, 0);
    history.commit(60n, 1, 2_000);
    history.commit(5n, 60, 4_000);
    expect(history.samples()).toEqual([{ offset: 5n, lag: 60, time: 4_000 }]);
  });

  it('counts STOP from when the lag appeared, not from an old commit of a caught-up consumer', () => {
    const history = new LagHistory(0);
    history.commit(10n, 0, 0); // caught up, then idle for a long time
    history.sawLag(0, 100_000);
    history.sawLag(3, 200_000); // new records
    expect(history.status(3, 200_000 + STOP_AFTER, STOP_AFTER)).toBe('OK');
    expect(history.status(3, 200_001 + STOP_AFTER, STOP_AFTER)).toBe('STOP');
    history.commit(13n, 0, 230_500); // handled them
    expect(history.status(0, 300_000, STOP_AFTER)).toBe('OK');
  });

  it('counts STOP from when it started watching when nothing was committed yet', () => {
    const history = new LagHistory(1_000);
    history.sawLag(7, 1_000);
    expect(history.status(7, 1_000 + STOP_AFTER + 1, STOP_AFTER)).toBe('STOP');
  });

  it('takes readings of a committed offset as commits only when the offset moved', () => {
    const history = new LagHistory(0);
    history.read(10n, 0, 0);
    history.read(10n, 4, 5_000);
    history.read(10n, 9, 10_000);
    expect(history.samples()).toHaveLength(1);
    expect(history.status(9, 5_000 + STOP_AFTER + 1, STOP_AFTER)).toBe('STOP');
    history.read(19n, 0, 40_000);
    expect(history.samples().map((s) => s.offset)).toEqual([10n, 19n]);
    expect(history.status(0, 40_000, STOP_AFTER)).toBe('OK');
  });
});
