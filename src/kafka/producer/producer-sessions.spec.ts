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
    function withSetUp(attempts: number, waitMs = 5, concurrent = 4) {
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
          concurrent,
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

    it('opens another new session beside one not set up in time (it may ask another broker), uses the first set up and closes the other', async () => {
      const { all, closed, setUps, warn } = withSetUp(3, 200);
      all.retire(1); // 2 is the new one, and it stalls
      const usable = all.usable();
      // 2 gets no answer within 200 ms; 3 is opened beside it and answers.
      await vi.waitFor(() => expect(setUps.has(3)).toBe(true), {
        interval: 5,
      });
      expect(closed).toEqual([1]); // 2 still setting up
      setUps.get(3)?.ok();

      expect(await usable).toBe(3);
      expect(all.session).toBe(3);
      expect(all.count).toBe(3);
      expect(closed).toEqual([1, 2]);
      expect(warn.mock.calls.at(-1)?.[0]).toMatch(
        /producer session #2 was not set up within 200 ms .*: trying a new one beside it, #3/,
      );
    });

    it('uses a slow session that is set up after all before the newer one (a loaded host, not a stalled broker)', async () => {
      const { all, closed, setUps } = withSetUp(3, 50);
      const log = vi.spyOn(Logger.prototype, 'log');
      const usable = all.usable();
      await vi.waitFor(() => expect(setUps.has(2)).toBe(true), {
        interval: 5,
      });
      setUps.get(1)?.ok();

      expect(await usable).toBe(1);
      expect(String(log.mock.calls.at(-1)?.[0])).toMatch(
        /^producer session #1 was set up after 1 failure/,
      );
      log.mockRestore();
      expect(all.session).toBe(1);
      expect(closed).toEqual([2]);
      expect(await all.usable()).toBe(1);
    });

    it('sends that arrive during a wait share it: one new session per wait, not one per send', async () => {
      const { all, setUps } = withSetUp(3, 50);
      const waits = [all.usable(), all.usable(), all.usable()];
      await vi.waitFor(() => expect(setUps.has(2)).toBe(true), {
        interval: 5,
      });
      expect(setUps.has(3)).toBe(false);
      setUps.get(2)?.ok();

      expect(await Promise.all(waits)).toEqual([2, 2, 2]);
    });

    it('keeps at most `concurrent` sessions setting up: a new one beyond that closes the oldest', async () => {
      const { all, closed, setUps } = withSetUp(5, 5, 2);
      const usable = all.usable();
      await vi.waitFor(() => expect(setUps.has(4)).toBe(true), {
        interval: 2,
      });
      expect(closed).toEqual([1, 2]); // 3 and 4 setting up
      setUps.get(4)?.ok();

      expect(await usable).toBe(4);
      expect(closed).toEqual([1, 2, 3]);
    });

    it('tries the next one at once when a new session fails to connect', async () => {
      const { all, setUps, warn } = withSetUp(3, 60_000);
      const usable = all.usable();
      setUps.get(1)?.fail();
      await vi.waitFor(() => expect(setUps.has(2)).toBe(true));
      setUps.get(2)?.ok();

      expect(await usable).toBe(2); // not after the 60 s
      expect(warn.mock.calls.at(-1)?.[0]).toMatch(
        /producer session #1 could not be set up: trying a new one beside it, #2/,
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

    it('uses the newest after its attempts however long it takes (the send is bounded by its caller); the older ones keep setting up for the next wait', async () => {
      const { all, closed, setUps } = withSetUp(2);
      const usable = all.usable();
      await vi.waitFor(() => expect(setUps.has(2)).toBe(true));

      expect(await usable).toBe(2); // late too, but the last attempt
      expect(setUps.has(3)).toBe(false);
      expect(closed).toEqual([]);

      const next = all.usable();
      setUps.get(1)?.ok();
      expect(await next).toBe(1);
      expect(closed).toEqual([2]);
    });

    describe('with a spare (renew)', () => {
      function withSpare(spareFits?: (session: number) => boolean) {
        const closed: number[] = [];
        const renewed: number[] = [];
        const setUps = new Map<number, { ok: () => void; fail: () => void }>();
        let next = 0;
        const logger = new Logger('test');
        const warn = vi
          .spyOn(logger, 'warn')
          .mockImplementation(() => undefined);
        const all = new ProducerSessions<number>(
          () => ++next,
          async (session) => void closed.push(session),
          logger,
          {
            attempts: 3,
            waitMs: 60_000,
            concurrent: 4,
            setUp: (session) =>
              new Promise<void>((ok, fail) =>
                setUps.set(session, {
                  ok,
                  fail: () => fail(new Error('down')),
                }),
              ),
            renew: async (session) => void renewed.push(session),
            spares: 2,
            spareFits,
          },
        );
        return { all, closed, renewed, setUps, warn };
      }

      it('sets a spare up once a session is, and the spare, renewed, takes over the next retired session: no new producer id asked then', async () => {
        const { all, closed, renewed, setUps, warn } = withSpare();
        const first = all.usable();
        setUps.get(1)?.ok();
        expect(await first).toBe(1);
        // The spares, setting up; the younger is ready first.
        expect([...setUps.keys()]).toEqual([1, 2, 3]);
        setUps.get(3)?.ok();
        await new Promise(setImmediate);

        all.retire(1);
        expect(all.session).toBe(3);
        expect(await all.usable()).toBe(3);
        expect(renewed).toEqual([3]);
        expect(closed).toEqual([1]);
        expect(warn.mock.calls.at(-1)?.[0]).toMatch(
          /unknown outcome: the spare producer session #3 takes over/,
        );
        // And another spare is set up beside the one still setting up.
        expect(setUps.has(4)).toBe(true);
        expect(setUps.has(5)).toBe(false);
      });

      it('opens a new session when no spare is set up yet at the retire, and keeps the spares setting up', async () => {
        const { all, closed, renewed, setUps } = withSpare();
        const first = all.usable();
        setUps.get(1)?.ok();
        await first;
        all.retire(1); // spares 2 and 3 still setting up
        expect(all.session).toBe(4);
        expect(closed).toEqual([1]);
        const next = all.usable();
        setUps.get(4)?.ok();
        expect(await next).toBe(4);
        expect(renewed).toEqual([]);

        setUps.get(2)?.ok();
        await new Promise(setImmediate);
        all.retire(4);
        expect(all.session).toBe(2);
        expect(renewed).toEqual([2]);
      });

      it('closes a spare that could not be set up, and opens another once a session is', async () => {
        const { all, closed, setUps } = withSpare();
        const first = all.usable();
        setUps.get(1)?.ok();
        await first;
        setUps.get(2)?.fail();
        await new Promise(setImmediate);
        expect(closed).toEqual([2]);
        expect(setUps.has(4)).toBe(false);

        all.retire(1);
        const next = all.usable();
        setUps.get(4)?.ok();
        expect(await next).toBe(4);
        expect(setUps.has(5)).toBe(true);
      });

      it('passes over a spare that does not fit now (its seed broker hangs), and keeps it', async () => {
        const { all, renewed, setUps } = withSpare((session) => session !== 2);
        const first = all.usable();
        setUps.get(1)?.ok();
        await first;
        setUps.get(2)?.ok();
        setUps.get(3)?.ok();
        await new Promise(setImmediate);

        all.retire(1);
        expect(all.session).toBe(3);
        expect(renewed).toEqual([3]);
        all.retire(3);
        expect(all.session).toBe(4); // a new one: 2 still does not fit
      });

      it('is settled once its spares are set up (nothing connects in the background after that)', async () => {
        const { all, setUps } = withSpare();
        const first = all.usable();
        setUps.get(1)?.ok();
        await first;
        let settled = false;
        void all.settled().then(() => (settled = true));
        setUps.get(2)?.ok();
        await new Promise(setImmediate);
        expect(settled).toBe(false); // 3 still setting up
        setUps.get(3)?.fail();
        await vi.waitFor(() => expect(settled).toBe(true));
      });
    });
  });
});
