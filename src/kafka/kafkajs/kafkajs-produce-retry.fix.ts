import { createRequire } from 'node:module';
import type { Kafka } from 'kafkajs';
import { swapKafkajsModule } from './kafkajs-module-swap.js';
import type {
  Message,
  SendOptions,
  PartitionAnswer,
  TopicData,
  Broker,
  SendMessagesDeps,
  KafkaError,
} from './kafkajs-internals.js';

const require = createRequire(import.meta.url);

/** How long a leader that timed out a produce request is not sent to while the metadata still names it. */
const SILENT_LEADER_MS = 2_000;

const SEND_MESSAGES = 'kafkajs/src/producer/sendMessages.js';
/**
 * Modules that captured kafkajs' sendMessages when kafkajs loaded, up to the
 * Kafka class: the class is loaded again after the swap (see below).
 */
const HOLDERS = [
  'kafkajs/src/producer/messageProducer.js',
  'kafkajs/src/producer/index.js',
  'kafkajs/src/index.js',
  'kafkajs/index.js',
];

const kafkajsErrors = require('kafkajs/src/errors.js') as {
  KafkaJSError: new (message: string, options: object) => Error;
  KafkaJSMetadataNotLoaded: new (message: string) => Error;
};
const { staleMetadata } = require('kafkajs/src/protocol/error.js') as {
  staleMetadata: (error: Error) => boolean;
};
const groupMessagesPerPartition =
  require('kafkajs/src/producer/groupMessagesPerPartition.js') as (args: {
    topic: string;
    partitionMetadata: object[];
    messages: Message[];
    partitioner: (args: object) => number;
  }) => Record<string, Message[]>;
const responseSerializer =
  require('kafkajs/src/producer/responseSerializer.js') as (
    response: unknown,
  ) => PartitionAnswer[];

/**
 * kafkajs 2.2.4 (unmaintained) sends a batch as one produce request per
 * partition leader and keeps each answer under the broker *object* it was
 * sent to; an attempt resends to every broker object without an answer. That
 * goes wrong three ways, all found by the loss checker (test/faults):
 *
 * - It retries on the first failed request while other leaders' requests are
 *   still in flight (Promise.all), and sends those records again.
 * - After a connection closed it holds a stale and a fresh object for one
 *   node: the fresh one has no answer, so the node's records go out again,
 *   already acknowledged, with the next sequence number, and the broker
 *   appends them a second time (seen in CI: one producer id, sequence 62 at
 *   offset 62 and 63 at offset 113, same record, after a leader was killed).
 * - When a dead leader's partitions move to a node whose object already has
 *   an answer, nothing is sent for them and the send resolves without them.
 *
 * This is kafkajs' sendMessages with answers kept per partition instead: each
 * attempt sends only the partitions without an answer, to their leader of
 * the moment, and waits until all its requests have settled before it
 * decides to retry. A partition is assigned once per send (a retry never
 * moves a record), and one missing from the metadata is an error, never a
 * silent skip. Sequence numbers, locks and error handling are kafkajs': a
 * failed request rolls its sequences back, so its retry is deduplicated by
 * the broker if it was written after all.
 */
