import { Logger } from '@nestjs/common';

/** Sessions set up ahead of need, for adapters whose new session can stall (ProducerSessions). */
export interface SpareSessions<S> {
  /** How many to hold ready beside the current one. */
  count: number;
  /** Sets a session up (connects, takes its producer id); rejects when it cannot. */
  warm: (session: S) => Promise<unknown>;
}

/**
 * The producer sessions of an adapter: the current one, and the retired ones
 * still settling. A send that fails or outlives PRODUCE_TIMEOUT_MS retires
 * its session: the next send opens a fresh one (a new producer id, fresh
 * sequence numbers), and the retired one is closed once the sends it still
 * retries settle (their records are the unknown outcome its caller was told
 * of). Knows no client: each adapter says how to open and close a session.
 *
 * With `spares`, a few sessions are set up ahead of need once sends go
 * through, as a fallback: a new session needs a producer id, and a broker
 * hands those out in blocks it asks of the active controller; while a node
 * hangs that ask can wait for the thaw, and a client that keeps asking that
 * broker (kafkajs asks the broker its metadata names as controller) has no
 * new session until then (docs/faults.md). A spare took its id before the
 * trouble began. A retired session is still replaced by a new one, which
 * reads the cluster as it is now (a spare's first send may ask a broker that
 * hung since it was set up: in the frozen-leader scenario that cost ~2 s
 * more than a new session); a spare takes over only when the new one has
 * not connected in time (`usable`).
 */
export class ProducerSessions<S> {
  private current: S;
  private opened = 0;
  private readonly pending = new Map<S, Set<Promise<unknown>>>();
  private readonly retired = new Set<S>();
  /** Spares set up and waiting, oldest first, and how many are being set up. */
  private readonly spares: S[] = [];
  /** Sessions known set up (spares, and current ones that connected). */
  private readonly connected = new Set<S>();
  private warming = 0;
  private closing = false;

  constructor(
    private readonly open: () => S,
    private readonly close: (session: S) => Promise<void>,
    private readonly logger: Logger,
    private readonly spareSessions?: SpareSessions<S>,
  ) {
    this.current = this.openOne();
  }

  /** Spares set up and waiting now. */
  get ready(): number {
    return this.spares.length;
  }

  /** The session the next send uses. */
  get session(): S {
    return this.current;
  }

  /** How many sessions were opened (1 + one per unknown outcome). */
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
    sent.then(() => {
      settled();
      // Sends go through: a good moment to set spares up.
      this.topUp();
    }, settled);
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
    this.topUp();
  }

  /**
   * The session for the next send: the current one once it is set up
   * (connected, its producer id taken). One that is not within `waitMs`
   * hands over to a spare, if one is ready, and keeps connecting: set up
   * later, it becomes a spare itself.
   */
  async usable(waitMs: number): Promise<S> {
    const current = this.current;
    const spares = this.spareSessions;
    if (!spares || this.connected.has(current)) return current;
    let timer: NodeJS.Timeout | undefined;
    const setUp = spares.warm(current).then(
      () => true,
      () => false,
    );
    const outcome = await Promise.race([
      setUp.then((ok) => (ok ? 'set up' : 'failed')),
      new Promise<'late'>(
        (resolve) => (timer = setTimeout(resolve, waitMs, 'late')),
      ),
    ]);
    clearTimeout(timer);
    if (outcome === 'set up') {
      this.connected.add(current);
      return current;
    }
    if (this.current !== current || this.spares.length === 0)
      return this.current;
    const spare = this.spares.shift() as S;
    this.current = spare;
    this.connected.add(spare);
    this.warming++;
    void setUp.then((ok) => {
      this.warming--;
      if (ok && !this.closing) this.spares.push(current);
      else this.dispose(current);
    });
    this.logger.warn(
      `producer session #${this.opened} ${outcome === 'late' ? `was not set up within ${waitMs} ms (a broker may be holding up new producer ids)` : 'could not be set up'}: a session set up ahead takes over`,
    );
    return spare;
  }

  /** Closes every session, retired ones and spares included (shutdown). */
  async closeAll(): Promise<void> {
    this.closing = true;
    const all = [this.current, ...this.retired, ...this.spares];
    this.retired.clear();
    this.spares.length = 0;
    this.connected.clear();
    await Promise.allSettled(all.map((session) => this.close(session)));
  }

  /**
   * Sets spares up until `count` are ready or on their way. One that cannot
   * be set up is closed and not tried again until the next send goes
   * through or the next session retires (no loop while the cluster is away).
   */
  private topUp(): void {
    const spares = this.spareSessions;
    if (!spares || this.closing) return;
    while (this.spares.length + this.warming < spares.count) {
      const session = this.open();
      this.warming++;
      spares.warm(session).then(
        () => {
          this.warming--;
          if (this.closing) this.dispose(session);
          else {
            this.connected.add(session);
            this.spares.push(session);
          }
        },
        () => {
          this.warming--;
          this.dispose(session);
        },
      );
    }
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
