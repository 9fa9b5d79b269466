import { Controller, Get, Inject } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { hostname } from 'node:os';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { KeyProtected } from '../common/api-key.guard.js';
import { appConfig } from '../config/config.namespaces.js';
import { GroupConsumerRegistry } from '../kafka/consumer/group-consumer.registry.js';
import { ConsumerLagReport } from '../metrics/consumer-lag.report.js';
import { GroupPauseBoard } from '../kafka/control/group-pause.board.js';
import { pauseView } from '../kafka/control/group-pause.js';
import { ConsumersViewDto } from './dto/consumers-view.dto.js';

export type ConsumersView = ConsumersViewDto;

@ApiTags('consumers')
@Controller('consumers')
export class ConsumersController {
  constructor(
    private readonly registry: GroupConsumerRegistry,
    private readonly lag: ConsumerLagReport,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    private readonly pauses: GroupPauseBoard,
  ) {}

  @Get()
  @KeyProtected()
  @ApiOperation({
    summary:
      'Each consumer group this replica runs: member, state, partitions, counters, commits, lag and its status',
  })
  @ApiOkResponse({ type: ConsumersViewDto })
  list(): ConsumersView {
    return {
      replica: {
        hostname: hostname(),
        pid: process.pid,
        roles: this.app.roles,
      },
      groups: this.registry.all().map(({ state }) => ({
        ...state.snapshot(),
        lag: this.lag.group(state.groupId),
        pause: pauseView(
          state.groupId,
          this.pauses.pause(state.groupId),
          Date.now(),
        ),
      })),
    };
  }
}