export function createSettledSendMessages({
  logger,
  cluster,
  partitioner,
  eosManager,
  retrier,
}: SendMessagesDeps) {
  // Leaders whose last produce request got no answer in time (a broker that
  // hangs keeps its socket open), and until when. While the metadata still
  // names one, an attempt does not send to it again: it asks the cluster
  // where its partitions went, at every retry (kafkajs' backoff, at most 1 s
  // here), so records follow the cluster's leader move within a retry
  // instead of one more request timeout on the frozen leader.
  const silentUntil = new Map<number, number>();
  return async ({
    acks,
    timeout,
    compression,
    topicMessages,
  }: SendOptions): Promise<PartitionAnswer[]> => {
    const topics = topicMessages.map(({ topic }) => topic);
    /** Per topic, the send's records per partition, assigned once. */
    const assigned = new Map<string, Map<number, Message[]>>();
    /** Per topic, the partitions a broker acknowledged, with their answer. */
    const answered = new Map<string, Map<number, PartitionAnswer | null>>();

    const assign = (): void => {
      for (const { topic, messages } of topicMessages) {
        if (assigned.has(topic)) continue;
        const partitionMetadata = cluster.findTopicPartitionMetadata(topic);
        if (partitionMetadata.length === 0) {
          logger.debug('Producing to topic without metadata', { topic });
          throw new kafkajsErrors.KafkaJSMetadataNotLoaded(
            'Producing to topic without metadata',
          );
        }
        const perPartition = groupMessagesPerPartition({
          topic,
          partitionMetadata,
          messages,
          partitioner,
        });
        assigned.set(
          topic,
          new Map(Object.entries(perPartition).map(([p, m]) => [Number(p), m])),
        );
        answered.set(topic, new Map());
      }
    };

    /** This attempt's requests: the unanswered partitions, per current leader. */
    const plan = async (): Promise<{ broker: Broker; data: TopicData[] }[]> => {
      const perNode = new Map<string, TopicData[]>();
      for (const [topic, partitions] of assigned) {
        const done = answered.get(topic) as Map<number, unknown>;
        const open = [...partitions.keys()].filter((p) => !done.has(p));
        if (open.length === 0) continue;
        const leaders = cluster.findLeaderForPartitions(topic, open);
        const led = new Set(Object.values(leaders).flat());
        const orphan = open.find((p) => !led.has(p));
        if (orphan !== undefined) {
          throw new kafkajsErrors.KafkaJSMetadataNotLoaded(
            `No metadata for partition ${orphan} of topic ${topic}`,
          );
        }
        for (const [nodeId, ids] of Object.entries(leaders)) {
          const data = perNode.get(nodeId) ?? [];
          data.push({
            topic,
            partitions: ids.map((partition) => ({
              partition,
              messages: partitions.get(partition) as Message[],
            })),
          });
          perNode.set(nodeId, data);
        }
      }
      const requests: { broker: Broker; data: TopicData[] }[] = [];
      for (const [nodeId, data] of perNode) {
        requests.push({ broker: await cluster.findBroker({ nodeId }), data });
      }
      return requests;
    };

    const produce = async (broker: Broker, topicData: TopicData[]) => {
      await eosManager.acquireBrokerLock(broker);
      try {
        if (eosManager.isTransactional()) {
          await eosManager.addPartitionsToTransaction(topicData);
        }
        for (const { topic, partitions } of topicData) {
          for (const entry of partitions) {
            entry.firstSequence = eosManager.getSequence(
              topic,
              entry.partition,
            );
            eosManager.updateSequence(
              topic,
              entry.partition,
              entry.messages.length,
            );
          }
        }
        let response: unknown;
        try {
          response = await broker.produce({
            transactionalId: eosManager.isTransactional()
              ? eosManager.getTransactionalId()
              : undefined,
            producerId: eosManager.getProducerId(),
            producerEpoch: eosManager.getProducerEpoch(),
            acks,
            timeout,
            compression,
            topicData,
          });
        } catch (error) {
          for (const { topic, partitions } of topicData) {
            for (const entry of partitions) {
              eosManager.updateSequence(
                topic,
                entry.partition,
                -entry.messages.length,
              );
            }
          }
          throw error;
        }
        const answers = acks !== 0 ? responseSerializer(response) : [];
        for (const { topic, partitions } of topicData) {
          const done = answered.get(topic) as Map<number, unknown>;
          for (const { partition } of partitions) done.set(partition, null);
        }
        for (const answer of answers) {
          answered.get(answer.topicName)?.set(answer.partition, answer);
        }
      } finally {
        await eosManager.releaseBrokerLock(broker);
      }
    };

    return retrier(async (bail, retryCount, retryTime) => {
      await cluster.addMultipleTargetTopics(topics);
      try {
        await cluster.refreshMetadataIfNecessary();
        assign();
        const requests = await plan();
        const now = Date.now();
        const live = requests.filter(
          ({ broker }) => (silentUntil.get(broker.nodeId) ?? 0) <= now,
        );
        const settled = await Promise.allSettled(
          live.map(({ broker, data }) => produce(broker, data)),
        );
        settled.forEach((result, i) => {
          const { nodeId } = live[i].broker;
          if (result.status === 'fulfilled') silentUntil.delete(nodeId);
          else if (
            (result.reason as KafkaError).name === 'KafkaJSRequestTimeoutError'
          ) {
            silentUntil.set(nodeId, Date.now() + SILENT_LEADER_MS);
          }
        });
        const errors = settled.flatMap((result) =>
          result.status === 'rejected' ? [result.reason as KafkaError] : [],
        );
        if (errors.length === 0 && live.length < requests.length) {
          // Only partitions of a silent leader are left: look again where they are.
          throw new kafkajsErrors.KafkaJSMetadataNotLoaded(
            'a partition leader did not answer its last produce request in time; asking the cluster where its partitions are now',
          );
        }
        if (errors.length > 0) {
          for (const e of errors) {
            if (e.name === 'KafkaJSConnectionClosedError' && e.host) {
              cluster.removeBroker({ host: e.host, port: e.port as number });
            }
            // A leader that hangs keeps its socket open, so kafkajs counts it
            // as connected and may send the metadata refresh to it as well:
            // forgotten, the refresh asks another broker, and the leader is
            // connected again only if the cluster still names it.
            const hung = e.name === 'KafkaJSRequestTimeoutError' && e.broker;
            if (hung) {
              const at = hung.lastIndexOf(':');
              cluster.removeBroker({
                host: hung.slice(0, at),
                port: Number(hung.slice(at + 1)),
              });
            }
          }
          throw errors.find((e) => e.retriable === false) ?? errors[0];
        }
        return [...answered.values()].flatMap((answers) =>
          [...answers.values()].filter((a): a is PartitionAnswer => !!a),
        );
      } catch (error) {
        const e = error as KafkaError;
        if (!cluster.isConnected()) {
          logger.debug(`Cluster has disconnected, reconnecting: ${e.message}`, {
            retryCount,
            retryTime,
          });
          await cluster.connect();
          await cluster.refreshMetadata();
          throw e;
        }
        if (
          staleMetadata(e) ||
          e.name === 'KafkaJSMetadataNotLoaded' ||
          e.name === 'KafkaJSConnectionError' ||
          e.name === 'KafkaJSConnectionClosedError' ||
          // A leader that hangs (its socket open, never answering) may have
          // been replaced meanwhile: kafkajs retried on the old metadata, to
          // the same frozen broker, until the metadata aged out (5 min).
          e.name === 'KafkaJSRequestTimeoutError' ||
          (e.name === 'KafkaJSProtocolError' && e.retriable)
        ) {
          // Retried (without limit): a warning, not an error a person must act on.
          logger.warn(`Failed to send messages: ${e.message}`, {
            retryCount,
            retryTime,
          });
          await cluster.refreshMetadata();
          throw e;
        }
        logger.error(e.message, { retryCount, retryTime });
        if (e.retriable) throw e;
        bail(e);
        return [];
      }
    });
  };
}

/**
 * Puts createSettledSendMessages in place of kafkajs' sendMessages and
 * returns the Kafka class to build clients with. kafkajs' producer captures
 * sendMessages when kafkajs loads (before any of this code runs), so the
 * modules between it and the Kafka class are dropped from the module cache
 * and the class is required again: only clients of the returned class send
 * this way (the class imported with `import { Kafka }` is kafkajs' own).
 * Consumer, admin, protocol and error modules stay shared.
 */
export function kafkaWithSettledProduceRetries(): typeof Kafka {
  swapKafkajsModule(SEND_MESSAGES, createSettledSendMessages, HOLDERS);
  return (require('kafkajs') as { Kafka: typeof Kafka }).Kafka;
}
