import {
  Admin as PlatformaticAdmin,
  Connection,
  consumerGroupDescribeV0,
} from '@platformatic/kafka';
import {
  type Admin,
  AssignerProtocol,
  type ConfigResourceTypes,
  Kafka,
  type KafkaConfig,
  logLevel,
  type Producer,
} from 'kafkajs';
import { brokerErrorTypes } from '../../src/kafka/kafka.errors.js';
import { groupProtocolUnderTest } from './engine.js';
import { uniqueName } from './unique.js';
import { applyNonNegativeThrottleCheck } from '../../src/kafka/kafkajs/kafkajs-timeout.fix.js';

// The test's own kafkajs clients get the same Node 24 fix as the service's.
applyNonNegativeThrottleCheck();
import { waitFor } from './wait-for.js';

/** A kafkajs admin for assertions: what the broker itself says, never the app's view. */
export class TestAdmin {
  readonly kafka: Kafka;
  private readonly admin: Admin;

  /** `security`: ssl/sasl for a secured broker (the super user, see secure-broker.ts). */
  constructor(
    readonly brokers: string[],
    security: Pick<KafkaConfig, 'ssl' | 'sasl'> = {},
  ) {
    this.kafka = new Kafka({
      clientId: 'e2e-admin',
      brokers,
      logLevel: logLevel.NOTHING,
      ...security,
    });
    this.admin = this.kafka.admin();
  }

  async connect(): Promise<this> {
    await this.admin.connect();
    return this;
  }

  async disconnect(): Promise<void> {
    await this.admin.disconnect();
  }

  /**
   * Creates `topic` and waits until every partition's leader serves it. Not
   * with kafkajs' waitForLeaders: it gives up when the broker does not know
   * the new topic yet (UNKNOWN_TOPIC_OR_PARTITION, seen in CI on a slow host).
   * A leader in the metadata is not enough either: for a moment after that
   * the leader still answers NOT_LEADER_OR_FOLLOWER, and a kafkajs producer
   * (not idempotent) then resends its whole request, writing the partitions
   * that did succeed twice (seen in CI, reproduced 5 in 40 under CPU load).
   * ListOffsets succeeding at every leader is the same check a produce meets.
   */
  async createTopic(topic: string, numPartitions: number): Promise<void> {
    await this.admin.createTopics({
      topics: [{ topic, numPartitions, replicationFactor: 1 }],
      waitForLeaders: false,
    });
    await waitFor(
      async () => {
        const { topics } = await this.admin.fetchTopicMetadata({
          topics: [topic],
        });
        const partitions = topics[0]?.partitions ?? [];
        return (
          partitions.length === numPartitions &&
          partitions.every(({ leader }) => leader >= 0) &&
          (await this.admin.fetchTopicOffsets(topic)).length === numPartitions
        );
      },
      {
        timeoutMs: 15_000,
        what: `a serving leader for every partition of ${topic}`,
      },
    );
  }

  /**
   * A producer for the test's own records. Idempotent, like the service's: a
   * plain kafkajs producer resends a whole request when one partition answers
   * an error, writing the others twice, and a test that counts records would
   * then count some of them twice. (kafkajs' own send, not the service's
   * fixed one: fine while no broker is stopped under it.)
   */
  producer(): Producer {
    return this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  }

