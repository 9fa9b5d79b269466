/**
 * A peer of the service's platformatic engine in `npm run bench`, run as its own
 * process (Node 24: @platformatic/kafka needs Node >= 22.22 or >= 24.6): one bare
 * @platformatic/kafka Consumer in a fresh group, read through its stream API from
 * the earliest offset, autocommit off, JSON-parsing each value, and committing
 * the newest offset of each partition every BENCH_COMMIT_EVERY records (default
 * 1000, ~190 KB, about one kafkajs batch) and at least every 100 ms, one commit
 * in flight at a time, like the bare kafkajs eachBatch peer's commit per batch.
 *   BENCH_GROUP_PROTOCOL=consumer (KIP-848, the default) or classic
 * Prints a JSON line {"joinedAt": <Date.now()>} when the group is joined; SIGTERM leaves the group.
 */
import { Consumer, type Message } from '@platformatic/kafka';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const topic = env('KAFKA_TOPIC');
const protocol = env('BENCH_GROUP_PROTOCOL', 'consumer');
if (protocol !== 'consumer' && protocol !== 'classic')
  throw new Error(
    `BENCH_GROUP_PROTOCOL must be consumer or classic, got ${protocol}`,
  );
const commitEvery = Number(env('BENCH_COMMIT_EVERY', '1000'));

const consumer = new Consumer({
  clientId: 'bench-bare-platformatic-consumer',
  bootstrapBrokers: env('KAFKA_BROKERS').split(','),
  groupId: env('BENCH_GROUP_ID'),
  maxWaitTime: 1_000, // as the service's
  // KIP-848 takes session and heartbeat from the broker; classic from the client, as the service's.
  ...(protocol === 'consumer'
    ? { groupProtocol: 'consumer' as const }
    : {
        sessionTimeout: Number(env('CONSUMER_SESSION_TIMEOUT_MS', '10000')),
        heartbeatInterval: Number(
          env('CONSUMER_HEARTBEAT_INTERVAL_MS', '1000'),
        ),
        rebalanceTimeout: Number(env('CONSUMER_REBALANCE_TIMEOUT_MS', '30000')),
      }),
});
consumer.once('consumer:group:join', () => {
  console.log(JSON.stringify({ joinedAt: Date.now() }));
});

/** The next offset to commit per partition (offset+1 of the newest parsed record). */
const pending = new Map<number, { offset: bigint; leaderEpoch: number }>();
let sinceCommit = 0;
let committing = false;
const commit = () => {
  if (committing || pending.size === 0) return;
  const offsets = [...pending].map(([partition, at]) => ({
    topic,
    partition,
    ...at,
  }));
  pending.clear();
  sinceCommit = 0;
  committing = true;
  consumer
    .commit({ offsets })
    .catch((error: unknown) => {
      // A refused commit (rebalance) is retried with the next one: the newest offsets win.
      for (const { partition, offset, leaderEpoch } of offsets)
        if (!pending.has(partition))
          pending.set(partition, { offset, leaderEpoch });
      console.error(`commit failed: ${String(error)}`);
    })
    .finally(() => {
      committing = false;
    });
};

let parsed = 0; // keeps JSON.parse from being optimised away
const stream = await consumer.consume({
  topics: [topic],
  mode: 'earliest',
  autocommit: false,
  // The bare kafkajs peer's fetch sizes (kafkajs' defaults). With @platformatic/kafka's
  // own 50 MB fetches, a 1.8M-record drain on a loaded 2-core host grew to 861 MB RSS,
  // missed the 10 s session (fenced) and never rejoined.
  maxBytes: 10 * 1024 * 1024,
  maxBytesPerPartition: 1024 * 1024,
});
stream.on('data', (message: Message) => {
  parsed += JSON.parse(message.value.toString()) ? 1 : 0;
  pending.set(message.partition, {
    offset: message.offset + 1n,
    leaderEpoch: message.leaderEpoch,
  });
  if (++sinceCommit >= commitEvery) commit();
});
// The tail of the backlog, and whatever a busy commit made wait.
const quiet = setInterval(commit, 100);
process.once('SIGTERM', () => {
  clearInterval(quiet);
  void stream
    .close()
    .then(() => consumer.close())
    .finally(() => process.exit(parsed >= 0 ? 0 : 1));
});
