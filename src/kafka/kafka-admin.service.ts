import {
  Inject,
  Injectable,
  Logger,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Admin, Kafka } from 'kafkajs';
import { kafkaConfig } from '../config/config.namespaces.js';
import { KAFKA_CLIENT } from './kafka.constants.js';
import { withTimeout } from './kafka.errors.js';
import { LazyConnection } from './lazy-connection.js';

export interface PartitionOffsets {
  partition: number;
  low: string;
  high: string;
}

/**
 * One long-lived admin connection for the whole process: topic provisioning,
 * health checks and lag all share it, so a health probe never opens a socket
 * (terminus' own Kafka check opens a new client per call, terminus#2550).
 * Every call is bounded; after a failure the connection is rebuilt lazily.
 */
@Injectable()
export class KafkaAdminService implements OnApplicationShutdown {
  private readonly logger = new Logger(KafkaAdminService.name);
  private readonly admin: LazyConnection<Admin>;

  constructor(
    @Inject(KAFKA_CLIENT) kafka: Kafka,
    @Inject(kafkaConfig.KEY)
    private readonly config: ConfigType<typeof kafkaConfig>,
  ) {
    // A short retry budget: callers want a quick yes/no, and run again anyway.
    this.admin = new LazyConnection(
      kafka.admin({ retry: { retries: 1, initialRetryTime: 100 } }),
    );
  }

  /** Runs `fn` on the connected admin, bounded by `timeoutMs`. */
  async run<T>(
    what: string,
    fn: (admin: Admin) => Promise<T>,
    timeoutMs = this.config.requestTimeoutMs,
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

  async describeCluster(timeoutMs?: number) {
    return this.run(
      'describeCluster',
      (admin) => admin.describeCluster(),
      timeoutMs,
    );
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

  /** Kafka's state of each group ('Stable', 'Empty', 'Dead', ...) and its member count. */
  async groupStates(
    groupIds: string[],
    timeoutMs?: number,
  ): Promise<Map<string, { state: string; members: number }>> {
    const { groups } = await this.run(
      'describeGroups',
      (admin) => admin.describeGroups(groupIds),
      timeoutMs,
    );
    return new Map(
      groups.map(({ groupId, state, members }) => [
        groupId,
        { state, members: members.length },
      ]),
    );
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