  async partitionCount(topic: string): Promise<number> {
    const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0]?.partitions.length ?? 0;
  }

  /**
   * End offset (high watermark) per partition. Asked again while the broker
   * refuses: just after a topic is created its partitions' leaders may not be
   * in place yet (NOT_LEADER_OR_FOLLOWER, seen in CI on a slow host), and
   * kafkajs' fetchTopicOffsets does not retry.
   */
  async endOffsets(topic: string): Promise<Record<number, number>> {
    const offsets = await waitFor(() => this.admin.fetchTopicOffsets(topic), {
      timeoutMs: 10_000,
      what: `the end offsets of ${topic}`,
    });
    return Object.fromEntries(
      offsets.map(({ partition, high }) => [partition, Number(high)]),
    );
  }

  /** The group's committed offset per partition (-1 = nothing committed). */
  async committedOffsets(
    groupId: string,
    topic: string,
  ): Promise<Record<number, number>> {
    const [result] = await this.admin.fetchOffsets({
      groupId,
      topics: [topic],
    });
    return Object.fromEntries(
      (result?.partitions ?? []).map(({ partition, offset }) => [
        partition,
        Number(offset),
      ]),
    );
  }

  /**
   * True when the group has nothing left to read: every partition's committed
   * offset equals its end offset (an empty partition needs no commit).
   */
  async caughtUp(groupId: string, topic: string): Promise<boolean> {
    return (await this.committedEverywhere([groupId], topic)) !== undefined;
  }

  /**
   * The end offset per partition when every group in `groupIds` has committed
   * all of `topic` (see caughtUp), in one reading of the end offsets;
   * undefined while one has not.
   */
  async committedEverywhere(
    groupIds: string[],
    topic: string,
  ): Promise<Record<number, number> | undefined> {
    const [offsets, ...committed] = await Promise.all([
      this.admin.fetchTopicOffsets(topic),
      ...groupIds.map((groupId) => this.committedOffsets(groupId, topic)),
    ]);
    const done = committed.every((group) =>
      offsets.every(({ partition, low, high }) =>
        group[partition] === -1
          ? low === high
          : group[partition] === Number(high),
      ),
    );
    return done
      ? Object.fromEntries(
          offsets.map(({ partition, high }) => [partition, Number(high)]),
        )
      : undefined;
  }

  /** A broker setting as the (first) broker reports it, e.g. group.consumer.session.timeout.ms. */
  async brokerConfig(name: string): Promise<string | undefined> {
    const { brokers } = await this.admin.describeCluster();
    return this.config(BROKER_RESOURCE, String(brokers[0].nodeId), name);
  }

  /** A topic's setting as the broker reports it, e.g. cleanup.policy. */
  async topicConfig(topic: string, name: string): Promise<string | undefined> {
    return this.config(TOPIC_RESOURCE, topic, name);
  }

  private async config(
    type: ConfigResourceTypes,
    resource: string,
    name: string,
  ): Promise<string | undefined> {
    const { resources } = await this.admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type, name: resource, configNames: [name] }],
    });
    return resources[0]?.configEntries.find((e) => e.configName === name)
      ?.configValue;
  }

  /**
   * The group as its coordinator describes it, in either protocol: classic
   * groups through DescribeGroups (kafkajs), KIP-848 groups through
   * ConsumerGroupDescribe (DescribeGroups calls them Dead, with no members),
   * chosen by the engine under test (KAFKA_CLIENT, KAFKA_GROUP_PROTOCOL).
   */
  async describeGroup(
    groupId: string,
    protocol = groupProtocolUnderTest(),
  ): Promise<BrokerGroup> {
    if (protocol === 'consumer') {
      return describeConsumerGroup(this.brokers, groupId);
    }
    const { groups } = await this.admin.describeGroups([groupId]);
    const group = groups[0];
    return {
      groupId,
      state: group.state,
      members: group.members.map((m) => {
        const decoded =
          m.memberAssignment.length > 0
            ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment)
            : null;
        return {
          memberId: m.memberId,
          clientId: m.clientId,
          assignment: Object.fromEntries(
            Object.entries(decoded?.assignment ?? {}).map(([t, ps]) => [
              t,
              [...ps].sort((a, b) => a - b),
            ]),
          ),
        };
      }),
    };
  }

  /**
   * Reads `topic` from the beginning with a throwaway group until `count`
   * records match `where` (all by default), and returns those.
   */
  async readRecords(
    topic: string,
    count: number,
    where: (record: PlainRecord) => boolean = () => true,
  ): Promise<PlainRecord[]> {
    const reader = await this.reader(topic);
    try {
      await waitFor(() => reader.records().filter(where).length >= count, {
        what: `${count} record(s) in ${topic}`,
      });
      return reader.records().filter(where);
    } finally {
      await reader.close();
    }
  }

  /**
   * A reader of the whole `topic` from the beginning (a throwaway group) that
   * keeps reading until it is closed. Each offset counts once: a rebalance of
   * the throwaway group that hands a partition back is not a second copy.
   */
  async reader(topic: string): Promise<TopicReader> {
    const byOffset = new Map<string, PlainRecord>();
    const highest = new Map<number, number>();
    // A short long-poll: disconnect() waits for the fetch in flight.
    const consumer = this.kafka.consumer({
      groupId: uniqueName('reader'),
      maxWaitTimeInMs: 200,
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const offset = Number(message.offset);
        byOffset.set(`${partition}/${offset}`, {
          partition,
          offset,
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? '',
          producer: producerOf(message),
          headers: Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([k, v]) => [
              k,
              String(v),
            ]),
          ),
        });
        highest.set(partition, Math.max(highest.get(partition) ?? -1, offset));
      },
    });
    return {
      records: () => [...byOffset.values()],
      // The consumer reads each partition in order: the record just below the
      // end offset read means all of the partition was (no transactions here).
      readTo: (ends, timeoutMs) =>
        waitFor(
          () =>
            Object.entries(ends).every(
              ([partition, end]) =>
                end === 0 || (highest.get(Number(partition)) ?? -1) >= end - 1,
            ),
          { timeoutMs, what: `${topic} read up to ${JSON.stringify(ends)}` },
        ).then(() => undefined),
      close: () => consumer.disconnect(),
    };
  }

  /**
   * Best effort, and only the topics that exist: one that was never created
   * (a dead-letter topic of a replica that died at boot) fails kafkajs'
   * DeleteTopics after the others are gone, leaving them in its metadata
   * targets, and every later call of this admin then fails with
   * UNKNOWN_TOPIC_OR_PARTITION (seen in CI, one failed test failing the next).
   */
  async deleteTopics(topics: string[]): Promise<void> {
    const existing = new Set(await this.admin.listTopics());
    const doomed = topics.filter((topic) => existing.has(topic));
    if (doomed.length === 0) return;
    await this.admin.deleteTopics({ topics: doomed }).catch(() => undefined);
  }

  /** Best effort: a group that still has members (a killed replica) expires by itself. */
  async deleteGroups(groupIds: string[]): Promise<void> {
    await this.admin.deleteGroups(groupIds).catch(() => undefined);
  }
}

