import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  Admin,
  type AdminOptions,
  type Connection,
  consumerGroupDescribeV0,
  consumerGroupHeartbeatV0,
  fetchV17,
  kGetConnection,
  leaveGroupV3,
} from '@platformatic/kafka';
import type { GroupProtocol } from '../../config/configuration.js';
import { ConnectionFailures } from '../client/connection-failures.js';
import { brokerErrorTypes, isTimeout, withTimeout } from '../kafka.errors.js';
import type { BrokerRanking } from '../client/broker-ranking.js';
import { recordFailures } from './platformatic-options.js';
import type {
  ConsumedRecord,
  RecordHeaderValue,
} from '../client/group-consumer.port.js';
import { addHeader } from '../client/record-headers.js';
import { PartitionRange } from '../client/partition-range.js';
import {
  type ClusterView,
  type GroupView,
  KafkaAdmin,
  type PartitionOffsets,
  type TopicReplication,
} from '../client/kafka-admin.port.js';

/** ConfigResourceTypes.TOPIC and FindCoordinator's key type of a group. */
const TOPIC_RESOURCE = 2;
const GROUP_KEY = 0;
/** ConfigResource type GROUP (KIP-848 group configs); the broker fills in its own default. */
const GROUP_RESOURCE = 32;
const SESSION_TIMEOUT = 'consumer.session.timeout.ms';
/** Kafka's default group.consumer.session.timeout.ms, should a broker not name it. */
const DEFAULT_SESSION_TIMEOUT_MS = 45_000;
/** ListOffsets' timestamps for the log start and the log end. */
const EARLIEST = -2n;
/** Fetch: READ_COMMITTED (no aborted records), and at most this much per answer. */
const READ_COMMITTED = 1;
const FETCH_MAX_BYTES = 4 * 1024 * 1024;
const LATEST = -1n;
/** ConsumerGroupHeartbeat's member epoch of a member that leaves the group. */
const LEAVE_EPOCH = -1;

/**
 * The admin port on @platformatic/kafka: one client for the process, every
 * call bounded. Groups of KIP-848's consumer protocol are described with
 * ConsumerGroupDescribe (the classic DescribeGroups calls them Dead, with no
 * members); classic groups with DescribeGroups.
 */
