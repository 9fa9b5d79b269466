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

  describe('with spares', () => {
    /** Sessions are numbers; each spare's warm-up waits for `warmed` to settle it. */
    function withSpares(count: number) {
      const closed: number[] = [];
      const warms = new Map<number, { ok: () => void; fail: () => void }>();
      let next = 0;
      const logger = new Logger('test');
      vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
      const all = new ProducerSessions<number>(
        () => ++next,
        async (session) => void closed.push(session),
        logger,
        {
          count,
          warm: (session) =>
            new Promise<void>((ok, fail) =>
              warms.set(session, { ok, fail: () => fail(new Error('down')) }),
            ),
        },
      );
      const sent = async () => {
        all.track(all.session, Promise.resolve());
        await new Promise(setImmediate);
      };
      return { all, closed, warms, sent };
    }

    it('sets spares up once a send went through; a retired session is replaced by a new one, and a spare takes over when that one is not set up in time', async () => {
      const { all, warms, sent } = withSpares(2);
      expect([...warms.keys()]).toEqual([]); // nothing ahead of the first send
      await sent();
      expect([...warms.keys()]).toEqual([2, 3]);
      warms.get(2)?.ok();
      await new Promise(setImmediate);
      expect(all.ready).toBe(1);

      all.retire(1);
      expect(all.session).toBe(4); // a new one, reading the cluster as it is now
      const usable = await all.usable(5); // 4 is not set up within 5 ms

      expect(usable).toBe(2);
      expect(all.session).toBe(2);
      expect(all.count).toBe(2);
      // 4 keeps connecting: set up, it becomes a spare.
      warms.get(4)?.ok();
      await new Promise(setImmediate);
      expect(all.ready).toBe(1);
      expect(await all.usable(5)).toBe(2); // known set up: no wait
    });

    it('keeps a new session that is set up in time, and one with no spare to hand over to', async () => {
      const { all, warms, sent } = withSpares(1);
      await sent();
      all.retire(1);
      const inTime = all.usable(1_000);
      warms.get(3)?.ok();
      expect(await inTime).toBe(3);
      all.retire(3);
      expect(await all.usable(5)).toBe(4); // spare 2 is not set up yet
    });

    it('hands over at once when the new session fails to connect, and closes it', async () => {
      const { all, closed, warms, sent } = withSpares(1);
      await sent();
      warms.get(2)?.ok();
      await new Promise(setImmediate);
      all.retire(1);
      const usable = all.usable(60_000);
      await new Promise(setImmediate);
      warms.get(3)?.fail();

      expect(await usable).toBe(2); // not after the 60 s
      await new Promise(setImmediate);
      expect(closed).toContain(3);
    });

    it('closes a spare that could not be set up, and tries again only at the next send', async () => {
      const { closed, warms, sent } = withSpares(1);
      await sent();
      warms.get(2)?.fail();
      await new Promise(setImmediate);
      expect(closed).toEqual([2]);
      expect([...warms.keys()]).toEqual([2]);
      await sent();
      expect([...warms.keys()]).toEqual([2, 3]);
    });

    it('closes the spares at shutdown, one still being set up as soon as it is', async () => {
      const { all, closed, warms, sent } = withSpares(2);
      await sent();
      warms.get(2)?.ok();
      await new Promise(setImmediate);
      await all.closeAll();
      expect(closed.sort()).toEqual([1, 2]);
      warms.get(3)?.ok();
      await new Promise(setImmediate);
      expect(closed.sort()).toEqual([1, 2, 3]);
    });
  });
});
