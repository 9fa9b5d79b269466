import { Logger } from '@nestjs/common';
import { TroubleStreak } from '../../common/trouble-streak.js';

/**
 * For adapters whose new session can stall while it takes its producer id
 * (ProducerSessions.usable): how to tell it is set up, how long to give it,
 * how many new sessions one wait opens, and how many may set up at once.
 */
export interface SessionSetUp<S> {
  /** Sets a session up (connects, takes its producer id); rejects when it cannot. */
  setUp: (session: S) => Promise<unknown>;
  /** How long the newest session may take before another is opened beside it. */
  waitMs: number;
  /** How many sessions one wait opens at most, the one it started with included. */
  attempts: number;
  /** How many may be setting up at once: a new one beyond that closes the oldest. */
  concurrent: number;
  /**
   * With it, `spares` sessions are set up ahead (their producer ids taken
   * while the cluster is well), and each retired session is replaced by one
   * of them: `renew` sets it up again for use (fresh connections and a fresh
   * view of the cluster, the same producer id), so no broker is asked for a
   * new id just then.
   */
  renew?: (session: S) => Promise<unknown>;
  spares?: number;
  /**
   * Whether a spare may take over now; one that may not stays a spare (e.g.
   * kafkajs: its seed broker hung since it was set up, and a client keeps its
   * seed across reconnects).
   */
  spareFits?: (session: S) => boolean;
}

/**
 * The producer sessions of an adapter: the current one, and the retired ones
 * still settling. A send that fails or outlives PRODUCE_TIMEOUT_MS retires
 * its session: the next send opens a fresh one (a new producer id, fresh
 * sequence numbers), and the retired one is closed once the sends it still
 * retries settle (their records are the unknown outcome its caller was told
 * of). Knows no client: each adapter says how to open and close a session.
 *
 * With `setUp`, a new session that has not connected in time gets another
 * new one beside it, and a send uses whichever is set up first (`usable`):
 * a new session needs
 * a producer id, and a broker hands those out in blocks it asks of the
 * active controller; while a node hangs that ask can wait for the thaw, and
 * a client that keeps asking that broker (kafkajs asks the broker its
 * metadata names as controller, a random live one) has no session until
 * then (docs/faults.md). Another new session reads the cluster again, and
 * may ask another broker. The slow one keeps trying: when it was only slow
 * (a loaded host) it may still be first. Sessions set up ahead of need were
 * tried first:
 * one kept from before the trouble held a connection to the node that then
 * hung, and its first send waited on it (CI: a 503 window 4.2 s past the
 * move). Each late session was closed for the next: three unlucky draws in
 * a row left the window 4.8 s past the move (docs/faults.md).
 */
