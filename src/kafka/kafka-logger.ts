import { Logger } from '@nestjs/common';
import { logLevel, type LogEntry } from 'kafkajs';

const logger = new Logger('kafkajs');

/**
 * Routes kafkajs' own log lines through the Nest logger (and so through the
 * app's JSON format and level) instead of kafkajs' raw console output.
 */
export function kafkaLogCreator() {
  return ({ namespace, level, log }: LogEntry): void => {
    const { message, ...extra } = log;
    const line = `${namespace ? `[${namespace}] ` : ''}${message} ${JSON.stringify(extra)}`;
    switch (level) {
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
