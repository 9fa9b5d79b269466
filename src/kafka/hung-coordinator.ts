import { setTimeout as delay } from 'node:timers/promises';

export interface HungCoordinatorHooks {
  /** Stops consuming and leaves (bounded): nothing more is handled meanwhile. */
  stop: () => Promise<void>;
  /** True when the group's coordinator answers now (a bounded request to it). */
  answers: () => Promise<boolean>;
  /** Joins the group again, at whichever broker coordinates it now. */
  start: () => Promise<void>;
  /** Whether to keep trying (false once shutdown began). */
  active: () => boolean;
}

/**
 * A group coordinator that hangs (its socket open, never answering) is not
 * one that dies: the client keeps heartbeating and committing to it, each
 * request waits its timeout, and it never looks for the new coordinator
 * while its retries last (kafkajs: ~10 of them). Meanwhile the handlers keep
 * going, and everything they handle is handled again after the freeze.
 *
 * So the first commit that times out stops this member (what it handled
 * since its last commit is read again: at most one commit timeout's worth),
 * waits until the group's coordinator answers (the cluster moved it, or the
 * broker came back), and joins again there.
 */
export class HungCoordinator {
  private recovering: Promise<void> | undefined;

  constructor(
    private readonly hooks: HungCoordinatorHooks,
    private readonly pollMs = 500,
  ) {}

  get active(): boolean {
    return this.recovering !== undefined;
  }

  /** Called on a commit that timed out; one recovery at a time. */
  recover(): Promise<void> {
    this.recovering ??= this.run().finally(() => (this.recovering = undefined));
    return this.recovering;
  }

  private async run(): Promise<void> {
    await this.hooks.stop();
    while (this.hooks.active() && !(await this.hooks.answers())) {
      // Pacing the probe of the coordinator (each probe is itself bounded).
      await delay(this.pollMs);
    }
    if (this.hooks.active()) await this.hooks.start();
  }
}