export class ProducerSessions<S> {
  private current: S;
  private opened = 0;
  private readonly pending = new Map<S, Set<Promise<unknown>>>();
  private readonly retired = new Set<S>();
  /** Sessions known set up (current ones that connected). */
  private readonly connected = new Set<S>();
  /** New sessions still setting up, oldest first (the newest is `current`). */
  private readonly candidates = new Set<S>();
  /** Each open session's number, for the logs (1 = the first). */
  private readonly numbers = new Map<S, number>();
  /** Each candidate's set-up, asked once. */
  private readonly setUps = new Map<S, Promise<boolean>>();
  private closed = false;
  /** Set up ahead (with `renew`) for the next retires, oldest first: true once set up. */
  private readonly spares = new Map<S, boolean>();
  /** The wait in progress, shared by the sends that arrive meanwhile. */
  private waiting?: Promise<S>;
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
    const spare = this.takeSpare();
    this.current = spare ?? this.openOne();
    // One a send rode before it was set up: no longer in the race.
    this.candidates.delete(session);
    this.retired.add(session);
    this.logger.warn(
      `a send had an unknown outcome: ${spare ? 'the spare' : 'new'} producer session #${this.numbers.get(this.current) ?? '?'} takes over; the old one closes when its ${this.pending.get(session)?.size ?? 0} pending send(s) settle`,
    );
    this.closeIfIdle(session);
  }

  /** The oldest spare that is set up and fits, renewing (its set-up from now on). */
  private takeSpare(): S | undefined {
    const renew = this.setUp?.renew;
    if (!renew) return undefined;
    const fits = this.setUp?.spareFits ?? (() => true);
    const spare = [...this.spares].find(
      ([session, ready]) => ready && fits(session),
    )?.[0];
    if (spare === undefined) return undefined;
    this.spares.delete(spare);
    this.setUps.set(
      spare,
      renew(spare).then(
        () => true,
        () => false,
      ),
    );
    return spare;
  }

  /** With `renew`: spares set up in the background, up to `spares`. */
  private prepareSpares(setUp: SessionSetUp<S>): void {
    if (!setUp.renew) return;
    while (!this.closed && this.spares.size < (setUp.spares ?? 1)) {
      const spare = this.openOne();
      this.spares.set(spare, false);
      void this.setUpOf(spare, setUp).then((ok) => {
        if (!this.spares.has(spare)) return;
        if (ok) this.spares.set(spare, true);
        else {
          // Opened again after the next session is set up.
          this.spares.delete(spare);
          this.dispose(spare);
        }
      });
    }
  }

  /**
   * The session for the next send: the current one once it is set up
   * (connected, its producer id taken). While it is not, a new session is
   * opened beside it every `waitMs` (at once when one fails), and the first
   * of them set up becomes the current one; the others are closed. After
   * `attempts` sessions the newest is used however long it takes (the
   * caller's send is bounded), and the others keep setting up for the next
   * wait.
   */
  usable(): Promise<S> {
    const setUp = this.setUp;
    if (!setUp || this.connected.has(this.current))
      return Promise.resolve(this.current);
    this.waiting ??= this.race(setUp).finally(() => (this.waiting = undefined));
    return this.waiting;
  }

  private async race(setUp: SessionSetUp<S>): Promise<S> {
    let newest: S | undefined;
    let openedAt = 0;
    for (let opened = 1; ;) {
      if (this.closed) return this.current;
      if (this.current !== newest) {
        // The first, or one a retire opened meanwhile: it joins the race.
        newest = this.current;
        openedAt = Date.now();
        this.candidates.add(newest);
      }
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((resolve) => {
        timer = setTimeout(
          () => resolve(undefined),
          Math.max(0, openedAt + setUp.waitMs - Date.now()),
        );
      });
      const outcome = await Promise.race([
        ...[...this.candidates].map((session) =>
          this.setUpOf(session, setUp).then((ok) => ({ session, ok })),
        ),
        late,
      ]);
      clearTimeout(timer);
      // Closed (shutdown), or retired meanwhile: looked at again.
      if (this.closed || !this.candidates.has(outcome?.session ?? this.current))
        continue;
      if (outcome?.ok) return this.chosen(outcome.session);
      if (outcome) {
        this.candidates.delete(outcome.session);
        this.dispose(outcome.session);
        // An older one failed: the newest still has its time.
        if (outcome.session !== newest) continue;
      }
      if (opened >= setUp.attempts) {
        if (this.candidates.size === 0) this.openCandidate(setUp);
        return this.current;
      }
      this.openCandidate(setUp);
      opened++;
      // While the cluster is away every new session is slow: said once.
      this.slow.failed(
        `producer session #${this.opened - 1} ${outcome ? 'could not be set up' : `was not set up within ${setUp.waitMs} ms (a broker may be holding up new producer ids)`}: trying a new one beside it, #${this.opened}`,
      );
    }
  }

  /** A new candidate, now the current one; the oldest is closed beyond `concurrent`. */
  private openCandidate(setUp: SessionSetUp<S>): void {
    while (this.candidates.size >= setUp.concurrent) {
      const [oldest] = this.candidates;
      this.candidates.delete(oldest);
      this.dispose(oldest);
    }
    this.current = this.openOne();
    this.candidates.add(this.current);
  }

  /** `session` was set up first: it is the current one, the other candidates go. */
  private chosen(session: S): S {
    this.candidates.delete(session);
    for (const other of this.candidates) {
      // A send that took the newest after the last attempt is still on it.
      if ((this.pending.get(other)?.size ?? 0) > 0) this.retired.add(other);
      else this.dispose(other);
    }
    this.candidates.clear();
    this.current = session;
    this.connected.add(session);
    if (this.setUp) this.prepareSpares(this.setUp);
    this.slow.recovered(
      `producer session #${this.numbers.get(session) ?? '?'} was set up`,
    );
    return session;
  }

  private setUpOf(session: S, setUp: SessionSetUp<S>): Promise<boolean> {
    let settingUp = this.setUps.get(session);
    if (!settingUp) {
      settingUp = setUp.setUp(session).then(
        () => true,
        () => false,
      );
      this.setUps.set(session, settingUp);
    }
    return settingUp;
  }

  /** Resolves once no session is being set up (a wait's race, the spares). */
  async settled(): Promise<void> {
    await Promise.allSettled([
      this.waiting,
      ...[...this.spares.keys()].map((spare) => this.setUps.get(spare)),
    ]);
  }

  /** Closes every session, retired ones included (shutdown). */
  async closeAll(): Promise<void> {
    this.closed = true;
    const all = new Set([this.current, ...this.retired, ...this.candidates]);
    for (const spare of this.spares.keys()) all.add(spare);
    this.spares.clear();
    this.retired.clear();
    this.candidates.clear();
    this.connected.clear();
    await Promise.allSettled([...all].map((session) => this.close(session)));
  }

  private openOne(): S {
    this.opened++;
    const session = this.open();
    this.numbers.set(session, this.opened);
    return session;
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
    this.setUps.delete(session);
    this.numbers.delete(session);
    this.close(session).catch(() => undefined);
  }
}
