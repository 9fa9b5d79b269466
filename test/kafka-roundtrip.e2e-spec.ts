import { Kafka, logLevel } from 'kafkajs';
import { inject } from 'vitest';
import { TestAdmin } from './support/test-admin.js';
import { uniqueName } from './support/unique.js';
import { waitFor } from './support/wait-for.js';

/** The broker itself: kafkajs 2.2.4 against the local Kafka 4.1, with manual commits. */
describe('real Kafka round trip', () => {
  const brokers = inject('kafkaBrokers');
  let admin: TestAdmin;

  beforeAll(async () => {
    admin = await new TestAdmin(brokers).connect();
  });

  afterAll(async () => {
    await admin.disconnect();
  });

  it('commits offset+1 of every record read, so committed offsets equal the end offsets', async () => {
    const topic = uniqueName('roundtrip');
    const groupId = uniqueName('roundtrip-group');
    const partitions = 3;
    const perPartition = 4;
    await admin.createTopic(topic, partitions);

    const kafka = new Kafka({
      clientId: 'roundtrip',
      brokers,
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: partitions * perPartition }, (_, i) => ({
        partition: i % partitions,
        value: `message ${i} for partition ${i % partitions}`,
      })),
    });
    await producer.disconnect();

    const received: Array<{ partition: number; offset: string }> = [];
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        received.push({ partition, offset: message.offset });
        const next = (BigInt(message.offset) + 1n).toString();
        await consumer.commitOffsets([{ topic, partition, offset: next }]);
      },
    });

    try {
      // At least: a record read twice then fails the exact lists below, with
      // the offsets, rather than a timeout.
      await waitFor(() => received.length >= partitions * perPartition, {
        what: 'every record',
      });
      await waitFor(() => admin.caughtUp(groupId, topic), {
        what: 'committed offsets = end offsets',
      });
      expect(await admin.endOffsets(topic)).toEqual({
        0: perPartition,
        1: perPartition,
        2: perPartition,
      });
      expect(await admin.committedOffsets(groupId, topic)).toEqual({
        0: perPartition,
        1: perPartition,
        2: perPartition,
      });
      for (let p = 0; p < partitions; p++) {
        expect(
          received.filter((r) => r.partition === p).map((r) => r.offset),
        ).toEqual(['0', '1', '2', '3']);
      }
    } finally {
      await consumer.disconnect();
      await admin.deleteTopics([topic]);
    }
  });

  // The kafkajs engine's spare producer session (ProducerSessions' renew)
  // relies on this: reconnected, an idempotent kafkajs producer asks no
  // broker for a new producer id and writes with the one it took.
  it('an idempotent kafkajs producer, disconnected and connected again, keeps its producer id and asks for no other', async () => {
    const topic = uniqueName('renew');
    await admin.createTopic(topic, 1);
    const kafka = new Kafka({
      clientId: 'renew',
      brokers,
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
    });
    const asked: string[] = [];
    producer.on(producer.events.REQUEST, ({ payload }) => {
      asked.push(payload.apiName);
    });
    const initProducerIds = () =>
      asked.filter((api) => api === 'InitProducerId').length;
    await producer.connect();
    // One, or more when the broker asked it to retry (a fresh broker's first).
    const onConnect = initProducerIds();
    expect(onConnect).toBeGreaterThanOrEqual(1);
    await producer.send({ topic, messages: [{ partition: 0, value: 'a' }] });
    await producer.disconnect();
    await producer.connect();
    await producer.send({ topic, messages: [{ partition: 0, value: 'b' }] });
    await producer.disconnect();

    expect(initProducerIds()).toBe(onConnect);
    expect(asked.filter((api) => api === 'Produce')).toHaveLength(2);
    const records = await admin.readRecords(topic, 2);
    const ids = records.map((r) => r.producer?.replace(/ sequence .*/, ''));
    expect(ids[0]).toMatch(/^producer \d+ epoch 0$/);
    expect(ids[1]).toBe(ids[0]);
    // Its sequence went on: the second record is the next in order.
    expect(records.map((r) => r.producer?.replace(/.* sequence /, ''))).toEqual(
      ['0', '1'],
    );
    await admin.deleteTopics([topic]);
  });
});
