import { BaseRpcContext } from '@nestjs/microservices';

/** Where a record came from, in plain values (no client types leak to handlers). */
export interface GroupMessageMeta {
  groupId: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  /** Broker/producer timestamp of the record, ms since epoch. */
  timestamp: number;
  sizeBytes: number;
  /** 1 on the first try, 2 on the first retry, ... */
  attempt: number;
}

/** The `@Ctx()` of a per-record handler: `@EventPattern(GROUP_MESSAGE_PATTERN, REALTIME)`. */
export class GroupMessageContext extends BaseRpcContext<[GroupMessageMeta]> {
  get meta(): GroupMessageMeta {
    return this.args[0];
  }
}

/** One record as a batch handler sees it: the decoded value and where it came from. */
export interface GroupRecord<T = unknown> {
  payload: T;
  meta: GroupMessageMeta;
}

/**
 * The `@Payload()` of a batch handler (`@EventPattern(GROUP_BATCH_PATTERN, ...)`):
 * records of one partition, in offset order, to iterate once. A record counts
 * as handled when the handler asks for the next one (or returns); if the
 * handler throws, the record it holds is retried alone, then dead-lettered,
 * and the records after it come in the next call.
 */
export type GroupRecords<T = unknown> = Iterable<GroupRecord<T>>;

/** The `@Ctx()` of a batch handler: which group and partition the records are from. */
export class GroupBatchContext extends BaseRpcContext<
  [{ groupId: string; topic: string; partition: number }]
> {
  get groupId(): string {
    return this.args[0].groupId;
  }
  get topic(): string {
    return this.args[0].topic;
  }
  get partition(): number {
    return this.args[0].partition;
  }
}
