import { createRequire } from 'node:module';
import { Kafka } from 'kafkajs';
import {
  createSettledSendMessages,
  kafkaWithSettledProduceRetries,
} from './kafkajs-produce-retry.fix.js';

const require = createRequire(import.meta.url);
type SendMessages = typeof createSettledSendMessages;
// Loaded before any swap in this process: kafkajs' own sendMessages.
const kafkajsSendMessages =
  require('kafkajs/src/producer/sendMessages.js') as SendMessages;
const createRetry = require('kafkajs/src/retry/index.js') as (options: {
  retries: number;
  initialRetryTime: number;
  maxRetryTime: number;
}) => Parameters<SendMessages>[0]['retrier'];
const { KafkaJSConnectionClosedError, KafkaJSRequestTimeoutError } =
  require('kafkajs/src/errors.js') as {
    KafkaJSConnectionClosedError: new (
      message: string,
      options: { host: string; port: number },
    ) => Error;
    KafkaJSRequestTimeoutError: new (
      message: string,
      options: { broker: string },
    ) => Error;
  };

const TOPIC = 't';
const PRODUCER_ID = 2000;

interface Message {
  partition: number;
  value: string;
}
interface Request {
  topicData: {
    topic: string;
    partitions: {
      partition: number;
      firstSequence: number;
      messages: Message[];
    }[];
  }[];
}
/** How a node answers a request: 'ok', or fail after writing or without. */
type Outcome = 'ok' | 'lost-before-write' | 'lost-after-write' | 'hung';

/**
 * A 3-node cluster with an idempotent broker's log per partition: a batch
 * whose first sequence follows the last one is appended, a repeat of the last
 * one is acknowledged without being written (what Kafka does), anything else
 * is an out-of-order error. Scripted per test: leaders per attempt, whether a
 * node's next request fails, whether findBroker hands out a fresh object.
 */
class FakeCluster {
  readonly log = new Map<number, string[]>();
  private readonly lastSequence = new Map<number, number>();
  leaders: Record<number, number> = { 0: 1, 1: 2, 2: 3 };
  /** Outcomes of each node's next requests, in order (then 'ok'). */
  readonly script = new Map<number, Outcome[]>();
  /** Nodes whose next findBroker returns a new object (a reconnect). */
  readonly renew = new Set<number>();
  /** Requests that wait for this before they answer, per node. */
  readonly hold = new Map<number, Promise<void>>();
  /** Called when a node's request fails (e.g. to move its partitions). */
  onFailure: (nodeId: number) => void = () => undefined;
  private readonly brokers = new Map<number, object>();
  requests = 0;
  /** Requests each node was sent. */
  readonly requestsTo = new Map<number, number>();

  async addMultipleTargetTopics(): Promise<void> {}
  async refreshMetadataIfNecessary(): Promise<void> {}
  /** Metadata refreshes, and the brokers forgotten before them. */
  refreshes = 0;
  readonly removed: { host: string; port: number }[] = [];
  /** Called at each metadata refresh (e.g. to move partitions after a few). */
  onRefresh: (refreshes: number) => void = () => undefined;
  async refreshMetadata(): Promise<void> {
    this.refreshes++;
    this.onRefresh(this.refreshes);
  }
  async connect(): Promise<void> {}
  isConnected(): boolean {
    return true;
  }
  removeBroker(broker: { host: string; port: number }): void {
    this.removed.push(broker);
  }
  findTopicPartitionMetadata() {
    return [0, 1, 2].map((partitionId) => ({
      partitionId,
      leader: this.leaders[partitionId],
    }));
  }
  findLeaderForPartitions(_topic: string, partitions: number[]) {
    const result: Record<string, number[]> = {};
    for (const p of partitions) {
      const id = Number(p);
      (result[this.leaders[id]] ??= []).push(id);
    }
    return result;
  }
  async findBroker({ nodeId }: { nodeId: string }) {
    const id = Number(nodeId);
    if (!this.brokers.has(id) || this.renew.delete(id)) {
      this.brokers.set(id, {
        nodeId: id,
        produce: (request: Request) => this.produce(id, request),
      });
    }
    return this.brokers.get(id);
  }

