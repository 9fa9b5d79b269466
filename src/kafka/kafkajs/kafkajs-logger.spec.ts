import { Logger } from '@nestjs/common';
import { logLevel } from 'kafkajs';
import { kafkaLogCreator } from './kafkajs-logger.js';

describe('kafkaLogCreator', () => {
  const log = kafkaLogCreator('text')();
  const entry = (level: logLevel, namespace: string, message: string) =>
    log({
      namespace,
      level,
      label: 'ERROR',
      log: { message, timestamp: '', logger: 'kafkajs' },
    });

  afterEach(() => vi.restoreAllMocks());

  it('logs what kafkajs retries and recovers from as a warning, not an error', () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockReturnValue();
    const error = vi.spyOn(Logger.prototype, 'error').mockReturnValue();

    entry(
      logLevel.ERROR,
      'Cluster',
      'Messages are rejected since there are fewer in-sync replicas than required',
    );

    expect(warn).toHaveBeenCalledTimes(1);
    expect(error).not.toHaveBeenCalled();
  });

  it("logs a consumer's crash and restart, and a send's retries, at debug: the service says them (GroupMember, ProducerService)", () => {
    const debug = vi.spyOn(Logger.prototype, 'debug').mockReturnValue();
    const warn = vi.spyOn(Logger.prototype, 'warn').mockReturnValue();
    const error = vi.spyOn(Logger.prototype, 'error').mockReturnValue();

    entry(logLevel.ERROR, 'Consumer', 'Restarting the consumer in 2000ms');
    entry(
      logLevel.ERROR,
      'Consumer',
      "Crash: KafkaJSProtocolError: The coordinator is loading and hence can't process requests for this group",
    );
    entry(logLevel.ERROR, 'Consumer', 'Crash: KafkaJSNonRetriableError: boom');
    entry(
      logLevel.ERROR,
      'Producer',
      'Failed to send messages: This server is not the leader for that topic-partition',
    );

    expect(debug).toHaveBeenCalledTimes(4);
    expect(warn).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
  });

  it('keeps an error a person must act on at error level', () => {
    const error = vi.spyOn(Logger.prototype, 'error').mockReturnValue();

    entry(logLevel.ERROR, 'Admin', 'Failed to create topics: boom');

    expect(error).toHaveBeenCalledTimes(1);
  });

  it("logs a thawed broker's late answers at debug", () => {
    const debug = vi.spyOn(Logger.prototype, 'debug').mockReturnValue();
    const warn = vi.spyOn(Logger.prototype, 'warn').mockReturnValue();

    entry(logLevel.WARN, 'RequestQueue', 'Response without match');

    expect(debug).toHaveBeenCalledTimes(1);
    expect(warn).not.toHaveBeenCalled();
  });
});
