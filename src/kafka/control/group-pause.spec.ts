import {
  activePause,
  encodeControlValue,
  type GroupPause,
  isPausedAt,
  nextExpiry,
  NOT_PAUSED,
  parseControlRecord,
  pauseOf,
  pauseView,
  withPause,
  withResume,
} from './group-pause.js';

const NOW = new Date('2026-12-06T01:00:00.000Z');
const T = NOW.getTime();
const later = (ms: number) => new Date(T + ms).toISOString();

describe('group pause state', () => {
  it('a whole-group pause holds every partition until resumed', () => {
    const pause = withPause(NOT_PAUSED, { now: NOW, by: 'ops' });

    expect(pause.all).toEqual({
      since: NOW.toISOString(),
      until: null,
      by: 'ops',
    });
    expect(pauseOf(pause, 7, T + 1e9)).toEqual(pause.all);
    expect(isPausedAt(pause, T)).toBe(true);
  });

  it('partition pauses add up, and a whole-group pause replaces them', () => {
    const first = withPause(NOT_PAUSED, { partitions: [0, 1], now: NOW });
    const second = withPause(first, { partitions: [3], now: NOW, by: 'b' });

    expect(Object.keys(second.partitions)).toEqual(['0', '1', '3']);
    expect(pauseOf(second, 2, T)).toBeUndefined();
    expect(pauseOf(second, 3, T)?.by).toBe('b');
    expect(withPause(second, { now: NOW }).partitions).toEqual({});
  });

  it('resuming some partitions of a group paused as a whole keeps the others paused', () => {
    const all = withPause(NOT_PAUSED, {
      now: NOW,
      by: 'ops',
      until: later(60_000),
    });

    const resumed = withResume(all, [1], 3);

    expect(resumed.all).toBeNull();
    expect(Object.keys(resumed.partitions)).toEqual(['0', '2']);
    expect(resumed.partitions[0]).toEqual(all.all);
    expect(withResume(resumed, undefined, 3)).toEqual(NOT_PAUSED);
  });

  it('a mark whose until passed no longer holds, and the next expiry is the earliest ahead', () => {
    const pause: GroupPause = {
      all: { since: NOW.toISOString(), until: later(5_000), by: null },
      partitions: {
        '2': { since: NOW.toISOString(), until: later(2_000), by: null },
      },
    };

    expect(nextExpiry(pause, T)).toBe(T + 2_000);
    expect(nextExpiry(pause, T + 2_000)).toBe(T + 5_000);
    expect(nextExpiry(pause, T + 5_000)).toBeUndefined();
    expect(pauseOf(pause, 2, T + 3_000)).toEqual(pause.all);
    expect(activePause(pause, T + 3_000).partitions).toEqual({});
    expect(isPausedAt(pause, T + 5_000)).toBe(false);
    expect(pauseView('g', pause, T + 5_000)).toEqual({
      groupId: 'g',
      paused: false,
      all: null,
      partitions: [],
    });
  });
});

describe('control records', () => {
  const key = Buffer.from('analytics');

  it('round-trips a pause through its record', () => {
    const pause = withPause(NOT_PAUSED, {
      partitions: [2],
      now: NOW,
      by: 'me',
      until: later(1_000),
    });

    const parsed = parseControlRecord(
      key,
      Buffer.from(encodeControlValue('analytics', pause, NOW)),
    );

    expect(parsed).toEqual({ ok: true, groupId: 'analytics', pause });
  });

  it('reads a tombstone and a resumed record as not paused', () => {
    const resumed = encodeControlValue('analytics', NOT_PAUSED, NOW);

    expect(JSON.parse(resumed)).toMatchObject({ state: 'resumed' });
    expect(parseControlRecord(key, null)).toEqual({
      ok: true,
      groupId: 'analytics',
      pause: NOT_PAUSED,
    });
    expect(parseControlRecord(key, Buffer.from(resumed))).toEqual({
      ok: true,
      groupId: 'analytics',
      pause: NOT_PAUSED,
    });
  });

  it.each([
    [null, '{}', /without a key/],
    ['g', 'not json', /not JSON/],
    ['g', '[]', /not an object/],
    ['g', '{"version":2,"state":"paused"}', /version 2/],
    ['g', '{"version":1,"state":"frozen"}', /no known state/],
    [
      'g',
      '{"version":1,"state":"paused","all":{"since":"x","until":null,"by":null},"partitions":{}}',
      /bad "all" mark/,
    ],
    [
      'g',
      '{"version":1,"state":"paused","all":null,"partitions":{"a":{"since":"2026-01-01T00:00:00Z","until":null,"by":null}}}',
      /partition a/,
    ],
    ['g', '{"version":1,"state":"paused","all":null}', /no partitions/],
  ])('refuses %s=%s with the reason', (k, value, reason) => {
    const parsed = parseControlRecord(
      k === null ? null : Buffer.from(k),
      Buffer.from(value),
    );

    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.error).toMatch(reason);
  });
});
