import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { consumersConfig } from '../config/config.namespaces.js';
import type { ConsumedRecord } from '../kafka/client/group-consumer.port.js';
import {
  KafkaAdmin,
  type PartitionOffsets,
} from '../kafka/client/kafka-admin.port.js';
import {
  deadLetterTopicName,
  redriveLedgerTopicName,
} from '../kafka/kafka.constants.js';
import { TopicService } from '../kafka/topics/topic.service.js';
import { type DeadLetterEntry, deadLetterEntry } from './dead-letter-entry.js';
import { newestRanges, pageOf } from './dead-letter-paging.js';
import { ledgerKey, ledgerOf, type LedgerValue } from './redrive-ledger.js';

/** One group whose dead letters can be listed and redriven. */
export interface KnownGroup {
  role: 'realtime' | 'analytics';
  groupId: string;
  dlqTopic: string;
}

export interface DeadLetterPage {
  group: string;
  groupId: string;
  dlqTopic: string;
  /** Dead letters the topic holds now (all partitions, end minus start). */
  count: number;
  entries: DeadLetterEntry[];
  /** Pass as `before` for the next (older) page; null when this is the last. */
  nextBefore: string | null;
}

/**
 * Reads a group's dead-letter topic and the redrive ledger with plain
 * partition reads bounded by their end offsets (KafkaAdmin.readPartition):
 * no consumer group, no commits, so any replica can answer.
 */
@Injectable()
export class DeadLettersService {
  constructor(
    private readonly admin: KafkaAdmin,
    private readonly topics: TopicService,
    @Inject(consumersConfig.KEY)
    private readonly consumers: ConfigType<typeof consumersConfig>,
  ) {}

  /** Both groups, by role name and group id. */
  known(): KnownGroup[] {
    const topic = this.topics.topic;
    return [
      { role: 'realtime' as const, groupId: this.consumers.realtimeGroupId },
      { role: 'analytics' as const, groupId: this.consumers.analyticsGroupId },
    ].map((group) => ({
      ...group,
      dlqTopic: deadLetterTopicName(topic, group.groupId),
    }));
  }

  /** The group named by role or id; 404 naming the known ones otherwise. */
  group(name: string): KnownGroup {
    const known = this.known();
    const found = known.find((g) => g.role === name || g.groupId === name);
    if (!found) {
      throw new NotFoundException(
        `unknown group "${name.slice(0, 100)}": known groups are ${known
          .map((g) => `${g.role} (group id ${g.groupId})`)
          .join(' and ')}`,
      );
    }
    return found;
  }

  /** Start and end offsets of the group's dead-letter topic; none when it was never created. */
  async dlqOffsets(group: KnownGroup): Promise<PartitionOffsets[]> {
    const existing = await this.admin.listTopics();
    if (!existing.includes(group.dlqTopic)) return [];
    return this.admin.topicOffsets(group.dlqTopic);
  }

  async list(
    name: string,
    limit: number,
    before?: string,
  ): Promise<DeadLetterPage> {
    const group = this.group(name);
    const partitions = await this.dlqOffsets(group);
    const cursor = before === undefined ? undefined : BigInt(before);
    const ranges = newestRanges(partitions, limit, cursor);
    const [read, ledger] = await Promise.all([
      Promise.all(
        ranges.map(async ({ partition, from, until }) =>
          (
            await this.admin.readPartition(
              group.dlqTopic,
              partition,
              String(from),
              String(until),
            )
          ).map((record) => ({ partition, record })),
        ),
      ),
      this.ledger(),
    ]);
    const entries = read
      .flat()
      .map(({ partition, record }) =>
        this.entry(group, partition, record, ledger),
      );
    const page = pageOf(entries, limit, partitions);
    return {
      group: group.role,
      groupId: group.groupId,
      dlqTopic: group.dlqTopic,
      count: partitions.reduce(
        (sum, { low, high }) => sum + Number(BigInt(high) - BigInt(low)),
        0,
      ),
      ...page,
    };
  }

  entry(
    group: KnownGroup,
    partition: number,
    record: ConsumedRecord,
    ledger: Map<string, LedgerValue>,
  ): DeadLetterEntry {
    const mark = ledger.get(ledgerKey(group.groupId, partition, record.offset));
    return deadLetterEntry(
      partition,
      record,
      mark ? { redriveId: mark.redriveId, at: mark.at } : null,
    );
  }

  /** The redrive ledger as it is now (read from its start to its end). */
  async ledger(): Promise<Map<string, LedgerValue>> {
    const topic = redriveLedgerTopicName(this.topics.topic);
    const existing = await this.admin.listTopics();
    if (!existing.includes(topic)) return new Map();
    const partitions = await this.admin.topicOffsets(topic);
    const records = await Promise.all(
      partitions.map(({ partition, low, high }) =>
        BigInt(high) > BigInt(low)
          ? this.admin.readPartition(topic, partition, low, high)
          : Promise.resolve([]),
      ),
    );
    return ledgerOf(records.flat());
  }

  /** The records at these offsets of one partition (absent ones left out). */
  async read(
    group: KnownGroup,
    partition: number,
    offsets: readonly bigint[],
  ): Promise<ConsumedRecord[]> {
    const sorted = [...new Set(offsets)].sort((a, b) => (a < b ? -1 : 1));
    const records: ConsumedRecord[] = [];
    // Runs of nearby offsets in one read each; far-apart ones apart.
    let start = 0;
    for (let i = 1; i <= sorted.length; i++) {
      if (i < sorted.length && sorted[i] - sorted[i - 1] <= 500n) continue;
      const wanted = new Set(sorted.slice(start, i).map(String));
      const read = await this.admin.readPartition(
        group.dlqTopic,
        partition,
        String(sorted[start]),
        String(sorted[i - 1] + 1n),
      );
      records.push(...read.filter((r) => wanted.has(r.offset)));
      start = i;
    }
    return records;
  }

  /**
   * 404 unless `partition` is one of the dead-letter topic's: well-formed
   * coordinates of a dead letter that does not exist (a malformed one is a
   * 400 from the body's validation).
   */
  partitionOf(
    group: KnownGroup,
    partitions: readonly PartitionOffsets[],
    partition: number,
  ): PartitionOffsets {
    if (partitions.length === 0) {
      throw new NotFoundException(
        `${group.role} has no dead letters yet (${group.dlqTopic} does not exist)`,
      );
    }
    const found = partitions.find((p) => p.partition === partition);
    if (!found) {
      throw new NotFoundException(
        `partition ${partition} is not a partition of ${group.dlqTopic}: use one of ${partitions.map((p) => p.partition).join(', ')}`,
      );
    }
    return found;
  }
}
