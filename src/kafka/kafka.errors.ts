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

/** The configuration asks for what the cluster cannot give (not retried at boot). */
export class ConfigurationMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = ConfigurationMismatchError.name;
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

/**
 * The broker error type behind a kafkajs "Failed to send messages" line: a
 * send that outlives PRODUCE_TIMEOUT_MS names what kafkajs was retrying.
 */
export function sendRetryCause(message: string): string | undefined {
  if (/in-sync replicas/i.test(message)) return 'NOT_ENOUGH_REPLICAS';
  if (/leader/i.test(message)) return 'LEADER_NOT_AVAILABLE';
  return undefined;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Why a Kafka call failed, as a small fixed set (metric labels, log lines). */
export type KafkaErrorCause =
  | 'timeout'
  | 'unreachable'
  | 'not_authenticated'
  | 'tls'
  | 'not_enough_replicas'
  | 'no_leader'
  | 'not_authorized'
  | 'too_large'
  | 'other';

const CAUSE_BY_TYPE: Record<string, KafkaErrorCause> = {
  NOT_ENOUGH_REPLICAS: 'not_enough_replicas',
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 'not_enough_replicas',
  LEADER_NOT_AVAILABLE: 'no_leader',
  NOT_LEADER_FOR_PARTITION: 'no_leader',
  NOT_LEADER_OR_FOLLOWER: 'no_leader',
  TOPIC_AUTHORIZATION_FAILED: 'not_authorized',
  CLUSTER_AUTHORIZATION_FAILED: 'not_authorized',
  GROUP_AUTHORIZATION_FAILED: 'not_authorized',
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 'not_authorized',
  SASL_AUTHENTICATION_FAILED: 'not_authenticated',
  MESSAGE_TOO_LARGE: 'too_large',
  RECORD_LIST_TOO_LARGE: 'too_large',
};

const TLS_CODE =
  /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|EPROTO|HOSTNAME_MISMATCH/;

/**
 * An error and the errors it wraps, outermost first, at most 16 (kafkajs
 * wraps a broker's error in retry errors as `originalError`; others use
 * `cause`; an aggregate, such as kafkajs' "Topic creation errors", lists its
 * errors in `errors`).
 */
function* causeChain(error: unknown): Generator<Error> {
  const pending: unknown[] = [error];
  for (let seen = 0; pending.length > 0 && seen < 16; seen++) {
    const current = pending.shift();
    if (!(current instanceof Error)) continue;
    yield current;
    const next = current as {
      cause?: unknown;
      originalError?: unknown;
      errors?: unknown;
    };
    pending.push(next.originalError ?? next.cause);
    if (Array.isArray(next.errors)) pending.push(...(next.errors as unknown[]));
  }
}

/**
 * The broker error type of an error in the chain: Kafka's name of the error
 * code, as kafkajs (`type`) and @platformatic/kafka (`apiId`) carry it.
 */
function typeOf(error: Error): unknown {
  const { type, apiId } = error as { type?: unknown; apiId?: unknown };
  return type ?? apiId;
}

/** The broker error types found along an error's cause chain, outermost first. */
export function brokerErrorTypes(error: unknown): string[] {
  return [...causeChain(error)]
    .map(typeOf)
    .filter((type): type is string => typeof type === 'string');
}

/** @platformatic/kafka's error codes that say why without a broker error type. */
const CAUSE_BY_CLIENT_CODE: Record<string, KafkaErrorCause> = {
  PLT_KFK_NETWORK: 'unreachable',
};

/**
 * The cause of a failed Kafka call: the broker's error code where one is
 * found along the cause chain (kafkajs wraps it in retry errors), else a
 * connection failure, else our own timeout.
 */
export function kafkaErrorCause(error: unknown): KafkaErrorCause {
  let unreachable = false;
  for (const current of causeChain(error)) {
    const type = typeOf(current);
    if (typeof type === 'string' && CAUSE_BY_TYPE[type]) {
      return CAUSE_BY_TYPE[type];
    }
    if (current.name === 'KafkaJSSASLAuthenticationError') {
      return 'not_authenticated';
    }
    const code = (current as { code?: unknown }).code;
    if (
      (typeof code === 'string' && TLS_CODE.test(code)) ||
      /certificate|SSL routines|wrong version number/i.test(current.message)
    ) {
      return 'tls';
    }
    if (
      /KafkaJS(Connection|BrokerNotFound)/.test(current.name) ||
      (typeof code === 'string' && CAUSE_BY_CLIENT_CODE[code] === 'unreachable')
    ) {
      unreachable = true;
    }
  }
  if (unreachable) {
    return 'unreachable';
  }
  return error instanceof BrokerUnavailableError ? 'timeout' : 'other';
}

/**
 * A topic some broker does not know *yet*. A topic's metadata reaches each
 * broker on its own, so just after it was created (by this replica or by
 * another booting with it) one broker may answer UNKNOWN_TOPIC_OR_PARTITION
 * or LEADER_NOT_AVAILABLE for a moment. kafkajs fails a metadata refresh at
 * once on the first (it retries only the second). Seen in CI: a replica booting
 * next to another on a 3-node cluster exited with "This server does not host
 * this topic-partition". The new leader itself may still answer
 * NOT_LEADER_OR_FOLLOWER (kafkajs: NOT_LEADER_FOR_PARTITION) for a moment,
 * and kafkajs' fetchTopicOffsets gives up on it at once: seen in CI on one
 * broker, a replica reading the control topic another had just created exited
 * with "This server is not the leader for that topic-partition".
 */
export function isTopicNotYetKnown(error: unknown): boolean {
  return [...causeChain(error)].some((e) =>
    TOPIC_NOT_YET_KNOWN.includes(String(typeOf(e))),
  );
}

const TOPIC_NOT_YET_KNOWN = [
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
];

/** A request that got no answer in time: our own bound, or the client's request timeout. */
export function isTimeout(error: unknown): boolean {
  return (
    kafkaErrorCause(error) === 'timeout' ||
    [...causeChain(error)].some(
      (e) =>
        e.name === 'KafkaJSRequestTimeoutError' || isPlatformaticTimeout(e),
    )
  );
}

/**
 * @platformatic/kafka's TimeoutError (a request or a connection that got no
 * answer in time). Its static code is PLT_KFK_TIMEOUT, but 2.12.1 builds the
 * instance with NetworkError's code (PLT_KFK_NETWORK), so the class tells it.
 */
function isPlatformaticTimeout(e: Error & { code?: unknown }): boolean {
  return (
    e.code === 'PLT_KFK_TIMEOUT' ||
    (e.code === 'PLT_KFK_NETWORK' && e.constructor.name === 'TimeoutError')
  );
}
