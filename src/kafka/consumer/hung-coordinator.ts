import { setTimeout as delay } from 'node:timers/promises';

export interface HungCoordinatorHooks {
  /** Stops fetching: nothing more is handled while commits cannot be made. */
  pause: () => void;
  resume: () => void;
  /** Commits what was handled, or again what was committed (bounded); true when it went through. */
  commit: () => Promise<boolean>;
  /** True when the group's coordinator answers now (a bounded request on another connection). */
  answers: () => Promise<boolean>;
  /** Leaves (bounded) and joins again, at whichever broker coordinates the group now. */
  rejoin: () => Promise<void>;
  /** Whether to keep trying (false once shutdown began). */
  active: () => boolean;
  /** Told every `reportEveryMs` while fetching stays paused: for how long and why. */
  stillPaused?: (ms: number, why: string) => void;
}

/**
 * What a member does when a commit gets no answer within its timeout. A
 * broker that hangs (its sockets open, never answering) is not one that
 * dies: the client keeps committing to it and never looks for another
 * coordinator while its retries last, the handlers keep going, and all they
 * handled then is handled again after the freeze. Two cases:
 * - the coordinator hangs: it stops answering anything. Once the group
 *   answers again (the cluster moved it, ~10 s, or it came back) and a
 *   commit still times out, the member joins again: the client still holds
 *   the old coordinator.
 * - a follower hangs: the coordinator answers, but holds commits until the
 *   cluster drops the follower from the in-sync replicas of the offsets
 *   topic; commits are retried until one goes through, for a session at
 *   most: then the member joins again (seen on @platformatic/kafka after a
 *   frozen first bootstrap broker: the coordinator answered the monitor,
 *   the member's commits failed for good and fetching stayed paused).
 * Either way fetching pauses at the first timeout, so what is handled again
 * is at most what was handled during one commit timeout. A coordinator
 * silent for longer than that session (a long freeze, or every broker
 * down) is not asked for a commit on the old client once the group answers:
 * its connections sat unanswered for a session, and a new client is back
 * sooner than the old one's retries run out (seen on @platformatic/kafka
 * after a full outage: fetches kept failing ~3 s after the cluster answered).
 * A client that crashed meanwhile is being replaced by its library or the
 * member: the recovery waits for the new one's join (`replaced`, `fresh`).
 */
export class HungCoordinator {
  private recovering: Promise<void> | undefined;
  /** When the running client last failed to reach its coordinator (a commit timed out). */
  private started = 0;
  /** Whether the coordinator did not answer a probe since `started`. */
  private silent = false;
  /** A crashed client is being replaced: nothing to judge until the new one joins. */
  private awaitingJoin = false;

  constructor(
    private readonly hooks: HungCoordinatorHooks,
    private readonly pollMs = 500,
    private readonly reportEveryMs = 10_000,
    /**
     * How long commits may keep failing while the coordinator answers before
     * the member joins again anyway (the member's session: by then the
     * group may have dropped it, and its client may hold a coordinator or
     * an epoch that will never take a commit again).
     */
    private readonly rejoinAfterMs = Number.POSITIVE_INFINITY,
  ) {}

  get active(): boolean {
    return this.recovering !== undefined;
  }

  /**
   * The member's client joined the group again by itself (a restart after a
   * crash) while recovering: it holds new connections, so it is judged from
   * now on, and the group answering again is met with a commit, not a rejoin.
   */
  fresh(): void {
    this.started = Date.now();
    this.silent = false;
    this.awaitingJoin = false;
  }

  /**
   * The client crashed and a new one is on its way: its join (`fresh`)
   * resumes the recovery, which rejoins nothing meanwhile (a rejoin would
   * throw away the new client as it joins).
   */
  replaced(): void {
    this.awaitingJoin = true;
  }

  /** Called on a commit that timed out; one recovery at a time. */
  recover(): Promise<void> {
    this.recovering ??= this.run().finally(() => (this.recovering = undefined));
    return this.recovering;
  }

  private async run(): Promise<void> {
    const { hooks } = this;
    hooks.pause();
    this.fresh();
    const pausedAt = this.started;
    let reported = pausedAt;
    while (hooks.active()) {
      let why: string;
      const overSession = () => Date.now() - this.started >= this.rejoinAfterMs;
      if (this.awaitingJoin) {
        why =
          'the client crashed, and the new one has not joined the group yet';
      } else if (!(await hooks.answers())) {
        this.silent = true;
        why = 'the group coordinator does not answer';
      } else if (this.silent && overSession()) {
        // Silent for a session: the old client's connections are spent.
        await hooks.rejoin();
        return;
      } else if (await hooks.commit()) {
        hooks.resume();
        return;
      } else if (this.silent || overSession()) {
        // The group answers elsewhere, the client's coordinator still does
        // not; or commits failed for a whole session.
        await hooks.rejoin();
        return;
      } else {
        why = 'the group coordinator answers, but commits still fail';
      }
      if (Date.now() - reported >= this.reportEveryMs) {
        reported = Date.now();
        hooks.stillPaused?.(reported - pausedAt, why);
      }
      // Pacing the probes (each one is itself bounded).
      await delay(this.pollMs);
    }
  }
}
