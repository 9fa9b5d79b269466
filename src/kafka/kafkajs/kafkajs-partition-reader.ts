import type { ConsumedRecord } from '../client/group-consumer.port.js';
import { PartitionRange } from '../client/partition-range.js';
import { clusterOf } from './kafkajs-internals.js';

/** READ_COMMITTED: records of aborted transactions are never shown. */
const READ_COMMITTED = 1;
const FETCH_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Reads [from, until) of one partition with plain Fetch requests to its
 * leader, on a cluster connection of its own that is closed afterwards: no
 * group is joined and nothing is committed (kafkajs' consumer always joins
 * one). For occasional reads (GET /dead-letters, a redrive), not a stream.
 */
export async function readPartitionWithKafkajs(
  kafka: object,
  topic: string,
  partition: number,
  from: bigint,
  until: bigint,
): Promise<ConsumedRecord[]> {
  const cluster = clusterOf(kafka);
  try {
    await cluster.connect();
    await cluster.addTargetTopic(topic);
    await cluster.refreshMetadata();
    const leaders = cluster.findLeaderForPartitions(topic, [partition]);
    const nodeId = Object.keys(leaders)[0];
    if (nodeId === undefined) {
      throw new Error(`${topic}[${partition}] has no leader right now`);
    }
    const broker = await cluster.findBroker({ nodeId });
    const range = new PartitionRange(from, until);
    do {
      const { responses } = await broker.fetch({
        replicaId: -1,
        isolationLevel: READ_COMMITTED,
        maxWaitTime: 0,
        minBytes: 0,
        maxBytes: FETCH_MAX_BYTES,
        topics: [
          {
            topic,
            partitions: [
              {
                partition,
                fetchOffset: String(range.next),
                maxBytes: FETCH_MAX_BYTES,
              },
            ],
          },
        ],
      });
      const answer = responses[0]?.partitions[0];
      if (!answer) break;
      for (const message of answer.messages) {
        range.take(
          BigInt(message.offset),
          message.isControlRecord === true,
          () => ({
            offset: message.offset,
            key: message.key,
            value: message.value,
            headers: message.headers,
            timestamp: message.timestamp,
          }),
        );
      }
      if (!range.again(BigInt(answer.highWatermark))) break;
    } while (range.next < until);
    return range.records;
  } finally {
    await cluster.disconnect().catch(() => undefined);
  }
}
