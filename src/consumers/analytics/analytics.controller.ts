import { Controller, Get, Inject, UseFilters } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { KeyProtected } from '../../common/api-key.guard.js';
import { GROUP_BATCH_PATTERN } from '../../kafka/kafka.constants.js';
import type { GroupRecords } from '../../kafka/consumer/group-message.context.js';
import type { GroupConsumerServer } from '../../kafka/consumer/group-consumer.server.js';
import { RethrowRpcErrorsFilter } from '../../kafka/consumer/rethrow-rpc-errors.filter.js';
import type { DemoMessage } from '../../messages/demo-message.js';
import {
  ANALYTICS_SERVER,
  ANALYTICS_TRANSPORT,
} from './analytics.constants.js';
import {
  type AnalyticsSnapshot,
  AnalyticsService,
} from './analytics.service.js';

@ApiTags('analytics')
@Controller('analytics')
export class AnalyticsController {
  constructor(
    private readonly analytics: AnalyticsService,
    @Inject(ANALYTICS_SERVER) private readonly server: GroupConsumerServer,
  ) {}

  // Bound to the analytics server only (nestjs/nest#13421).
  @EventPattern<string>(GROUP_BATCH_PATTERN, ANALYTICS_TRANSPORT)
  @UseFilters(RethrowRpcErrorsFilter)
  handle(@Payload() records: GroupRecords<DemoMessage>): void {
    // One call per run of a partition's records: a throw retries the record
    // held, alone (GroupRecords).
    for (const { payload, meta } of records) {
      this.analytics.record(payload, meta);
    }
  }

  @Get()
  // The top record keys are often customer ids: data, behind the key.
  @KeyProtected()
  @ApiOperation({
    summary:
      'Aggregates over the records this replica handled, and the partitions it covers now',
  })
  @ApiOkResponse({
    description:
      'Counts per partition and key, bytes and produce-to-consume latency',
    schema: {
      type: 'object',
      example: {
        groupId: 'analytics',
        assignedPartitions: [0, 1, 2],
        messages: 18,
        repeatsIgnored: 0,
        bytes: 2412,
        byPartition: { '0': 6, '1': 6, '2': 6 },
        byKey: { '(none)': 18 },
        latency: {
          count: 18,
          minMs: 3,
          maxMs: 41,
          meanMs: 12.5,
          p50Ms: 9,
          p95Ms: 38,
        },
        firstAt: '2026-11-24T15:00:00.000Z',
        lastAt: '2026-11-24T15:00:01.000Z',
      },
    },
  })
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
