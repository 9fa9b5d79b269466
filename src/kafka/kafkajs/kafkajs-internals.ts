import { createRequire } from 'node:module';

/**
 * The one place for what this service relies on inside kafkajs (kafkajs 2.2.4
 * is unmaintained; its fixes in this folder replace or wrap internal
 * modules): the shapes of the internal objects the fixes read and call, and
 * the version they were written against, checked at boot.
 */

/** The kafkajs release the fixes in this folder were written against and tested with. */
export const KAFKAJS_VERSION = '2.2.4';

const require = createRequire(import.meta.url);

/**
 * Stops the boot when the installed kafkajs is not the release the fixes fit:
 * another release may lay out or behave differently inside, and a fix that
 * does not fit must fail loudly, not silently.
 */
export function assertPatchedKafkajs(
  installed = (require('kafkajs/package.json') as { version: string }).version,
): void {
  if (installed !== KAFKAJS_VERSION) {
    throw new Error(
      `kafkajs ${installed} is installed, but the fixes in src/kafka/kafkajs were written against kafkajs ${KAFKAJS_VERSION}: install ${KAFKAJS_VERSION} (package-lock.json), or re-check every fix and its spec against the new release`,
    );
  }
}

// --- the producer (kafkajs-produce-retry.fix.ts) ---

/** One record as kafkajs' producer hands it on (opaque here). */
export type Message = object;
export interface TopicMessages {
  topic: string;
  messages: Message[];
}
export interface SendOptions {
  acks: number;
  timeout?: number;
  compression?: number;
  topicMessages: TopicMessages[];
}
/** One partition's answer, as kafkajs' producer returns it. */
export interface PartitionAnswer {
  topicName: string;
  partition: number;
}
export interface PartitionData {
  partition: number;
  messages: Message[];
  firstSequence?: number;
}
export interface TopicData {
  topic: string;
  partitions: PartitionData[];
}
export interface Broker {
  nodeId: number;
  produce(request: object): Promise<unknown>;
}
export interface Cluster {
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number }[];
  findLeaderForPartitions(
    topic: string,
    partitions: number[],
  ): Record<string, number[]>;
  findBroker(options: { nodeId: string }): Promise<Broker>;
  removeBroker(options: { host: string; port: number }): void;
  isConnected(): boolean;
  connect(): Promise<void>;
}
export interface EosManager {
  acquireBrokerLock(broker: Broker): Promise<void>;
  releaseBrokerLock(broker: Broker): void | Promise<void>;
  isTransactional(): boolean;
  addPartitionsToTransaction(topicData: TopicData[]): Promise<void>;
  getTransactionalId(): string;
  getProducerId(): number;
  getProducerEpoch(): number;
  getSequence(topic: string, partition: number): number;
  updateSequence(topic: string, partition: number, increment: number): void;
}
export type Retrier = <T>(
  attempt: (
    bail: (error: Error) => void,
    retryCount: number,
    retryTime: number,
  ) => Promise<T>,
) => Promise<T>;
export interface LoggerLike {
  debug(message: string, extra?: object): void;
  error(message: string, extra?: object): void;
  warn(message: string, extra?: object): void;
}
export interface SendMessagesDeps {
  logger: LoggerLike;
  cluster: Cluster;
  partitioner: (args: object) => number;
  eosManager: EosManager;
  retrier: Retrier;
}
export type KafkaError = Error & {
  type?: string;
  retriable?: boolean;
  host?: string;
  port?: number;
  /** `host:port` of a request that timed out (KafkaJSRequestTimeoutError). */
  broker?: string;
};

// --- records (kafkajs-record-decoding.fix.ts, kafkajs-record-encoding.fix.ts) ---

/** The part of kafkajs' protocol Decoder a record is read with. */
export interface Decoder {
  buffer: Buffer;
  offset: number;
  readInt8(): number;
  readVarInt(): number;
  readVarLong(): { toString(): string };
  readVarIntBytes(): Buffer | null;
  readVarIntString(): string | null;
}

/** One header as read: a record may repeat a key. */
export interface DecodedHeader {
  key: string;
  value: Buffer;
}
export type HeaderValue = Buffer | Buffer[];

/** What kafkajs' record batch decoder passes along with each record. */
export interface BatchContext {
  firstOffset?: string;
  firstTimestamp?: string;
  maxTimestamp?: string;
  magicByte?: number;
  isControlBatch?: boolean;
  timestampType?: number;
}

/** A record as kafkajs' produce request hands it to the record encoder. */
export interface RecordToEncode {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[]>;
}

/** kafkajs' protocol Encoder, as the record batch encoder reads it. */
export interface Encoder {
  buf: Buffer;
  offset: number;
}

// --- the request queue (kafkajs-timeout.fix.ts) ---

/** kafkajs' request queue, as the throttle check reads it. */
export interface RequestQueue {
  throttledUntil: number;
  pending: unknown[];
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(this: void): void;
  scheduleCheckPendingRequests: (this: RequestQueue) => void;
  __clampedTimeout?: true;
}

// --- plain partition reads (kafkajs-partition-reader.ts) ---

/** One record as kafkajs' Fetch response decodes it. */
export interface FetchedMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | Buffer[] | undefined>;
  isControlRecord?: boolean;
}
export interface FetchResponse {
  responses: {
    topicName: string;
    partitions: {
      partition: number;
      errorCode: number;
      highWatermark: string;
      messages: FetchedMessage[];
    }[];
  }[];
}
/** A broker connection of kafkajs' cluster, as far as a plain Fetch needs it. */
export interface FetchingBroker {
  fetch(request: {
    replicaId?: number;
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: {
      topic: string;
      partitions: {
        partition: number;
        fetchOffset: string;
        maxBytes: number;
      }[];
    }[];
  }): Promise<FetchResponse>;
}
/** kafkajs' Cluster, for reads and group requests outside a consumer of its own. */
export interface ReadingCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findLeaderForPartitions(
    topic: string,
    partitions: number[],
  ): Record<string, number[]>;
  findBroker(options: { nodeId: string }): Promise<FetchingBroker>;
  findGroupCoordinator(options: {
    groupId: string;
  }): Promise<GroupCoordinatorBroker>;
}

/** The group coordinator's connection, as far as a LeaveGroup needs it. */
export interface GroupCoordinatorBroker {
  leaveGroup(request: { groupId: string; memberId: string }): Promise<unknown>;
}

/**
 * kafkajs' Kafka class builds each client's Cluster with a private,
 * symbol-keyed factory (`private:Kafka:createCluster` in 2.2.4); kafkajs has
 * no public way to read a partition without joining a group, nor to remove
 * another member from a group (LeaveGroup). Read here,
 * never replaced; a kafkajs without it fails the read loudly.
 */
export function clusterOf(kafka: object): ReadingCluster {
  const key = Object.getOwnPropertySymbols(kafka).find(
    (symbol) => symbol.description === 'private:Kafka:createCluster',
  );
  const create = key ? (kafka as Record<symbol, unknown>)[key] : undefined;
  if (typeof create !== 'function') {
    throw new Error(
      `kafkajs ${KAFKAJS_VERSION}'s private cluster factory is missing: this kafkajs cannot read a partition without a group`,
    );
  }
  return (create as (options: object) => ReadingCluster)({
    allowAutoTopicCreation: false,
    maxInFlightRequests: 1,
  });
}
