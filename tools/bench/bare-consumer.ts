/**
 * A peer of the service's consumer in `npm run bench`, run as its own process so
 * its CPU and memory are its own: one bare kafkajs consumer in a fresh group,
 * configured like the service's (autoCommit off, same session, heartbeat and
 * long-poll settings, partitions consumed concurrently), JSON-parsing each value.
 *   BENCH_MODE=batch       eachBatch, one commit of lastOffset+1 per batch
 *   BENCH_MODE=per-record  eachMessage, an awaited commit of offset+1 per record
 *                          (the pattern of Nest's Kafka docs)
 * Prints a JSON line {"joinedAt": <Date.now()>, "partitions": n} on GROUP_JOIN; SIGTERM leaves the group.
 */
import kafkajs from 'kafkajs';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const topic = env('KAFKA_TOPIC');
const mode = env('BENCH_MODE');
if (mode !== 'batch' && mode !== 'per-record')
  throw new Error(`BENCH_MODE must be batch or per-record, got ${mode}`);

const kafka = new kafkajs.Kafka({
  brokers: env('KAFKA_BROKERS').split(','),
  clientId: 'bench-bare-consumer',
  logLevel: kafkajs.logLevel.ERROR,
});
const consumer = kafka.consumer({
  groupId: env('BENCH_GROUP_ID'),
  sessionTimeout: Number(env('CONSUMER_SESSION_TIMEOUT_MS', '10000')),
  heartbeatInterval: Number(env('CONSUMER_HEARTBEAT_INTERVAL_MS', '1000')),
  rebalanceTimeout: Number(env('CONSUMER_REBALANCE_TIMEOUT_MS', '30000')),
  maxWaitTimeInMs: 1_000, // as the service's
});
consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
  const partitions = payload.memberAssignment[topic] ?? [];
  console.log(
    JSON.stringify({ joinedAt: Date.now(), partitions: partitions.length }),
  );
});
let parsed = 0; // keeps JSON.parse from being optimised away
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({
  autoCommit: false,
  partitionsConsumedConcurrently: Number(env('BENCH_CONCURRENCY', '6')),
  ...(mode === 'batch'
    ? {
        eachBatchAutoResolve: false,
        eachBatch: async (payload) => {
          const { batch } = payload;
          let last: string | undefined;
          for (const message of batch.messages) {
            if (!payload.isRunning() || payload.isStale()) break;
            parsed += message.value ? 1 : 0;
            JSON.parse(message.value?.toString() ?? 'null');
            last = message.offset;
          }
          if (last === undefined) return;
          // The next fetch starts after the last resolved offset.
          payload.resolveOffset(last);
          await consumer.commitOffsets([
            {
              topic: batch.topic,
              partition: batch.partition,
              offset: (BigInt(last) + 1n).toString(),
            },
          ]);
          await payload.heartbeat();
        },
      }
    : {
        eachMessage: async ({ topic, partition, message }) => {
          parsed += message.value ? 1 : 0;
          JSON.parse(message.value?.toString() ?? 'null');
          await consumer.commitOffsets([
            {
              topic,
              partition,
              offset: (BigInt(message.offset) + 1n).toString(),
            },
          ]);
        },
      }),
});
process.once('SIGTERM', () => {
  void consumer.disconnect().finally(() => process.exit(parsed >= 0 ? 0 : 1));
});
