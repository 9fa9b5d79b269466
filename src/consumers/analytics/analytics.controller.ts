import { Controller, Get, Inject, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { GROUP_MESSAGE_PATTERN } from '../../kafka/kafka.constants.js';
import { GroupMessageContext } from '../../kafka/group-message.context.js';
import type { GroupConsumerServer } from '../../kafka/group-consumer.server.js';
import { RethrowRpcErrorsFilter } from '../../kafka/rethrow-rpc-errors.filter.js';
import type { DemoMessage } from '../../messages/demo-message.js';
import {
  ANALYTICS_SERVER,
  ANALYTICS_TRANSPORT,
} from './analytics.constants.js';
import {
  type AnalyticsSnapshot,
  AnalyticsService,
} from './analytics.service.js';

@Controller('analytics')
export class AnalyticsController {
  constructor(
    private readonly analytics: AnalyticsService,
    @Inject(ANALYTICS_SERVER) private readonly server: GroupConsumerServer,
  ) {}

  // Bound to the analytics server only (nestjs/nest#13421).
  @EventPattern<string>(GROUP_MESSAGE_PATTERN, ANALYTICS_TRANSPORT)
  @UseFilters(RethrowRpcErrorsFilter)
  handle(
    @Payload() message: DemoMessage,
    @Ctx() context: GroupMessageContext,
  ): void {
    this.analytics.record(message, context.meta);
  }

  /** Aggregates over the records this replica handled, and the partitions it covers now. */
  @Get()
  summary(): AnalyticsSnapshot & {
    groupId: string;
    assignedPartitions: number[];
  } {
    const { groupId, assignedPartitions } = this.server.state;
    return {
      groupId,
      assignedPartitions: [...assignedPartitions],
      ...this.analytics.snapshot(),
    };
  }
}