export class PlatformaticAdmin
  extends KafkaAdmin
  implements OnApplicationShutdown
{
  private readonly logger = new Logger(PlatformaticAdmin.name);
  private admin: Admin;

  constructor(
    private options: AdminOptions,
    private readonly defaultTimeoutMs: number,
    private readonly groupProtocol: GroupProtocol,
    private readonly failures?: ConnectionFailures,
    /** Told when a metadata read timed out: it went to the first bootstrap broker. */
    private readonly ranking?: BrokerRanking,
  ) {
    super();
    this.admin = this.client();
  }

  private client(): Admin {
    if (this.failures) recordFailures(this.failures);
    return new Admin(this.options);
  }

  private async run<T>(
    what: string,
    fn: (admin: Admin) => Promise<T>,
    timeoutMs = this.defaultTimeoutMs,
  ): Promise<T> {
    const admin = this.admin;
    const first = this.options.bootstrapBrokers[0];
    try {
      return await withTimeout(fn(admin), timeoutMs, what);
    } catch (error) {
      // The library reads metadata from the first bootstrap broker it can
      // connect to (a frozen broker accepts connections): a timed-out
      // metadata read names that one, whichever call replaced the client.
      if (isMetadataRead(what) && first && isTimeout(error)) {
        this.ranking?.hung(
          typeof first === 'string' ? first : `${first.host}:${first.port}`,
          'Metadata',
        );
      }
      // A request left hanging on a frozen broker must not hold the next
      // call, and the next client starts from another broker (the one it
      // asked first may be the one that hangs).
      if (this.admin === admin) {
        this.options = {
          ...this.options,
          bootstrapBrokers: this.nextBootstrap(),
        };
        this.admin = this.client();
        admin
          .close()
          .catch((closeError: unknown) =>
            this.logger.debug(`admin reset: ${String(closeError)}`),
          );
      }
      throw error;
    }
  }

  /** The bootstrap list of the next client: rotated, brokers that hung lately (BrokerRanking) last. */
  private nextBootstrap(): AdminOptions['bootstrapBrokers'] {
    const order = rotated(this.options.bootstrapBrokers);
    if (!this.ranking) return order;
    const answering = new Set(this.ranking.brokers());
    const address = (b: (typeof order)[number]) =>
      typeof b === 'string' ? b : `${b.host}:${b.port}`;
    const first = order.filter((b) => answering.has(address(b)));
    const last = order.filter((b) => !answering.has(address(b)));
    return [...first, ...last] as AdminOptions['bootstrapBrokers'];
  }

  async describeCluster(timeoutMs?: number): Promise<ClusterView> {
    const metadata = await this.run(
      'describeCluster',
      (admin) => admin.metadata({ topics: [], forceUpdate: true }),
      timeoutMs,
    );
    return {
      clusterId: metadata.id,
      controller: metadata.controllerId >= 0 ? metadata.controllerId : null,
      brokers: [...metadata.brokers].map(([nodeId, { host, port }]) => ({
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
    timeoutMs = this.defaultTimeoutMs,
    configs: Readonly<Record<string, string>> = {},
  ): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const created = await this.run(
      `createTopics(${topic})`,
      (admin) =>
        admin
          .createTopics({
            topics: [topic],
            partitions: numPartitions,
            // -1: the broker's default.replication.factor.
            replicas: replicationFactor ?? -1,
            configs: Object.entries(configs).map(([name, value]) => ({
              name,
              value,
            })),
          })
          .then(
            () => true,
            (error: unknown) => {
              if (brokerErrorTypes(error).includes('TOPIC_ALREADY_EXISTS'))
                return false;
              throw error;
            },
          ),
      timeoutMs,
    );
    // Like kafkajs' waitForLeaders: every partition has a leader before it is used.
    while (Date.now() < deadline) {
      const metadata = await this.run(
        `metadata(${topic})`,
        (admin) => admin.metadata({ topics: [topic], forceUpdate: true }),
        Math.max(deadline - Date.now(), 1),
      ).catch(() => undefined);
      const partitions = metadata?.topics.get(topic)?.partitions ?? [];
      if (
        partitions.length > 0 &&
        partitions.every((partition) => partition && partition.leader >= 0)
      ) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return created;
  }

  async topicReplication(
    topic: string,
    timeoutMs?: number,
  ): Promise<TopicReplication> {
    const [metadata, configs] = await Promise.all([
      this.run(
        `metadata(${topic})`,
        (admin) => admin.metadata({ topics: [topic], forceUpdate: true }),
        timeoutMs,
      ),
      this.run(
        `describeConfigs(${topic})`,
        (admin) =>
          admin.describeConfigs({
            resources: [
              {
                resourceType: TOPIC_RESOURCE,
                resourceName: topic,
                configurationKeys: ['min.insync.replicas'],
              },
            ],
          }),
        timeoutMs,
      ).catch(() => undefined),
    ]);
    const value = configs?.[0]?.configs.find(
      (config) => config.name === 'min.insync.replicas',
    )?.value;
    return {
      replicationFactor:
        metadata.topics.get(topic)?.partitions[0]?.replicas.length ?? 0,
      minInsyncReplicas:
        value === undefined || value === null ? null : Number(value),
    };
  }

  async partitionCount(topic: string, timeoutMs?: number): Promise<number> {
    const metadata = await this.run(
      `metadata(${topic})`,
      (admin) => admin.metadata({ topics: [topic], forceUpdate: true }),
      timeoutMs,
    );
    return metadata.topics.get(topic)?.partitionsCount ?? 0;
  }

  async topicOffsets(
    topic: string,
    timeoutMs?: number,
  ): Promise<PartitionOffsets[]> {
    const count = await this.partitionCount(topic, timeoutMs);
    const at = (timestamp: bigint) =>
      this.run(
        `listOffsets(${topic})`,
        (admin) =>
          admin.listOffsets({
            topics: [
              {
                name: topic,
                partitions: Array.from({ length: count }, (_, i) => ({
                  partitionIndex: i,
                  timestamp,
                })),
              },
            ],
          }),
        timeoutMs,
      );
    const [low, high] = await Promise.all([at(EARLIEST), at(LATEST)]);
    const offsetsOf = (listed: typeof low) =>
      new Map(
        (listed.find((t) => t.name === topic)?.partitions ?? []).map((p) => [
          p.partitionIndex,
          String(p.offset),
        ]),
      );
    const lows = offsetsOf(low);
    const highs = offsetsOf(high);
    return [...highs.keys()]
      .sort((a, b) => a - b)
      .map((partition) => ({
        partition,
        low: lows.get(partition) ?? '0',
        high: highs.get(partition) ?? '0',
      }));
  }

  async committedOffsets(
    groupId: string,
    topic: string,
    timeoutMs?: number,
  ): Promise<Map<number, string>> {
    const count = await this.partitionCount(topic, timeoutMs);
    const groups = await this.run(
      `listConsumerGroupOffsets(${groupId})`,
      (admin) =>
        admin.listConsumerGroupOffsets({
          groups: [
            {
              groupId,
              topics: [
                {
                  name: topic,
                  partitionIndexes: Array.from({ length: count }, (_, i) => i),
                },
              ],
            },
          ],
        }),
      timeoutMs,
    );
    const committed = new Map<number, string>();
    const partitions =
      groups
        .find((g) => g.groupId === groupId)
        ?.topics.find((t) => t.name === topic)?.partitions ?? [];
    for (const { partitionIndex, committedOffset } of partitions) {
      committed.set(partitionIndex, String(committedOffset));
    }
    return committed;
  }

  async describeGroups(
    groupIds: string[],
    topic: string,
    timeoutMs?: number,
  ): Promise<GroupView[]> {
    if (this.groupProtocol === 'consumer') {
      return this.run(
        'consumerGroupDescribe',
        () => this.describeConsumerGroups(groupIds, topic),
        timeoutMs,
      );
    }
    const groups = await this.run(
      'describeGroups',
      (admin) => admin.describeGroups({ groups: groupIds }),
      timeoutMs,
    );
    return groupIds.map((groupId) => {
      const group = groups.get(groupId);
      return {
        groupId,
        state: group?.state ?? 'Dead',
        members: [...(group?.members.values() ?? [])].map((member) => ({
          memberId: member.id,
          clientId: member.clientId,
          clientHost: member.clientHost.replace(/^\//, ''),
          partitions: [
            ...(member.assignments?.get(topic)?.partitions ?? []),
          ].sort((a, b) => a - b),
          instanceId: member.groupInstanceId ?? null,
        })),
      };
    });
  }

  /**
   * Plain Fetch requests to the partition's leader on the admin's pooled
   * connection: no consumer, no group, no fetch session (epoch -1 asks for
   * a full, sessionless fetch each time).
   */
  async readPartition(
    topic: string,
    partition: number,
    fromOffset: string,
    untilOffset: string,
    timeoutMs = this.defaultTimeoutMs,
  ): Promise<ConsumedRecord[]> {
    return withTimeout(
      this.fetchRange(
        topic,
        partition,
        BigInt(fromOffset),
        BigInt(untilOffset),
      ),
      timeoutMs,
      `read ${topic}[${partition}]`,
    );
  }

  private async fetchRange(
    topic: string,
    partition: number,
    from: bigint,
    until: bigint,
  ): Promise<ConsumedRecord[]> {
    const metadata = await this.admin.metadata({
      topics: [topic],
      forceUpdate: true,
    });
    const described = metadata.topics.get(topic);
    const leader = described?.partitions[partition]?.leader ?? -1;
    const broker = metadata.brokers.get(leader);
    if (!described || !broker) {
      throw new Error(`${topic}[${partition}] has no leader right now`);
    }
    const connection = await this.coordinator(broker.host, broker.port);
    const range = new PartitionRange(from, until);
    do {
      const answer = await fetchV17.api.async(
        connection,
        0,
        0,
        FETCH_MAX_BYTES,
        READ_COMMITTED,
        0,
        -1,
        [
          {
            topicId: described.id,
            partitions: [
              {
                partition,
                currentLeaderEpoch: -1,
                fetchOffset: range.next,
                lastFetchedEpoch: -1,
                partitionMaxBytes: FETCH_MAX_BYTES,
              },
            ],
          },
        ],
        [],
        '',
      );
      const fetched = answer.responses[0]?.partitions[0];
      if (!fetched) break;
      for (const batch of fetched.records ?? []) {
        // Bit 5 of a batch's attributes: a control batch (transaction markers).
        const control = (batch.attributes & 0x20) !== 0;
        for (const record of batch.records) {
          range.take(
            batch.firstOffset + BigInt(record.offsetDelta),
            control,
            () => ({
              offset: String(batch.firstOffset + BigInt(record.offsetDelta)),
              key: record.key,
              value: record.value,
              headers: headersOf(record.headers),
              timestamp: String(batch.firstTimestamp + record.timestampDelta),
            }),
          );
        }
      }
      if (!range.again(fetched.highWatermark)) break;
    } while (range.next < until);
    return range.records;
  }

  async groupSessionTimeoutMs(
    groupId: string,
    timeoutMs?: number,
  ): Promise<number> {
    const [resource] = await this.run(
      `describeConfigs(group ${groupId})`,
      (admin) =>
        admin.describeConfigs({
          resources: [
            {
              resourceType: GROUP_RESOURCE,
              resourceName: groupId,
              configurationKeys: [SESSION_TIMEOUT],
            },
          ],
        }),
      timeoutMs,
    );
    const value = resource?.configs.find(
      (c) => c.name === SESSION_TIMEOUT,
    )?.value;
    return Number(value ?? DEFAULT_SESSION_TIMEOUT_MS);
  }

  removeGroupMember(
    groupId: string,
    memberId: string,
    timeoutMs = this.defaultTimeoutMs,
  ): Promise<boolean> {
    return this.run(
      `remove ${memberId} from group ${groupId}`,
      () =>
        this.removeMember(groupId, memberId).catch((error: unknown) => {
          // Not a failure of the client: the member is gone already.
          if (brokerErrorTypes(error).includes('UNKNOWN_MEMBER_ID')) {
            return false;
          }
          throw error;
        }),
      timeoutMs,
    );
  }

  /** Sent to the group's coordinator on the admin's pooled connection. */
  private async removeMember(
    groupId: string,
    memberId: string,
  ): Promise<boolean> {
    const [coordinator] = await this.admin.findCoordinator({
      keyType: GROUP_KEY,
      keys: [groupId],
    });
    if (!coordinator || coordinator.nodeId < 0) {
      throw new Error(`group ${groupId} has no coordinator right now`);
    }
    const connection = await this.coordinator(
      coordinator.host,
      coordinator.port,
    );
    if (this.groupProtocol === 'consumer') {
      // KIP-848: a heartbeat of the member with epoch -1 is its leave.
      await consumerGroupHeartbeatV0.api.async(
        connection,
        groupId,
        memberId,
        LEAVE_EPOCH,
        null,
        null,
        0,
        [],
        null,
        null,
        [],
      );
    } else {
      await leaveGroupV3.api.async(connection, groupId, [{ memberId }]);
    }
    return true;
  }

  /** KIP-848 groups, from their coordinators (ConsumerGroupDescribe). */
  private async describeConsumerGroups(
    groupIds: string[],
    topic: string,
  ): Promise<GroupView[]> {
    const coordinators = await this.admin.findCoordinator({
      keyType: GROUP_KEY,
      keys: groupIds,
    });
    return Promise.all(
      groupIds.map(async (groupId) => {
        const coordinator = coordinators.find((c) => c.key === groupId);
        if (!coordinator || coordinator.nodeId < 0) {
          return { groupId, state: 'Dead', members: [] };
        }
        const connection = await this.coordinator(
          coordinator.host,
          coordinator.port,
        );
        const { groups } = await consumerGroupDescribeV0.api
          .async(connection, [groupId], false)
          .catch((error: unknown) => {
            // A group its coordinator does not know: Dead, as DescribeGroups says.
            if (brokerErrorTypes(error).includes('GROUP_ID_NOT_FOUND')) {
              return { groups: [] };
            }
            throw error;
          });
        const group = groups[0];
        return {
          groupId,
          // Kafka names the consumer protocol's states in lower case ('stable', 'empty').
          state: capitalized(group?.groupState ?? 'dead'),
          members: (group?.members ?? []).map((member) => ({
            memberId: member.memberId,
            clientId: member.clientId,
            clientHost: member.clientHost.replace(/^\//, ''),
            partitions: member.assignment.topicPartitions
              .filter((t) => t.topicName === topic)
              .flatMap((t) => t.partitions)
              .sort((a, b) => a - b),
            instanceId: member.instanceId ?? null,
            memberEpoch: member.memberEpoch,
          })),
        };
      }),
    );
  }

  /**
   * The admin's own pooled connection to the coordinator (exported hook of
   * the library): no socket of its own, so reads the service repeats (health,
   * lag, the dashboard) open none after the first.
   */
  private coordinator(host: string, port: number): Promise<Connection> {
    const admin = this.admin;
    return new Promise((resolve, reject) =>
      admin[kGetConnection]({ host, port }, (error, connection) =>
        error || !connection
          ? reject(error ?? new Error('no connection'))
          : resolve(connection),
      ),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admin.close();
  }
}

/** describeCluster and partitionCount: the calls that read metadata. */
function isMetadataRead(what: string): boolean {
  return what === 'describeCluster' || what.startsWith('metadata(');
}

/** The same brokers, the first one last. */
function rotated(
  brokers: AdminOptions['bootstrapBrokers'],
): AdminOptions['bootstrapBrokers'] {
  const list: (string | { host: string; port: number })[] = [...brokers];
  if (list.length > 1) list.push(list.shift() as string);
  return list as AdminOptions['bootstrapBrokers'];
}

function capitalized(state: string): string {
  return state.charAt(0).toUpperCase() + state.slice(1);
}

/** A fetched record's headers as the port's header object. */
function headersOf(
  headers: [Buffer | null, Buffer | null][],
): Record<string, RecordHeaderValue> {
  const into: Record<string, RecordHeaderValue> = {};
  for (const [name, value] of headers) {
    if (name) addHeader(into, name.toString(), value ?? '');
  }
  return into;
}
