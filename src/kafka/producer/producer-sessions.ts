import { Logger } from '@nestjs/common';
import { TroubleStreak } from '../../common/trouble-streak.js';

/**
 * For adapters whose new session can stall while it takes its producer id
 * (ProducerSessions.usable): how to tell it is set up, how long to give it,
 * and how many new sessions to try for one send.
 */
export interface SessionSetUp<S> {
  /** Sets a session up (connects, takes its producer id); rejects when it cannot. */
  setUp: (session: S) => Promise<unknown>;
  /** How long a new session may take before another is tried. */
  waitMs: number;
  /** How many sessions one send tries, the first included. */
  attempts: number;
}

/**
 * The producer sessions of an adapter: the current one, and the retired ones
 * still settling. A send that fails or outlives PRODUCE_TIMEOUT_MS retires
 * its session: the next send opens a fresh one (a new producer id, fresh
 * sequence numbers), and the retired one is closed once the sends it still
 * retries settle (their records are the unknown outcome its caller was told
 * of). Knows no client: each adapter says how to open and close a session.
 *
 * With `setUp`, a new session that has not connected in time is replaced
 * by another new one before a send uses it (`usable`): a new session needs
 * a producer id, and a broker hands those out in blocks it asks of the
 * active controller; while a node hangs that ask can wait for the thaw, and
 * a client that keeps asking that broker (kafkajs asks the broker its
 * metadata names as controller, a random live one) has no session until
 * then (docs/faults.md). Another new session reads the cluster again, and
 * may ask another broker. Sessions set up ahead of need were tried first:
 * one kept from before the trouble held a connection to the node that then
 * hung, and its first send waited on it (CI: a 503 window 4.2 s past the
 * move).
 */
export class ProducerSessions<S> {
  private current: S;
  private opened = 0;
  private readonly pending = new Map<S, Set<Promise<unknown>>>();
  private readonly retired = new Set<S>();
  /** Sessions known set up (current ones that connected). */
  private readonly connected = new Set<S>();
  /** New sessions replaced for being slow: said once while it lasts, then its end. */
  private readonly slow: TroubleStreak;

  constructor(
    private readonly open: () => S,
    private readonly close: (session: S) => Promise<void>,
    private readonly logger: Logger,
    private readonly setUp?: SessionSetUp<S>,
  ) {
    this.current = this.openOne();
    this.slow = new TroubleStreak(logger, 'a new session is set up in time');
  }

  /** The session the next send uses. */
  get session(): S {
    return this.current;
  }

  /** How many sessions were opened (1 + one per unknown outcome or per new session too slow to set up). */
  get count(): number {
    return this.opened;
  }

  /** A send of `session` the client may still be retrying until it settles. */
  track(session: S, sent: Promise<unknown>): void {
    const pending = this.pending.get(session) ?? new Set();
    this.pending.set(session, pending);
    pending.add(sent);
    const settled = (): void => {
      pending.delete(sent);
      this.closeIfIdle(session);
    };
    sent.then(settled, settled);
  }

  /** `session` had a send with an unknown outcome: the next send uses a fresh one. */
  retire(session: S): void {
    if (session !== this.current) return; // already replaced by a concurrent failure
    this.current = this.openOne();
    this.retired.add(session);
    this.logger.warn(
      `a send had an unknown outcome: new producer session #${this.opened}; the old one closes when its ${this.pending.get(session)?.size ?? 0} pending send(s) settle`,
    );
    this.closeIfIdle(session);
  }

  /**
   * The session for the next send: the current one once it is set up
   * (connected, its producer id taken). One that is not within `waitMs`,
   * or fails, is closed and replaced by a new one, up to `attempts`
   * sessions; the last one is used however long it takes (the caller's
   * send is bounded).
   */
  async usable(): Promise<S> {
    const setUp = this.setUp;
    if (!setUp) return this.current;
    for (let attempt = 1; ; attempt++) {
      const current = this.current;
      if (this.connected.has(current)) return current;
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        setUp.setUp(current).then(
          () => 'set up' as const,
          () => 'failed' as const,
        ),
        new Promise<'late'>(
          (resolve) => (timer = setTimeout(resolve, setUp.waitMs, 'late')),
        ),
      ]);
      clearTimeout(timer);
      // Retired meanwhile, or set up by another send's wait (a send whose
      // caller gave up may still be waiting here): not closed under it.
      if (this.current !== current || this.connected.has(current)) continue;
      if (outcome === 'set up') {
        this.connected.add(current);
        this.slow.recovered(`producer session #${this.opened} was set up`);
        return current;
      }
      if (attempt >= setUp.attempts) return current;
      this.current = this.openOne();
      this.dispose(current);
      // While the cluster is away every new session is slow: said once.
      this.slow.failed(
        `producer session #${this.opened - 1} ${outcome === 'late' ? `was not set up within ${setUp.waitMs} ms (a broker may be holding up new producer ids)` : 'could not be set up'}: trying a new one, #${this.opened}`,
      );
    }
  }

  /** Closes every session, retired ones included (shutdown). */
  async closeAll(): Promise<void> {
    const all = [this.current, ...this.retired];
    this.retired.clear();
    this.connected.clear();
    await Promise.allSettled(all.map((session) => this.close(session)));
  }

  private openOne(): S {
    this.opened++;
    return this.open();
  }

  private closeIfIdle(session: S): void {
    if (!this.retired.has(session)) return;
    if ((this.pending.get(session)?.size ?? 0) > 0) return;
    this.retired.delete(session);
    this.pending.delete(session);
    this.dispose(session);
  }

  private dispose(session: S): void {
    this.connected.delete(session);
    this.close(session).catch(() => undefined);
  }
}