  private async produce(nodeId: number, request: Request) {
    this.requests++;
    this.requestsTo.set(nodeId, (this.requestsTo.get(nodeId) ?? 0) + 1);
    const outcome = this.script.get(nodeId)?.shift() ?? 'ok';
    await this.hold.get(nodeId);
    if (outcome === 'hung') {
      // A frozen node: no answer until the request timeout.
      this.onFailure(nodeId);
      throw new KafkaJSRequestTimeoutError('Request Produce timed out', {
        broker: `node${nodeId}:9092`,
      });
    }
    if (outcome !== 'lost-before-write') {
      for (const { partitions } of request.topicData) {
        for (const { partition, firstSequence, messages } of partitions) {
          this.append(partition, firstSequence, messages);
        }
      }
    }
    if (outcome !== 'ok') {
      this.onFailure(nodeId);
      throw new KafkaJSConnectionClosedError('Connection closed', {
        host: `node${nodeId}`,
        port: 9092,
      });
    }
    return {
      topics: request.topicData.map(({ topic, partitions }) => ({
        topicName: topic,
        partitions: partitions.map(({ partition }) => ({
          partition,
          errorCode: 0,
          baseOffset: String((this.log.get(partition)?.length ?? 1) - 1),
        })),
      })),
    };
  }

  private append(partition: number, first: number, messages: Message[]) {
    const last = this.lastSequence.get(partition) ?? -1;
    const log = this.log.get(partition) ?? [];
    this.log.set(partition, log);
    if (first === last + 1) {
      log.push(...messages.map((m) => `${m.value}@seq${first}`));
      this.lastSequence.set(partition, first + messages.length - 1);
    } else if (first + messages.length - 1 !== last) {
      throw new Error(
        `out of order: partition ${partition} got ${first} after ${last}`,
      );
    }
  }
}

/** kafkajs' EosManager as sendMessages uses it: sequences and a lock per node. */
function eosManager() {
  const sequences = new Map<number, number>();
  const locks = new Map<number, Promise<void>>();
  const releases = new Map<number, () => void>();
  return {
    async acquireBrokerLock(broker: { nodeId: number }) {
      while (locks.has(broker.nodeId)) await locks.get(broker.nodeId);
      locks.set(
        broker.nodeId,
        new Promise<void>((resolve) => releases.set(broker.nodeId, resolve)),
      );
    },
    releaseBrokerLock(broker: { nodeId: number }) {
      locks.delete(broker.nodeId);
      releases.get(broker.nodeId)?.();
    },
    isTransactional: () => false,
    addPartitionsToTransaction: async () => undefined,
    getTransactionalId: () => '',
    getProducerId: () => PRODUCER_ID,
    getProducerEpoch: () => 0,
    getSequence: (_topic: string, partition: number) =>
      sequences.get(partition) ?? 0,
    updateSequence(_topic: string, partition: number, increment: number) {
      sequences.set(partition, (sequences.get(partition) ?? 0) + increment);
    },
  };
}

