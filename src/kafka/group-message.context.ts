import { BaseRpcContext } from '@nestjs/microservices';

/** Where a record came from, in plain values (no kafkajs types leak to handlers). */
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

/** The `@Ctx()` of a group handler: `@EventPattern(GROUP_MESSAGE_PATTERN, REALTIME)`. */
export class GroupMessageContext extends BaseRpcContext<[GroupMessageMeta]> {
  get meta(): GroupMessageMeta {
    return this.args[0];
  }
}
