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

  describe('with a set-up bound (usable)', () => {
    /** Sessions are numbers; each one's set-up waits until the test settles it. */
    function withSetUp(attempts: number, waitMs = 5) {
      const closed: number[] = [];
      const setUps = new Map<number, { ok: () => void; fail: () => void }>();
      let next = 0;
      const logger = new Logger('test');
      const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
      const all = new ProducerSessions<number>(
        () => ++next,
        async (session) => void closed.push(session),
        logger,
        {
          attempts,
          waitMs,
          setUp: (session) =>
            new Promise<void>((ok, fail) =>
              setUps.set(session, { ok, fail: () => fail(new Error('down')) }),
            ),
        },
      );
      return { all, closed, setUps, warn };
    }

    it('uses a new session once it is set up, and asks no more of it afterwards', async () => {
      const { all, setUps } = withSetUp(3, 1_000);
      const first = all.usable();
      setUps.get(1)?.ok();
      expect(await first).toBe(1);
      setUps.clear();
      expect(await all.usable()).toBe(1);
      expect(setUps.size).toBe(0); // known set up: not asked again
    });

    it('replaces a new session not set up in time by another new one (which may ask another broker), and closes the slow one', async () => {
      const { all, closed, setUps, warn } = withSetUp(3, 200);
      all.retire(1); // 2 is the new one, and it stalls
      const usable = all.usable();
      // 2 gets no answer within 200 ms; 3 is opened and answers.
      await vi.waitFor(() => expect(setUps.has(3)).toBe(true), {
        interval: 5,
      });
      setUps.get(3)?.ok();

      expect(await usable).toBe(3);
      expect(all.session).toBe(3);
      expect(all.count).toBe(3);
      expect(closed).toEqual([1, 2]);
      expect(warn.mock.calls.at(-1)?.[0]).toMatch(
        /producer session #2 was not set up within 200 ms .*: trying a new one, #3/,
      );
    });

    it('tries the next one at once when a new session fails to connect', async () => {
      const { all, setUps, warn } = withSetUp(3, 60_000);
      const usable = all.usable();
      setUps.get(1)?.fail();
      await vi.waitFor(() => expect(setUps.has(2)).toBe(true));
      setUps.get(2)?.ok();

      expect(await usable).toBe(2); // not after the 60 s
      expect(warn.mock.calls.at(-1)?.[0]).toMatch(
        /producer session #1 could not be set up: trying a new one, #2/,
      );
    });

    it('says the first slow session of a row as a warning, the rest at debug until one is set up in time', async () => {
      const { all, setUps, warn } = withSetUp(3);
      const debug = vi.spyOn(Logger.prototype, 'debug');
      const usable = all.usable(); // 1 and 2 late, 3 the last attempt
      await vi.waitFor(() => expect(setUps.has(3)).toBe(true));
      await usable;

      expect(warn).toHaveBeenCalledTimes(1);
      expect(debug.mock.calls.map((c) => String(c[0]))).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/producer session #2 was not set up/),
        ]),
      );
      debug.mockRestore();
    });

    it('uses the last of its attempts however long it takes (the send is bounded by its caller)', async () => {
      const { all, setUps } = withSetUp(2);
      const usable = all.usable();
      await vi.waitFor(() => expect(setUps.has(2)).toBe(true));

      expect(await usable).toBe(2); // late too, but the last attempt
      expect(setUps.has(3)).toBe(false);
    });
  });
});
