import { Logger, OnApplicationShutdown } from '@nestjs/common';
import {
  type Admin,
  AssignerProtocol,
  type ConfigResourceTypes,
  type Kafka,
} from 'kafkajs';
import { withTimeout } from '../kafka.errors.js';
import {
  type ClusterView,
  type GroupView,
  KafkaAdmin,
  type PartitionOffsets,
  type TopicReplication,
} from '../client/kafka-admin.port.js';
import type { ConsumedRecord } from '../client/group-consumer.port.js';
import type { BrokerRanking } from '../client/broker-ranking.js';
import { readPartitionWithKafkajs } from './kafkajs-partition-reader.js';
import { removeMemberWithKafkajs } from './kafkajs-member-removal.js';
import { LazyConnection } from './lazy-connection.js';

/**
 * One long-lived admin connection for the whole process: topic provisioning,
 * health checks and lag all share it, so a health probe never opens a socket
 * (terminus' own Kafka check opens a new client per call, terminus#2550).
 * Every call is bounded; after a failure the connection is rebuilt lazily
 * (its seed broker then comes from the BrokerRanking: one that answers).
 */
export class KafkajsAdmin extends KafkaAdmin implements OnApplicationShutdown {
  private readonly logger = new Logger(KafkajsAdmin.name);
  private readonly admin: LazyConnection<Admin>;

  /**
   * `retries`: kafkajs' own retries of a call (callers want a quick yes/no,
   * and run again anyway); `ranking`: told of the brokers this admin's
   * requests time out on.
   */
  constructor(
    private readonly kafka: Kafka,
    private readonly defaultTimeoutMs: number,
    retries: number,
    ranking?: BrokerRanking,
  ) {
    super();
    this.admin = new LazyConnection(() => {
      const admin = kafka.admin({ retry: { retries, initialRetryTime: 100 } });
      return ranking ? ranking.watch(admin) : admin;
    });
  }

  /** Runs `fn` on the connected admin, bounded by `timeoutMs`. */
  private async run<T>(
    what: string,
    fn: (admin: Admin) => Promise<T>,
    timeoutMs = this.defaultTimeoutMs,
  ): Promise<T> {
    try {
      return await withTimeout(
        this.admin.get().then((admin) => fn(admin)),
        timeoutMs,
        what,
      );
    } catch (error) {
      this.reset();
      throw error;
    }
  }

  async describeCluster(timeoutMs?: number): Promise<ClusterView> {
    const { clusterId, controller, brokers } = await this.run(
      'describeCluster',
      (admin) => admin.describeCluster(),
      timeoutMs,
    );
    return {
      clusterId,
      controller,
      brokers: brokers.map(({ nodeId, host, port }) => ({
        nodeId,
        host,
        port,
      })),
    };
  }

  async listTopics(timeoutMs?: number): Promise<string[]> {
    return this.run('listTopics', (admin) => admin.listTopics(), timeoutMs);
  }

  async createTopic(
    topic: string,
    numPartitions: number,
    replicationFactor: number | undefined,
    timeoutMs?: number,
    configs: Readonly<Record<string, string>> = {},
  ): Promise<boolean> {
    return this.run(
      `createTopics(${topic})`,
      (admin) =>
        admin.createTopics({
          // Why -1: CreateTopics then applies the broker's default.replication.factor,
          // so a 3-node cluster's durability is not silently dropped to 1 copy.
          topics: [
            {
              topic,
              numPartitions,
              replicationFactor: replicationFactor ?? -1,
              configEntries: Object.entries(configs).map(([name, value]) => ({
                name,
                value,
              })),
            },
          ],
          waitForLeaders: true,
        }),
      timeoutMs,
    );
  }

  async topicReplication(
    topic: string,
    timeoutMs?: number,
  ): Promise<TopicReplication> {
    const [{ topics }, configs] = await Promise.all([
      this.run(
        `fetchTopicMetadata(${topic})`,
        (admin) => admin.fetchTopicMetadata({ topics: [topic] }),
        timeoutMs,
      ),
      this.run(
        `describeConfigs(${topic})`,
        (admin) =>
          admin.describeConfigs({
            includeSynonyms: false,
            resources: [
              {
                type: TOPIC_RESOURCE,
                name: topic,
                configNames: ['min.insync.replicas'],
              },
            ],
          }),
        timeoutMs,
      ).catch(() => undefined),
    ]);
    const value = configs?.resources[0]?.configEntries.find(
      (e) => e.configName === 'min.insync.replicas',
    )?.configValue;
    return {
      replicationFactor: topics[0]?.partitions[0]?.replicas.length ?? 0,
      minInsyncReplicas: value === undefined ? null : Number(value),
    };
  }

