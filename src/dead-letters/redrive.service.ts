import {
  BadRequestException,
  Injectable,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { ConsumedRecord } from '../kafka/client/group-consumer.port.js';
import { DeadLetterPublisher } from '../kafka/consumer/dead-letter.publisher.js';
import {
  redriveGroupId,
  redriveLedgerTopicName,
  redriveTopicName,
} from '../kafka/kafka.constants.js';
import { errorMessage } from '../kafka/kafka.errors.js';
import { SerialProducer } from '../kafka/producer/serial-producer.js';
import { TopicService } from '../kafka/topics/topic.service.js';
import { headerText } from './dead-letter-entry.js';
import { MAX_PAGE } from './dead-letter-paging.js';
import { DeadLettersService, type KnownGroup } from './dead-letters.service.js';
import { redriveHeaders } from './redrive-headers.js';
import { ledgerKey, ledgerValue } from './redrive-ledger.js';

export interface RedriveRequest {
  group: string;
  partition?: number;
  offsets?: number[];
  upTo?: number;
  dryRun?: boolean;
}

export type RedriveOutcome = 'sent' | 'skipped' | 'failed' | 'would-send';

export interface RedriveAnswer {
  group: string;
  groupId: string;
  redriveId: string | null;
  dryRun: boolean;
  redriveTopic: string;
  sent: number;
  skipped: number;
  failed: number;
  /** upTo selects at most 500 dead letters per request: how many more it covers. */
  remaining: number;
  records: {
    dlqPartition: number;
    dlqOffset: string;
    outcome: RedriveOutcome;
    detail: string | null;
  }[];
}

/**
 * Sends dead letters back to the one group that failed them, through that
 * group's redrive topic (read only by `<group>.redrive`, with the group's own
 * handlers and pipeline). Idempotent through the redrive ledger, a compacted
 * topic every replica reads: a dead letter marked there is skipped.
 */
@Injectable()
export class RedriveService {
  private readonly logger = new Logger(RedriveService.name);
  /** Redrives of this replica one at a time: two identical requests here send once. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deadLetters: DeadLettersService,
    private readonly publisher: DeadLetterPublisher,
    private readonly producer: SerialProducer,
    private readonly topics: TopicService,
  ) {}

  redrive(request: RedriveRequest): Promise<RedriveAnswer> {
    const group = this.deadLetters.group(request.group);
    if ((request.offsets === undefined) === (request.upTo === undefined)) {
      throw new BadRequestException(
        'give exactly one of offsets (a list of dead-letter offsets) or upTo (every dead letter up to this offset)',
      );
    }
    const run = this.queue.then(() => this.run(group, request));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(
    group: KnownGroup,
    request: RedriveRequest,
  ): Promise<RedriveAnswer> {
    const partition = request.partition ?? 0;
    const partitions = await this.deadLetters.dlqOffsets(group);
    const { low, high } = this.deadLetters.partitionOf(
      group,
      partitions,
      partition,
    );
    const [start, end] = [BigInt(low), BigInt(high)];
    let wanted: bigint[];
    let remaining = 0;
    if (request.offsets !== undefined) {
      wanted = request.offsets.map(BigInt);
      const outside = wanted.find((o) => o < start || o >= end);
      if (outside !== undefined) {
        throw new NotFoundException(
          end > start
            ? `offset ${outside} is not in ${group.dlqTopic}[${partition}]: it holds offsets ${start} to ${end - 1n}`
            : `${group.dlqTopic}[${partition}] holds no dead letters now`,
        );
      }
    } else {
      const last =
        BigInt(request.upTo ?? 0) + 1n < end
          ? BigInt(request.upTo ?? 0) + 1n
          : end;
      const count = last > start ? Number(last - start) : 0;
      remaining = Math.max(count - MAX_PAGE, 0);
      wanted = Array.from(
        { length: Math.min(count, MAX_PAGE) },
        (_, i) => start + BigInt(i),
      );
    }
    const [records, ledger] = await Promise.all([
      wanted.length > 0
        ? this.deadLetters.read(group, partition, wanted)
        : Promise.resolve([]),
      this.deadLetters.ledger(),
    ]);
    const found = new Map(records.map((r) => [r.offset, r]));
    const redriveTopic = redriveTopicName(this.topics.topic, group.groupId);
    const dryRun = request.dryRun === true;
    const redriveId = dryRun ? null : randomUUID();
    const answer: RedriveAnswer = {
      group: group.role,
      groupId: group.groupId,
      redriveId,
      dryRun,
      redriveTopic,
      sent: 0,
      skipped: 0,
      failed: 0,
      remaining,
      records: [],
    };
    const toSend: ConsumedRecord[] = [];
    for (const offset of [...new Set(wanted)].map(String)) {
      const record = found.get(offset);
      const mark = ledger.get(ledgerKey(group.groupId, partition, offset));
      if (mark) {
        answer.records.push({
          dlqPartition: partition,
          dlqOffset: offset,
          outcome: 'skipped',
          detail: `already redriven at ${mark.at} (redrive ${mark.redriveId})`,
        });
      } else if (!record) {
        answer.records.push({
          dlqPartition: partition,
          dlqOffset: offset,
          outcome: 'failed',
          detail: 'no record at this offset (a transaction marker, or removed)',
        });
      } else {
        toSend.push(record);
        answer.records.push({
          dlqPartition: partition,
          dlqOffset: offset,
          outcome: dryRun ? 'would-send' : 'sent',
          detail: null,
        });
      }
    }
    if (!dryRun && redriveId && toSend.length > 0) {
      await this.send(group, partition, redriveTopic, redriveId, toSend);
    }
    for (const record of answer.records) {
      if (record.outcome === 'skipped') answer.skipped++;
      else if (record.outcome === 'failed') answer.failed++;
      else if (record.outcome === 'sent') answer.sent++;
    }
    return answer;
  }

  /**
   * The copies first, then their ledger entries: a replica that dies between
   * the two leaves dead letters unmarked, and asking again sends them again
   * (at least once, never lost). Both writes are acks=all, idempotent.
   */
  private async send(
    group: KnownGroup,
    partition: number,
    redriveTopic: string,
    redriveId: string,
    records: ConsumedRecord[],
  ): Promise<void> {
    const at = new Date();
    const ledgerTopic = redriveLedgerTopicName(this.topics.topic);
    try {
      await this.publisher.ensureTopic(
        redriveTopic,
        redriveGroupId(group.groupId),
      );
      // Compacted: the newest entry per dead letter is all the ledger needs.
      await this.topics.ensureTopic(ledgerTopic, 1, undefined, {
        'cleanup.policy': 'compact',
      });
      const written = await this.producer.produce(
        redriveTopic,
        records.map((record) => ({
          partition: 0,
          key: record.key?.toString() ?? null,
          value: record.value ?? '',
          headers: redriveHeaders(
            headerText(record.headers),
            partition,
            record.offset,
            redriveId,
            at,
          ),
        })),
      );
      const base = BigInt(written.get(0) ?? '-1');
      await this.producer.produce(
        ledgerTopic,
        records.map((record, i) => ({
          partition: 0,
          key: ledgerKey(group.groupId, partition, record.offset),
          value: ledgerValue({
            redriveId,
            at: at.toISOString(),
            topic: redriveTopic,
            partition: 0,
            offset: base < 0n ? '-1' : String(base + BigInt(i)),
          }),
        })),
      );
    } catch (error) {
      throw new ServiceUnavailableException(
        `the redrive could not be written (${errorMessage(error)}); asking again is safe: dead letters already marked are skipped`,
      );
    }
    this.logger.log(
      `redrive ${redriveId}: ${records.length} dead letter(s) of ${group.groupId} sent to ${redriveTopic}`,
    );
  }
}
