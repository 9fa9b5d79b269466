import { Logger } from '@nestjs/common';
import { ReadinessLog } from './readiness-log.js';

describe('ReadinessLog', () => {
  it('logs each change of readiness once: what went down and why, then ready again', () => {
    const warn = vi
      .spyOn(Logger.prototype, 'warn')
      .mockImplementation(() => undefined);
    const log = vi
      .spyOn(Logger.prototype, 'log')
      .mockImplementation(() => undefined);
    const readiness = new ReadinessLog();

    readiness.ready();
    readiness.notReady({
      'kafka-broker': { message: 'Kafka broker unreachable' },
    });
    readiness.notReady({
      'kafka-broker': { message: 'Kafka broker unreachable' },
    });
    readiness.notReady({
      'kafka-broker': { message: 'Kafka broker unreachable' },
      realtime: { message: 'consumer of group rt crashed' },
    });
    readiness.ready();
    readiness.ready();

    expect(warn.mock.calls.map(([line]): unknown => line)).toEqual([
      'not ready: kafka-broker (Kafka broker unreachable)',
      'not ready: kafka-broker (Kafka broker unreachable); realtime (consumer of group rt crashed)',
    ]);
    expect(log.mock.calls.map(([line]): unknown => line)).toEqual([
      'ready again',
    ]);
    warn.mockRestore();
    log.mockRestore();
  });
});
