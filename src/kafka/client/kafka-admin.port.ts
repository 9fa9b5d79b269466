import type { ConsumedRecord } from './group-consumer.port.js';

/**
 * The admin side of the Kafka client port, in plain types. Injected by this
 * abstract class; the kafkajs adapter (src/kafka/kafkajs/kafkajs-admin.ts)
 * implements it. Every call is bounded (`timeoutMs`, default the client's
 * request timeout) and shares one long-lived connection.
 */

export interface BrokerView {
  nodeId: number;
  host: string;
  port: number;
}

export interface ClusterView {
  clusterId: string;
  controller: number | null;
  brokers: BrokerView[];
}

export interface PartitionOffsets {
  partition: number;
  low: string;
  high: string;
}

/** How many copies each partition of a topic has, and how many must acknowledge a write. */
export interface TopicReplication {
  /** Replicas of the topic's first partition (Kafka gives all partitions the same at creation). */
  replicationFactor: number;
  /** The topic's effective min.insync.replicas (its own setting or the broker's); null if unreadable. */
  minInsyncReplicas: number | null;
}

/** One member of a consumer group as Kafka describes it, assignment decoded. */
export interface GroupMemberView {
  memberId: string;
  clientId: string;
  clientHost: string;
  /** Partitions of `topic` assigned to this member, ascending. */
  partitions: number[];
  /** A static member's group.instance.id; null for a dynamic one, undefined when the engine cannot tell. */
  instanceId?: string | null;
  /**
   * KIP-848's member epoch (ConsumerGroupDescribe); -2 while a static member
   * is away for the session (it left, its assignment is held for it).
   * Undefined in the classic protocol, which has none.
   */
  memberEpoch?: number;
}

export interface GroupView {
  groupId: string;
  /** Kafka's group state: Stable, PreparingRebalance, CompletingRebalance, Empty, Dead. */
  state: string;
  members: GroupMemberView[];
}

export abstract class KafkaAdmin {
  abstract describeCluster(timeoutMs?: number): Promise<ClusterView>;

  abstract listTopics(timeoutMs?: number): Promise<string[]>;

  /**
   * Creates the topic; false when it already existed. Waits until every
   * partition has a leader. `replicationFactor` undefined: the broker's
   * default.replication.factor. `configs`: topic settings, e.g.
   * `{ 'cleanup.policy': 'compact' }`.
   */
  abstract createTopic(
    topic: string,
    numPartitions: number,
    replicationFactor: number | undefined,
    timeoutMs?: number,
    configs?: Readonly<Record<string, string>>,
  ): Promise<boolean>;

  /** The topic's replication factor and effective min.insync.replicas. */
  abstract topicReplication(
    topic: string,
    timeoutMs?: number,
  ): Promise<TopicReplication>;

  /** The topic's partition count from the cluster's metadata (0 when unknown). */
  abstract partitionCount(topic: string, timeoutMs?: number): Promise<number>;

  /** Start and end offset of each partition, ascending; asks every partition leader. */
  abstract topicOffsets(
    topic: string,
    timeoutMs?: number,
  ): Promise<PartitionOffsets[]>;

  /**
   * Records of one partition in [fromOffset, untilOffset), read with plain
   * Fetch requests from the partition's leader: no consumer group, no
   * commits, nothing left behind on the broker. Stops early at the
   * partition's end; control records are skipped.
   */
  abstract readPartition(
    topic: string,
    partition: number,
    fromOffset: string,
    untilOffset: string,
    timeoutMs?: number,
  ): Promise<ConsumedRecord[]>;

  /** Committed offsets of `groupId` on `topic`, by partition ('-1' = none yet). */
  abstract committedOffsets(
    groupId: string,
    topic: string,
    timeoutMs?: number,
  ): Promise<Map<number, string>>;

  /**
   * KIP-848: the session timeout the broker applies to `groupId` (the
   * group's consumer.session.timeout.ms, which is the broker's
   * group.consumer.session.timeout.ms unless the group overrides it); null
   * when the engine cannot read group configs.
   */
  abstract groupSessionTimeoutMs(
    groupId: string,
    timeoutMs?: number,
  ): Promise<number | null>;

  /**
   * Removes one member from a group by its member id, as if it had left
   * (classic: LeaveGroup; KIP-848: the leave heartbeat): for a member of this
   * process lost in a crash or an outage, which the group would otherwise
   * wait for until its session ends. False when the group does not know the
   * member (it left, or its session ended).
   */
  abstract removeGroupMember(
    groupId: string,
    memberId: string,
    timeoutMs?: number,
  ): Promise<boolean>;

  /** Each group's state and members, with the partitions of `topic` each member owns. */
  abstract describeGroups(
    groupIds: string[],
    topic: string,
    timeoutMs?: number,
  ): Promise<GroupView[]>;
}