  async partitionCount(topic: string, timeoutMs?: number): Promise<number> {
    const { topics } = await this.run(
      `fetchTopicMetadata(${topic})`,
      (admin) => admin.fetchTopicMetadata({ topics: [topic] }),
      timeoutMs,
    );
    return topics[0]?.partitions.length ?? 0;
  }

  async topicOffsets(
    topic: string,
    timeoutMs?: number,
  ): Promise<PartitionOffsets[]> {
    const offsets = await this.run(
      `fetchTopicOffsets(${topic})`,
      (admin) => admin.fetchTopicOffsets(topic),
      timeoutMs,
    );
    return offsets
      .map(({ partition, low, high }) => ({ partition, low, high }))
      .sort((a, b) => a.partition - b.partition);
  }

  removeGroupMember(
    groupId: string,
    memberId: string,
    timeoutMs = this.defaultTimeoutMs,
  ): Promise<boolean> {
    return withTimeout(
      removeMemberWithKafkajs(this.kafka, groupId, memberId),
      timeoutMs,
      `remove ${memberId} from group ${groupId}`,
    );
  }

  async readPartition(
    topic: string,
    partition: number,
    fromOffset: string,
    untilOffset: string,
    timeoutMs = this.defaultTimeoutMs,
  ): Promise<ConsumedRecord[]> {
    return withTimeout(
      readPartitionWithKafkajs(
        this.kafka,
        topic,
        partition,
        BigInt(fromOffset),
        BigInt(untilOffset),
      ),
      timeoutMs,
      `read ${topic}[${partition}]`,
    );
  }

  /** Committed offsets of `groupId` on `topic`, by partition ('-1' = none yet). */
  async committedOffsets(
    groupId: string,
    topic: string,
    timeoutMs?: number,
  ): Promise<Map<number, string>> {
    const result = await this.run(
      `fetchOffsets(${groupId})`,
      (admin) => admin.fetchOffsets({ groupId, topics: [topic] }),
      timeoutMs,
    );
    const committed = new Map<number, string>();
    for (const { partition, offset } of result.find((t) => t.topic === topic)
      ?.partitions ?? []) {
      committed.set(partition, offset);
    }
    return committed;
  }

  /** Each group's state and members, with the partitions of `topic` each member owns. */
  async describeGroups(
    groupIds: string[],
    topic: string,
    timeoutMs?: number,
  ): Promise<GroupView[]> {
    const { groups } = await this.run(
      'describeGroups',
      (admin) => admin.describeGroups(groupIds),
      timeoutMs,
    );
    return groups.map(({ groupId, state, members }) => ({
      groupId,
      state,
      members: members.map((member) => ({
        memberId: member.memberId,
        clientId: member.clientId,
        // Kafka prefixes the address with a slash (Java's InetAddress.toString).
        clientHost: member.clientHost.replace(/^\//, ''),
        partitions: assignedPartitions(member.memberAssignment, topic),
      })),
    }));
  }

  /** kafkajs refuses DescribeConfigs on a group ("Invalid resource type 32"), and its groups are classic. */
  groupSessionTimeoutMs(): Promise<number | null> {
    return Promise.resolve(null);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admin.close();
  }

  private reset(): void {
    this.admin.rebuild((error: unknown) =>
      this.logger.debug(`admin reset: ${String(error)}`),
    );
  }
}

/** ConfigResourceTypes.TOPIC (kafkajs does not export its enums to ESM importers). */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

/** A member's assignment is bytes in the consumer protocol; empty while a rebalance runs. */
function assignedPartitions(assignment: Buffer, topic: string): number[] {
  if (!assignment || assignment.length === 0) {
    return [];
  }
  try {
    const decoded = AssignerProtocol.MemberAssignment.decode(assignment);
    return [...(decoded?.assignment[topic] ?? [])].sort((a, b) => a - b);
  } catch {
    return [];
  }
}
