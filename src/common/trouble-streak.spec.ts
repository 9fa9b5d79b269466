import { TroubleStreak } from './trouble-streak.js';

describe('TroubleStreak', () => {
  it('warns at the first failure, counts the rest at debug, and says the outcome once', () => {
    const lines: string[] = [];
    const logger = {
      warn: (m: string) => lines.push(`WARN ${m}`),
      debug: (m: string) => lines.push(`DEBUG ${m}`),
      log: (m: string) => lines.push(`LOG ${m}`),
    };
    let now = 1_000;
    const streak = new TroubleStreak(logger, 'a send succeeds', () => now);

    streak.recovered('sends succeed again'); // no streak: nothing said
    streak.failed('send failed (unreachable)');
    now += 2_500;
    streak.failed('send failed (timeout)');
    streak.failed('send failed (timeout)');
    expect(streak.active).toBe(true);
    streak.recovered('sends succeed again');
    streak.recovered('sends succeed again');
    expect(streak.active).toBe(false);
    streak.failed('send failed (timeout)');

    expect(lines).toEqual([
      'WARN send failed (unreachable) (further failures are logged at debug and counted until a send succeeds)',
      'DEBUG send failed (timeout)',
      'DEBUG send failed (timeout)',
      'LOG sends succeed again after 3 failure(s) over 2.5 s; the first: send failed (unreachable)',
      'WARN send failed (timeout) (further failures are logged at debug and counted until a send succeeds)',
    ]);
  });
});
