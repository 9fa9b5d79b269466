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
 */
const LATE_ANSWERS = /^Response without match/;

/**
 * What kafkajs logs as errors while it retries and recovers by itself (a
 * leader moving in a rolling restart, fewer in-sync replicas for a moment, a
 * consumer restarting after its retries ran out). Nobody has to act on them:
 * readiness, consumer state and the 503 of POST /produce say it when it
 * lasts. So they are warnings; an error line means a person must act.
 */
const RECOVERED_BY_KAFKAJS = [
  /^Restarting the consumer in/,
  /^Crash: KafkaJS(NumberOfRetriesExceeded|RequestTimeout|Connection)/,
  /^Crash: KafkaJSProtocolError: The coordinator is (loading|not available)/,
  /not the leader for that topic-partition/,
  /fewer in-sync replicas than required/,
  /^Failed to send messages/,
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
          LATE_ANSWERS.test(String(message))) &&
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
