export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Said in the error when the condition never held. */
  what?: string;
}

/**
 * Polls `probe` until it returns a truthy value (which is returned), bounded by
 * `timeoutMs`. Errors thrown by the probe count as "not yet". Never a fixed sleep.
 */
export async function waitFor<T>(
  probe: () => Promise<T> | T,
  options: WaitOptions = {},
): Promise<NonNullable<T>> {
  const { timeoutMs = 30_000, intervalMs = 200, what = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) {
        return value;
      }
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) {
      const detail =
        last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what} (last: ${detail})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
