import { Logger } from '@nestjs/common';
import { ProducerSessions } from './producer-sessions.js';

function sessions() {
  const closed: number[] = [];
  let next = 0;
  const logger = new Logger('test');
  vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
  const all = new ProducerSessions<number>(
    () => ++next,
    async (session) => {
      closed.push(session);
    },
    logger,
  );
  return { all, closed };
}

describe('ProducerSessions', () => {
  it('retires a session for a fresh one and closes it once its sends settle', async () => {
    const { all, closed } = sessions();
    expect(all.session).toBe(1);
    let settle!: () => void;
    all.track(1, new Promise<void>((resolve) => (settle = resolve)));
    all.retire(1);
    expect(all.session).toBe(2);
    expect(all.count).toBe(2);
    await Promise.resolve();
    expect(closed).toEqual([]);
    settle();
    await new Promise(setImmediate);
    expect(closed).toEqual([1]);
  });

  it('retires once when two failures of one session race, and closes all at shutdown', async () => {
    const { all, closed } = sessions();
    all.retire(1);
    all.retire(1);
    expect(all.session).toBe(2);
    expect(all.count).toBe(2);
    await new Promise(setImmediate);
    expect(closed).toEqual([1]);
    await all.closeAll();
    expect(closed).toEqual([1, 2]);
  });
});
