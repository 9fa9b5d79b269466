/**
 * The backlog the consume comparison drains: records shaped like the service's
 * own (a JSON value {id, partition, sequence, producedAt, payload}, a key, two
 * headers), spread evenly over the partitions and written as fast as a bare
 * kafkajs producer goes: large requests, acks=-1, several in flight.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import kafkajs, { type Kafka, type Message } from 'kafkajs';
import { deadLetterTopicName } from '../../src/kafka/kafka.constants.js';
import type { TestAdmin } from '../../test/support/test-admin.js';

const PER_PARTITION_PER_SEND = 1_000; // ~190 KB per partition, under message.max.bytes
const SENDS_IN_FLIGHT = 4;

export interface Backlog {
  records: number;
  /** Mean key + value + header bytes of one record. */
  recordBytes: number;
  millis: number;
}

export async function fillBacklog(
  kafka: Kafka,
  topic: string,
  partitions: number,
  records: number,
  progress: (line: string) => void,
): Promise<Backlog> {
  const producer = kafka.producer({
    createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const perSend = PER_PARTITION_PER_SEND * partitions;
  const began = performance.now();
  let next = 0;
  let written = 0;
  let bytes = 0;
  let reported = 0;
  const sender = async () => {
    while (next < records) {
      const from = next;
      next = Math.min(records, next + perSend);
      const messages = buildRecords(from, next, partitions);
      bytes += messages.reduce((sum, m) => sum + recordBytes(m), 0);
      await producer.send({ topic, messages, acks: -1 });
      written += messages.length;
      if (written - reported >= records / 4 || written === records) {
        reported = written;
        const seconds = (performance.now() - began) / 1_000;
        progress(
          `  backlog: ${written}/${records} records written (${Math.round(written / seconds)}/s)`,
        );
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: SENDS_IN_FLIGHT }, sender));
  } finally {
    await producer.disconnect();
  }
  return {
    records,
    recordBytes: Math.round(bytes / records),
    millis: performance.now() - began,
  };
}

/** A filled backlog topic for one phase, and the groups and topics it made. */
export interface BacklogTopic {
  topic: string;
  backlog: Backlog;
  /** A fresh group id for one contender; deleted (with its dead-letter topic) at the end. */
  group: (name: string) => string;
  /** Another empty topic with the same partitions, deleted at the end. */
  scratchTopic: (name: string) => Promise<string>;
}

/** Creates `prefix-<random>`, fills it with `records`, runs `body`, then deletes all it made. */
export async function withBacklog<T>(
  admin: TestAdmin,
  prefix: string,
  load: { partitions: number; backlog: number },
  progress: (line: string) => void,
  body: (made: BacklogTopic) => Promise<T>,
): Promise<T> {
  const topic = `${prefix}-${randomUUID().slice(0, 8)}`;
  const groupIds: string[] = [];
  const topics = [topic];
  const made = {
    topic,
    group: (name: string) => {
      groupIds.push(`${topic}-${name}`);
      return `${topic}-${name}`;
    },
    scratchTopic: async (name: string) => {
      topics.push(`${topic}-${name}`);
      await admin.createTopic(`${topic}-${name}`, load.partitions);
      return `${topic}-${name}`;
    },
  };
  await admin.createTopic(topic, load.partitions);
  try {
    const backlog = await fillBacklog(
      admin.kafka,
      topic,
      load.partitions,
      load.backlog,
      progress,
    );
    progress(
      `  backlog of ${backlog.records} records (~${backlog.recordBytes} bytes of key, value and headers each) written by bare kafkajs in ${(backlog.millis / 1_000).toFixed(1)} s (${Math.round((backlog.records * 1_000) / backlog.millis)}/s)`,
    );
    return await body({ ...made, backlog });
  } finally {
    await admin.deleteTopics([
      ...topics,
      ...groupIds.map((g) => deadLetterTopicName(topic, g)),
    ]);
    await admin.deleteGroups(groupIds);
  }
}

/** Records number `from` to `to` (exclusive): record i goes to partition i % partitions. */
function buildRecords(from: number, to: number, partitions: number): Message[] {
  const producedAt = new Date().toISOString();
  const messages: Message[] = [];
  for (let i = from; i < to; i++) {
    const partition = i % partitions;
    messages.push({
      partition,
      key: `customer-${i % 50}`, // fewer than ANALYTICS_TOP_KEYS: counted exactly
      headers: { 'trace-id': randomUUID().slice(0, 16), source: 'bench' },
      value: JSON.stringify({
        id: randomUUID(),
        partition,
        sequence: Math.floor(i / partitions) + 1,
        producedAt,
        payload: { orderId: i },
      }),
    });
  }
  return messages;
}

function recordBytes(message: Message): number {
  const headers = Object.entries(message.headers ?? {});
  return (
    String(message.key).length +
    String(message.value).length +
    headers.reduce((sum, [k, v]) => sum + k.length + String(v).length, 0)
  );
}
