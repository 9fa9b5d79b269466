import { subscribe } from 'node:diagnostics_channel';
import type { BaseOptions, SASLMechanismValue } from '@platformatic/kafka';
import type { KafkaSettings } from '../../config/configuration.js';
import type { ConnectionFailures } from '../client/connection-failures.js';

/** Kafka's names of the SASL mechanisms the service's settings allow. */
const MECHANISMS: Record<string, SASLMechanismValue> = {
  plain: 'PLAIN',
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
};

/**
 * What every @platformatic/kafka client of the service shares: the brokers,
 * the bounds of a connection and a request, TLS and SASL. `timeouts`
 * overrides the request bound (the health monitor asks with shorter ones).
 */
export function baseOptions(
  kafka: KafkaSettings,
  timeouts: { requestTimeoutMs?: number; connectionTimeoutMs?: number } = {},
): Omit<BaseOptions, 'clientId'> & { clientId: string } {
  const { ssl, sasl } = kafka.security;
  return {
    clientId: kafka.clientId,
    bootstrapBrokers: kafka.brokers,
    connectTimeout: timeouts.connectionTimeoutMs ?? kafka.connectionTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs ?? kafka.requestTimeoutMs,
    timeout: timeouts.requestTimeoutMs ?? kafka.requestTimeoutMs,
    // Why: like the kafkajs adapter's, retries back off to 2 s at most, so a
    // partition is read again within ~2 s of its broker answering.
    retries: 5,
    retryDelay: (_client, _operation, attempt) =>
      Math.min(300 * 2 ** Math.max(attempt - 1, 0), 2_000),
    ...(ssl
      ? {
          tls: {
            // No CA file: Node's bundled (system) CAs, as for any TLS client.
            ...(ssl.ca ? { ca: [ssl.ca] } : {}),
            ...(ssl.cert && ssl.key
              ? { cert: ssl.cert, key: ssl.key, passphrase: ssl.keyPassword }
              : {}),
            rejectUnauthorized: ssl.verify,
          },
        }
      : {}),
    ...(sasl
      ? {
          sasl: {
            mechanism: MECHANISMS[sasl.mechanism],
            username: sasl.username,
            password: sasl.password,
          },
        }
      : {}),
  };
}

/** The library's tracing channel of connection attempts: its `error` event carries the failure. */
const CONNECT_ERRORS = 'tracing:plt:kafka:connections:connects:error';

/**
 * Remembers the process' connection failures (the boot error names the last
 * one: refused credentials, an untrusted certificate), from the library's
 * diagnostics channel; one subscription however many clients.
 */
export function recordFailures(failures: ConnectionFailures): void {
  if (recording.has(failures)) return;
  recording.add(failures);
  subscribe(CONNECT_ERRORS, (message) => {
    const error = (message as { error?: unknown }).error;
    if (error instanceof Error) {
      failures.last = {
        message: connectionErrorText(error),
        at: new Date(),
        error,
      };
    }
  });
}

const recording = new WeakSet<ConnectionFailures>();

/** The innermost message of a connection error (the library wraps the socket's). */
function connectionErrorText(error: Error): string {
  let current: unknown = error;
  let text = error.message;
  for (let depth = 0; current instanceof Error && depth < 8; depth++) {
    text = current.message;
    current = (current as { cause?: unknown }).cause;
  }
  return text === error.message ? text : `${error.message}: ${text}`;
}
