/** The log lines a TroubleStreak writes. */
export interface StreakLogger {
  warn(message: string): void;
  debug(message: string): void;
  log(message: string): void;
}

/**
 * Says a trouble that repeats while it lasts once, then its outcome (an
 * error-level line means a person must act; this is not that): the first
 * failure of a streak is a warning, the ones after it are debug lines,
 * counted, and the first success after them one line that says how many
 * there were, over how long, and what the first one was. A broker outage
 * is then three lines, not one per request or restart.
 */
export class TroubleStreak {
  private since: number | undefined;
  private count = 0;
  private first = '';

  /** `until`: what ends the streak, as the warning says it ("a send succeeds"). */
  constructor(
    private readonly logger: StreakLogger,
    private readonly until: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** True while failures are being counted. */
  get active(): boolean {
    return this.since !== undefined;
  }

  failed(message: string): void {
    if (this.since === undefined) {
      this.since = this.now();
      this.count = 1;
      this.first = message;
      this.logger.warn(
        `${message} (further failures are logged at debug and counted until ${this.until})`,
      );
      return;
    }
    this.count += 1;
    this.logger.debug(message);
  }

  /** Ends a streak with `outcome` ("sends succeed again"); nothing when there was none. */
  recovered(outcome: string): void {
    if (this.since === undefined) return;
    const seconds = ((this.now() - this.since) / 1_000).toFixed(1);
    this.logger.log(
      `${outcome} after ${this.count} failure(s) over ${seconds} s; the first: ${this.first}`,
    );
    this.since = undefined;
    this.count = 0;
    this.first = '';
  }
}
