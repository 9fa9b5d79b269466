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
});
