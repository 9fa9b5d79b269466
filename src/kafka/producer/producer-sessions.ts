import { Logger } from '@nestjs/common';

/**
 * The producer sessions of an adapter: the current one, and the retired ones
 * still settling. A send that fails or outlives PRODUCE_TIMEOUT_MS retires
 * its session: the next send opens a fresh one (a new producer id, fresh
 * sequence numbers), and the retired one is closed once the sends it still
 * retries settle (their records are the unknown outcome its caller was told
 * of). Knows no client: each adapter says how to open and close a session.
 */
export class ProducerSessions<S> {
  private current: S;
  private opened = 0;
  private readonly pending = new Map<S, Set<Promise<unknown>>>();
  private readonly retired = new Set<S>();

  constructor(
    private readonly open: () => S,
    private readonly close: (session: S) => Promise<void>,
    private readonly logger: Logger,
  ) {
    this.current = this.openOne();
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

  /** Closes every session, retired ones included (shutdown). */
  async closeAll(): Promise<void> {
    const all = [this.current, ...this.retired];
    this.retired.clear();
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
    this.close(session).catch(() => undefined);
  }
}
