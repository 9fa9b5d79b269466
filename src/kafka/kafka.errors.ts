/** The broker did not answer in time or could not be reached. Maps to HTTP 503. */
export class BrokerUnavailableError extends Error {
  constructor(what: string, cause?: unknown) {
    super(
      `Kafka broker unreachable: ${what}${cause instanceof Error ? ` (${cause.message})` : ''}`,
      {
        cause,
      },
    );
    this.name = BrokerUnavailableError.name;
  }
}

/** A record whose value is not what the handlers expect; it is dead-lettered at once. */
export class MalformedMessageError extends Error {
  constructor(reason: string) {
    super(`malformed message: ${reason}`);
    this.name = MalformedMessageError.name;
  }
}

/**
 * Resolves with the promise or rejects with BrokerUnavailableError after `ms`.
 * kafkajs' own retries can take a minute; callers here need an answer in seconds.
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new BrokerUnavailableError(`${what} timed out after ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