const silent = {
  debug: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

async function sendAll(create: SendMessages, cluster: FakeCluster) {
  const send = create({
    logger: silent,
    cluster: cluster as never,
    partitioner: ({ message }: { message?: Message }) =>
      message?.partition ?? 0,
    eosManager: eosManager(),
    retrier: createRetry({ retries: 5, initialRetryTime: 1, maxRetryTime: 1 }),
  });
  const answers = await send({
    acks: -1,
    topicMessages: [
      {
        topic: TOPIC,
        messages: [0, 1, 2].map((partition) => ({
          partition,
          value: `r${partition}`,
        })),
      },
    ],
  });
  return answers.map((a) => a.partition).sort();
}

/**
 * Node 1 (leader of 0) dies mid-send; its partition moves to node 2.
 * `reconnectNode2`: the retry also gets a new object for node 2, which
 * already answered (a reconnect).
 */
function leaderOfZeroDies(
  cluster: FakeCluster,
  outcome: Outcome,
  reconnectNode2 = false,
): void {
  cluster.script.set(1, [outcome]);
  cluster.onFailure = (nodeId) => {
    if (nodeId !== 1) return;
    cluster.leaders = { ...cluster.leaders, 0: 2 };
    if (reconnectNode2) cluster.renew.add(2);
  };
}

/**
 * Runs `send` on virtual time: every timer (kafkajs' retry backoff, a
 * scripted late answer) fires in order of its delay, however slow the host.
 */
async function onVirtualTime<T>(send: () => Promise<T>): Promise<T> {
  vi.useFakeTimers();
  try {
    const result = send();
    await vi.runAllTimersAsync();
    return await result;
  } finally {
    vi.useRealTimers();
  }
}

describe("kafkajs' produce retries, answered per partition", () => {
  const everyRecordOnce = new Map([
    [0, ['r0@seq0']],
    [1, ['r1@seq0']],
    [2, ['r2@seq0']],
  ]);

  it('resends nothing a fresh broker object stands for (the CI duplicate: same producer, next sequence)', async () => {
    const scenario = () => {
      const cluster = new FakeCluster();
      leaderOfZeroDies(cluster, 'lost-before-write', true);
      return cluster;
    };
    const theirs = scenario();
    await sendAll(kafkajsSendMessages, theirs);
    expect(theirs.log.get(1)).toEqual(['r1@seq0', 'r1@seq1']); // the bug, reproduced

    const ours = scenario();
    expect(await sendAll(createSettledSendMessages, ours)).toEqual([0, 1, 2]);
    expect(ours.log).toEqual(everyRecordOnce);
  });

  it('sends a moved partition to a node that already answered instead of dropping it', async () => {
    const theirs = new FakeCluster();
    leaderOfZeroDies(theirs, 'lost-before-write');
    expect(await sendAll(kafkajsSendMessages, theirs)).toEqual([1, 2]);
    expect(theirs.log.has(0)).toBe(false); // the bug: resolved, never written

    const ours = new FakeCluster();
    leaderOfZeroDies(ours, 'lost-before-write');
    expect(await sendAll(createSettledSendMessages, ours)).toEqual([0, 1, 2]);
    expect(ours.log).toEqual(everyRecordOnce);
  });

  it('retries only after every request of the attempt has an answer', async () => {
    const scenario = () => {
      const cluster = new FakeCluster();
      let answer = (): void => undefined;
      // Node 2 answers late: 20 virtual ms after node 1's failure, when
      // kafkajs' retry (1-2 ms of backoff) has begun.
      cluster.hold.set(2, new Promise<void>((resolve) => (answer = resolve)));
      cluster.script.set(1, ['lost-before-write']);
      cluster.onFailure = () => setTimeout(() => answer(), 20);
      return cluster;
    };
    const theirs = scenario();
    await onVirtualTime(() => sendAll(kafkajsSendMessages, theirs));
    expect(theirs.log.get(1)).toEqual(['r1@seq0', 'r1@seq1']); // the bug

    const ours = scenario();
    expect(
      await onVirtualTime(() => sendAll(createSettledSendMessages, ours)),
    ).toEqual([0, 1, 2]);
    expect(ours.log).toEqual(everyRecordOnce);
  });

  it('lets the broker drop a retried request it wrote before the connection closed (sequence rolled back)', async () => {
    const cluster = new FakeCluster();
    leaderOfZeroDies(cluster, 'lost-after-write');
    expect(await sendAll(createSettledSendMessages, cluster)).toEqual([
      0, 1, 2,
    ]);
    expect(cluster.log).toEqual(everyRecordOnce);
    expect(cluster.requests).toBe(4); // 3, then partition 0 once more
  });

  it('forgets a leader whose request timed out and refreshes the metadata elsewhere (kafkajs retried it on the old metadata)', async () => {
    const theirs = new FakeCluster();
    leaderOfZeroDies(theirs, 'hung');
    await sendAll(kafkajsSendMessages, theirs);
    expect(theirs.removed).toEqual([]); // the frozen leader stays a candidate
    expect(theirs.refreshes).toBe(0); // for the metadata refresh too

    const ours = new FakeCluster();
    leaderOfZeroDies(ours, 'hung');
    expect(await sendAll(createSettledSendMessages, ours)).toEqual([0, 1, 2]);
    expect(ours.removed).toEqual([{ host: 'node1', port: 9092 }]);
    expect(ours.refreshes).toBe(1);
    expect(ours.log).toEqual(everyRecordOnce);
  });

  it('sends nothing more to a leader that timed out while the metadata names it, and follows the move at the next refresh', async () => {
    // Node 1 hangs (every request times out); the cluster moves partition 0
    // to node 2 only at the third metadata refresh.
    const scenario = () => {
      const cluster = new FakeCluster();
      cluster.script.set(1, ['hung', 'hung', 'hung', 'hung', 'hung', 'hung']);
      cluster.onRefresh = (refreshes) => {
        if (refreshes === 3) cluster.leaders = { ...cluster.leaders, 0: 2 };
      };
      return cluster;
    };
    const theirs = scenario();
    await sendAll(kafkajsSendMessages, theirs).catch(() => undefined);
    expect(theirs.requestsTo.get(1)).toBe(6); // one request timeout per retry

    const ours = scenario();
    expect(await sendAll(createSettledSendMessages, ours)).toEqual([0, 1, 2]);
    expect(ours.requestsTo.get(1)).toBe(1); // one timeout, then it waited for the move
    expect(ours.refreshes).toBe(3);
    expect(ours.log).toEqual(everyRecordOnce);
  });

  it('is what clients of the returned Kafka class send with; the imported class stays kafkajs’ own', () => {
    const Settled = kafkaWithSettledProduceRetries();
    expect(Settled).not.toBe(Kafka);
    expect(require('kafkajs/src/producer/sendMessages.js')).toBe(
      createSettledSendMessages,
    );
    // Built again with the swapped module in place, then cached.
    expect(kafkaWithSettledProduceRetries()).toBe(Settled);
  });
});