/** The idempotent producer that wrote a record: id, epoch and its batch's first sequence. */
function producerOf(message: object): string | undefined {
  const context = (
    message as {
      batchContext?: {
        producerId?: unknown;
        producerEpoch?: unknown;
        firstSequence?: unknown;
      };
    }
  ).batchContext;
  return context
    ? `producer ${String(context.producerId)} epoch ${String(context.producerEpoch)} sequence ${String(context.firstSequence)}`
    : undefined;
}

/** See TestAdmin.reader. */
export interface TopicReader {
  /** Every record read so far, once per offset. */
  records(): PlainRecord[];
  /** Resolves once every partition was read up to its end offset in `ends`. */
  readTo(ends: Record<number, number>, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface PlainRecord {
  /** Which producer session wrote it (for the loss checker's duplicates). */
  producer?: string;
  partition: number;
  offset: number;
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

/** ConfigResourceTypes.BROKER (kafkajs does not export its enums to ESM importers). */
const BROKER_RESOURCE = 4 as ConfigResourceTypes;
/** ConfigResourceTypes.TOPIC. */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

/** A group as its coordinator describes it; `assignment`: topic → partitions, ascending. */
export interface BrokerGroup {
  groupId: string;
  /** Classic: Stable, PreparingRebalance, CompletingRebalance, Empty, Dead; KIP-848 the same names capitalized (Stable, Assigning, Reconciling, Empty, Dead). */
  state: string;
  members: {
    memberId: string;
    clientId: string;
    assignment: Record<string, number[]>;
    /** KIP-848 only (ConsumerGroupDescribe): the static member's id, null when dynamic. */
    instanceId?: string | null;
    /** KIP-848 only: -2 while a static member is away for the session. */
    memberEpoch?: number;
  }[];
}

/** ConsumerGroupDescribe (KIP-848) on the group's coordinator. */
async function describeConsumerGroup(
  brokers: string[],
  groupId: string,
): Promise<BrokerGroup> {
  const admin = new PlatformaticAdmin({
    clientId: 'e2e-admin',
    bootstrapBrokers: brokers,
  });
  const connection = new Connection('e2e-admin');
  connection.on('error', () => undefined);
  try {
    const [coordinator] = await admin.findCoordinator({
      keyType: 0,
      keys: [groupId],
    });
    await connection.connect(coordinator.host, coordinator.port);
    const { groups } = await consumerGroupDescribeV0.api.async(
      connection,
      [groupId],
      false,
    );
    const group = groups[0];
    const state = group.groupState || 'dead';
    return {
      groupId,
      state: state.charAt(0).toUpperCase() + state.slice(1),
      members: group.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        instanceId: m.instanceId,
        memberEpoch: m.memberEpoch,
        assignment: Object.fromEntries(
          m.assignment.topicPartitions.map((t) => [
            t.topicName,
            [...t.partitions].sort((a, b) => a - b),
          ]),
        ),
      })),
    };
  } catch (error) {
    // A group the coordinator does not know (GROUP_ID_NOT_FOUND) is Dead, as in DescribeGroups.
    if (brokerErrorTypes(error).includes('GROUP_ID_NOT_FOUND')) {
      return { groupId, state: 'Dead', members: [] };
    }
    throw error;
  } finally {
    await connection.close().catch(() => undefined);
    await admin.close().catch(() => undefined);
  }
}
