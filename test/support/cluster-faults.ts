import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { LocalBroker, privateBrokerPort } from './kafka-broker.js';
import { REPO_ROOT } from './repo-root.js';
import { waitFor } from './wait-for.js';

/**
 * Faults of one node of the local 3-node cluster (tools/kafka/kafka.sh, node
 * N on client port BASE+N-1), and the cluster's own view of who leads what,
 * read without ever waiting on a frozen node.
 */

/**
 * The faults' private 3-node cluster (KAFKA_LOCAL_NODES=3), 500 above the
 * shared test broker: node N on client port `ports[N-1]`.
 */
export function faultsCluster() {
  const base = privateBrokerPort(
    (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    500,
  );
  const ports = [base, base + 1, base + 2];
  return {
    ports,
    brokers: ports.map((p) => `127.0.0.1:${p}`),
    cluster: new LocalBroker(base, { KAFKA_LOCAL_NODES: '3' }),
  };
}

/** The state folder of the node on `port` (tools/kafka/kafka.sh: .kafka/<port>/). */
function nodeDir(port: number): string {
  return join(REPO_ROOT, '.kafka', String(port));
}

/** The JVM of the node on `port` (.kafka/<port>/broker.pid). */
export function nodePid(port: number): number {
  return Number(readFileSync(join(nodeDir(port), 'broker.pid'), 'utf8'));
}

/** SIGKILL (dies), SIGSTOP (hangs: its sockets stay open) or SIGCONT (resumes). */
export function signalNode(
  port: number,
  signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT',
): void {
  process.kill(nodePid(port), signal);
}

/**
 * The node that is the KRaft quorum's leader (the active controller) as the
 * nodes themselves last wrote it (`quorum-state` in each node's metadata log
 * directory): the newest epoch's leader. Read from files, so a frozen node
 * never stalls it.
 */
export function activeController(ports: readonly number[]): number {
  let newest = { leaderId: -1, leaderEpoch: -1 };
  for (const port of ports) {
    const file = join(
      nodeDir(port),
      'data',
      '__cluster_metadata-0',
      'quorum-state',
    );
    try {
      const state = JSON.parse(readFileSync(file, 'utf8')) as {
        leaderId?: number;
        leaderEpoch?: number;
      };
      const leaderId = state.leaderId ?? -1;
      const leaderEpoch = state.leaderEpoch ?? -1;
      if (leaderId > 0 && leaderEpoch > newest.leaderEpoch)
        newest = { leaderId, leaderEpoch };
    } catch {
      // Not written yet by this node: the others say it.
    }
  }
  if (newest.leaderId < 0) throw new Error('no node names a quorum leader yet');
  return newest.leaderId;
}

/** Leader node id of each partition, per topic; -1 for a partition without one. */
export type Leadership = Record<string, number[]>;

/**
 * Who leads each partition of `topics`, asked of `brokers` only (leave the
 * frozen node out) with a fresh client and short bounds, so a hanging node
 * never stalls the test's own view.
 */
export async function leadership(
  brokers: string[],
  topics: string[],
): Promise<Leadership> {
  const admin = shortBoundAdmin(brokers);
  try {
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics });
    const view: Leadership = {};
    for (const t of meta.topics) {
      const leaders: number[] = [];
      for (const p of t.partitions) leaders[p.partitionId] = p.leader;
      view[t.name] = leaders;
    }
    return view;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** A fresh admin on `brokers` that never retries and waits 1.5 s at most per request. */
function shortBoundAdmin(brokers: string[]): Admin {
  return new Kafka({
    clientId: 'fault-view',
    brokers,
    connectionTimeout: 1_000,
    requestTimeout: 1_500,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
}

const NOT_LOADED = [
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
];

/**
 * True when `groupId`'s coordinator answers DescribeGroups without an error:
 * after a restart it answers COORDINATOR_LOAD_IN_PROGRESS until it has read its
 * __consumer_offsets partition again.
 */
export async function coordinatorLoaded(
  brokers: string[],
  groupId: string,
  topic: string,
): Promise<boolean> {
  const admin = shortBoundAdmin(brokers);
  try {
    await admin.connect();
    // Fills the client's broker list: finding a coordinator needs it.
    await admin.fetchTopicMetadata({ topics: [topic] });
    // kafkajs throws the group's error code (e.g. COORDINATOR_LOAD_IN_PROGRESS).
    const { groups } = await admin.describeGroups([groupId]);
    return groups.length === 1;
  } catch (error) {
    // Any other answer about the group (e.g. GROUP_ID_NOT_FOUND for a KIP-848
    // group) still comes from a loaded coordinator.
    const type = (error as { type?: string }).type;
    if (type && !NOT_LOADED.includes(type)) return true;
    throw error;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** True when no partition of any topic in `view` is led by `node` or leaderless. */
export function ledElsewhere(view: Leadership, node: number): boolean {
  return Object.values(view).every((leaders) =>
    leaders.every((leader) => leader >= 0 && leader !== node),
  );
}

/**
 * The __consumer_offsets partition holding `groupId` (its coordinator is that
 * partition's leader): Kafka's Utils.abs(groupId.hashCode()) % partitions.
 */
export function offsetsPartitionOf(
  groupId: string,
  partitions: number,
): number {
  let hash = 0;
  for (let i = 0; i < groupId.length; i++)
    hash = (Math.imul(hash, 31) + groupId.charCodeAt(i)) | 0;
  return (hash & 0x7fffffff) % partitions;
}

/**
 * Right after a (re)start, a node may answer "This server does not host this
 * topic-partition" until the new topic's metadata reached it: retry, bounded,
 * until every partition has a leader.
 */
export async function createTopicOnEveryNode(
  admin: Admin,
  topic: string,
): Promise<void> {
  await waitFor(
    async () => {
      await admin.createTopics({
        topics: [{ topic, numPartitions: 3, replicationFactor: 3 }],
        waitForLeaders: true,
      });
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const partitions = topics[0]?.partitions ?? [];
      return partitions.length === 3 && partitions.every((p) => p.leader >= 0);
    },
    {
      what: `topic ${topic} created with a leader per partition`,
      timeoutMs: 60_000,
    },
  );
}
