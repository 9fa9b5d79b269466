import { ConnectionFailures } from '../client/connection-failures.js';
import { Logger } from '@nestjs/common';
import { type LogEntry, logLevel } from 'kafkajs';

const logger = new Logger('kafkajs');

/**
 * Connection failures kafkajs logs as errors on every retry (a dozen lines a
 * second while a broker is away, with stack traces). The service reports the
 * same fact once, where it matters: boot's one line, readiness, the 503 of
 * POST /produce, consumer state. So these go to debug.
 */
const RETRIED_CONNECTION_NOISE = new Set(['Connection', 'BrokerPool']);

/**
 * A broker that hung and came back answers the requests kafkajs gave up on
 * (one line per request, dozens at once): nothing to act on, so debug.
 * Likewise a consumer's crash and restart, and a send's retries: the service
 * says each itself, at the level that fits (GroupMember: an error when no
 * restart follows, else a warning once per outage and a line when the member
 * is back; ProducerService: a failed send once per outage, then the first
 * that succeeds again; a send that succeeded on a retry is no news).
 */
const SAID_BY_THE_SERVICE =
  /^Response without match|^Crash: |^Restarting the consumer in|^Failed to send messages/;

/**
 * What kafkajs logs as errors while it retries and recovers by itself (a
 * leader moving in a rolling restart, fewer in-sync replicas for a moment).
 * Nobody has to act on them:
 * readiness, consumer state and the 503 of POST /produce say it when it
 * lasts. So they are warnings; an error line means a person must act.
 */
const RECOVERED_BY_KAFKAJS = [
  /not the leader for that topic-partition/,
  /fewer in-sync replicas than required/,
  /The group is rebalancing|The coordinator is not aware of this member/,
  /Request .* timed out/,
];

/**
 * Routes kafkajs' own log lines through the Nest logger, so they follow the
 * app's LOG_FORMAT and LOG_LEVEL instead of kafkajs' raw console output.
 * In json format each line is an object (namespace, message, kafkajs'
 * fields); in text format one readable line.
 */

export function kafkaLogCreator(
  format: 'json' | 'text',
  secrets: readonly string[] = [],
  failures?: ConnectionFailures,
) {
  return () =>
    ({ namespace, level, log }: LogEntry): void => {
      // kafkajs' own timestamp and logger name duplicate what the Nest logger adds.
      const { message, timestamp, logger: name, ...fields } = log;
      // json: a structured object; text: one readable line, not a multi-line dump.
      const line = redact(
        format === 'json'
          ? { namespace, message, ...fields }
          : `[${namespace}] ${message} ${JSON.stringify(fields)}`,
        secrets,
      );
      if (namespace === 'Connection' && level === logLevel.ERROR && failures) {
        failures.last = {
          message: redact(String(message), secrets),
          at: new Date(),
        };
      }
      const send = /^Failed to send messages: (.*)$/s.exec(String(message));
      if (send && failures) {
        failures.lastSend = {
          message: redact(send[1] ?? '', secrets),
          at: new Date(),
        };
      }
      if (
        (RETRIED_CONNECTION_NOISE.has(namespace) ||
          SAID_BY_THE_SERVICE.test(String(message))) &&
        level !== logLevel.DEBUG
      ) {
        logger.debug(line);
        return;
      }
      const recovered =
        level === logLevel.ERROR &&
        RECOVERED_BY_KAFKAJS.some((pattern) => pattern.test(String(message)));
      switch (recovered ? logLevel.WARN : level) {
        case logLevel.ERROR:
        case logLevel.NOTHING:
          logger.error(line);
          break;
        case logLevel.WARN:
          logger.warn(line);
          break;
        case logLevel.INFO:
          logger.log(line);
          break;
        default:
          logger.debug(line);
      }
    };
}

/**
 * Masks every secret in a log line, whatever field kafkajs put it in (at
 * debug level it logs requests): a line that would contain one is rebuilt
 * from its JSON with the secret replaced.
 */
function redact<T extends string | object>(
  line: T,
  secrets: readonly string[],
): T {
  if (secrets.length === 0) {
    return line;
  }
  const text = typeof line === 'string' ? line : JSON.stringify(line);
  // As written, and as JSON writes it (a quote or backslash in a password is escaped).
  const forms = secrets.flatMap((secret) => [
    secret,
    JSON.stringify(secret).slice(1, -1),
  ]);
  if (!forms.some((form) => text.includes(form))) {
    return line;
  }
  const masked = forms.reduce(
    (out, form) => out.split(form).join('[redacted]'),
    text,
  );
  return (typeof line === 'string' ? masked : JSON.parse(masked)) as T;
}
