import { Kafka, logLevel } from 'kafkajs';
import { KafkajsGroupConsumer } from './kafkajs-group-consumer.js';

/** A kafkajs consumer whose group does not exist yet: never run, as between a crash and its restart. */
function notRunning() {
  const kafka = new Kafka({
    clientId: 'spec',
    brokers: ['127.0.0.1:1'],
    logLevel: logLevel.NOTHING,
  });
  const settings = {
    groupId: 'spec-group',
    sessionTimeoutMs: 6_000,
    heartbeatIntervalMs: 1_000,
    rebalanceTimeoutMs: 6_000,
  };
  return {
    raw: kafka.consumer(settings),
    port: new KafkajsGroupConsumer(kafka, settings),
  };
}

describe('KafkajsGroupConsumer pause and resume while kafkajs has no consumer group', () => {
  it("kafkajs' own consumer throws there (a HungCoordinator's resume after a full outage ended the process)", () => {
    const { raw } = notRunning();
    expect(() => raw.resume([{ topic: 't' }])).toThrow(
      'Consumer group was not initialized',
    );
    expect(() => raw.pause([{ topic: 't' }])).toThrow(
      'Consumer group was not initialized',
    );
  });

  it('the port does nothing instead: the restart makes the group again, unpaused', () => {
    const { port } = notRunning();
    expect(() => port.resume('t')).not.toThrow();
    expect(() => port.pause('t', [0, 1])).not.toThrow();
  });
});
