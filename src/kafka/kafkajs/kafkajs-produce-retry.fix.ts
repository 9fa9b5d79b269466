import { createRequire } from 'node:module';

type Method = (this: object, ...args: unknown[]) => Promise<unknown>;
interface ClusterPrototype {
  findBroker: Method;
  addMultipleTargetTopics: Method;
  __settledRetries?: true;
}
interface BrokerPrototype {
  produce: Method;
}

const require = createRequire(import.meta.url);

interface ProduceRequest {
  topicData?: { partitions?: { messages?: object[] }[] }[];
}

/** Messages a broker acknowledged: kafkajs must never send them again. */
const written = new WeakSet<object>();

/** The cluster (one per producer) each broker object was handed out by. */
const clusterOf = new WeakMap<object, object>();
/** Each cluster's produce requests that have no answer yet. */
const unanswered = new WeakMap<object, Set<Promise<unknown>>>();

/**
 * kafkajs 2.2.4 (unmaintained) sends a batch as one produce request per
 * partition leader and awaits them with Promise.all. When one leader fails
 * at once (its broker is down: connection refused) while another's request
 * still waits for acks=all, kafkajs retries while that request is in flight:
 * the retry queues a second request for the same records to the same broker.
 * If the first one then succeeds, the second goes out with the next sequence
 * number and the broker appends the records again. Found by the loss checker
 * (test/faults): records twice in the topic after two of three brokers died.
 *
 * The same happens within one attempt: kafkajs keys its answers by broker
 * object, and after a connection closed it holds a stale object and a new
 * one for the same node, so it sends the node's records twice; the second
 * request goes out with the next sequence number (seen: one producer id,
 * sequence 62 at offset 62 and 63 at offset 132, same records).
 *
 * The fix: a send's next attempt (kafkajs calls addMultipleTargetTopics at
 * the start of each) first waits until the producer's requests of the
 * previous attempt have an answer, so it resends only what has none; and a
 * request whose records a broker already acknowledged fails before it is
 * sent (retriable), so kafkajs rolls its sequence numbers back, drops that
 * broker object's entry and finds the records answered on the next attempt.
 * Patches the Cluster and Broker prototypes, looked up at each call.
 */
export function applySettledProduceRetries(): void {
  const Cluster = require('kafkajs/src/cluster/index.js') as {
    prototype: ClusterPrototype;
  };
  const Broker = require('kafkajs/src/broker/index.js') as {
    prototype: BrokerPrototype;
  };
  const { KafkaJSError } = require('kafkajs/src/errors.js') as {
    KafkaJSError: new (
      message: string,
      options: { retriable: boolean },
    ) => Error;
  };
  const cluster = Cluster.prototype;
  if (cluster.__settledRetries) {
    return;
  }
  const findBroker = cluster.findBroker;
  cluster.findBroker = async function (this: object, ...args: unknown[]) {
    const broker = (await findBroker.apply(this, args)) as object;
    clusterOf.set(broker, this);
    return broker;
  };
  const addMultipleTargetTopics = cluster.addMultipleTargetTopics;
  cluster.addMultipleTargetTopics = async function (
    this: object,
    ...args: unknown[]
  ) {
    const pending = unanswered.get(this);
    if (pending && pending.size > 0) {
      await Promise.allSettled([...pending]);
    }
    return addMultipleTargetTopics.apply(this, args);
  };
  const produce = Broker.prototype.produce;
  Broker.prototype.produce = function (this: object, ...args: unknown[]) {
    const entries = ((args[0] as ProduceRequest | undefined)?.topicData ?? [])
      .flatMap((topic) => topic.partitions ?? [])
      .map((entry) => entry.messages ?? []);
    // A partition's records are acknowledged together: its first one tells.
    if (
      entries.length > 0 &&
      entries.every((messages) => messages[0] && written.has(messages[0]))
    ) {
      return Promise.reject(
        new KafkaJSError(
          'these records were already acknowledged by a broker: not sent again',
          { retriable: true },
        ),
      );
    }
    const request = produce.apply(this, args).then((response) => {
      // Only the first record of each partition is ever looked up (above).
      for (const messages of entries) {
        if (messages[0]) written.add(messages[0]);
      }
      return response;
    });
    const owner = clusterOf.get(this);
    if (owner) {
      let pending = unanswered.get(owner);
      if (!pending) {
        pending = new Set();
        unanswered.set(owner, pending);
      }
      const set = pending;
      set.add(request);
      const done = () => set.delete(request);
      request.then(done, done);
    }
    return request;
  };
  cluster.__settledRetries = true;
}
