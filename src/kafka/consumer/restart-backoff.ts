const FIRST_DELAY_MS = 5_000;
const MAX_DELAY_MS = 60_000;

/**
 * Restarts of a consumer the client will not restart itself (refused access,
 * a failed restart): after 5 s, doubling up to a minute, one pending at a
 * time; back to 5 s once the consumer joined its group. No crash loop, no
 * tight loop.
 */
export class RestartBackoff {
  private delayMs = FIRST_DELAY_MS;
  private timer: NodeJS.Timeout | undefined;

  /** Runs `restart` after the current delay (replacing one pending); returns the delay. */
  schedule(restart: () => Promise<void>): number {
    const delayMs = this.delayMs;
    this.delayMs = Math.min(delayMs * 2, MAX_DELAY_MS);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void restart();
    }, delayMs);
    return delayMs;
  }

  /** The consumer joined: the next trouble starts again from the first delay. */
  reset(): void {
    this.delayMs = FIRST_DELAY_MS;
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
