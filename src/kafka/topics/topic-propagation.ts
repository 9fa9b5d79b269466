import { isTopicNotYetKnown } from '../kafka.errors.js';

/** Attempts and the first delay, doubling: 0.2 + 0.4 + … + 3.2 s ≈ 6 s in all. */
const ATTEMPTS = 6;
const FIRST_DELAY_MS = 200;

/**
 * Runs `attempt` again while it fails on a topic some broker does not know
 * yet (see isTopicNotYetKnown), up to ~6 s; any other error, or the same one
 * after that, is thrown. `retrying` is told each time (to log, or to clean up
 * what the failed attempt left) and may answer false to stop waiting (the
 * process is shutting down); then the last error is thrown.
 */
export async function untilTopicKnown<T>(
  attempt: () => Promise<T>,
  retrying: (error: unknown, delayMs: number) => Promise<boolean> | boolean,
): Promise<T> {
  for (let n = 1, delayMs = FIRST_DELAY_MS; ; n++, delayMs *= 2) {
    try {
      return await attempt();
    } catch (error) {
      if (n >= ATTEMPTS || !isTopicNotYetKnown(error)) throw error;
      if (!(await retrying(error, delayMs))) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
