import { checkPartitions, checkUntil } from './group-pause.input.js';

const NOW = Date.parse('2026-12-06T01:00:00Z');

describe('pause request checks', () => {
  it('takes partitions the topic has, sorted, and names the ones it lacks', () => {
    expect(checkPartitions([2, 0], 4)).toEqual({ ok: true, value: [0, 2] });
    expect(checkPartitions(undefined, 4)).toEqual({
      ok: true,
      value: undefined,
    });
    expect(checkPartitions([1, 4, 9], 4)).toEqual({
      ok: false,
      error:
        'partitions 4, 9 do not exist: the topic has 4 partitions (0 to 3)',
    });
  });

  it('takes an ISO 8601 until ahead of now, normalized to UTC', () => {
    expect(checkUntil('2026-12-06T03:00:00+01:00', NOW)).toEqual({
      ok: true,
      value: '2026-12-06T02:00:00.000Z',
    });
    expect(checkUntil(undefined, NOW)).toEqual({ ok: true, value: null });
  });

  it.each([
    ['tomorrow', /ISO 8601 date-time with a time zone/],
    ['2026-12-07', /ISO 8601/],
    ['2026-12-07T00:00:00', /ISO 8601/],
    ['2026-13-45T00:00:00Z', /ISO 8601/],
    ['2026-12-06T00:59:59Z', /not in the future/],
    ['2026-12-06T01:00:00Z', /not in the future/],
  ])('refuses until=%s with what to fix', (until, reason) => {
    const checked = checkUntil(until, NOW);

    expect(checked.ok).toBe(false);
    expect(checked.ok ? '' : checked.error).toMatch(reason);
  });
});
