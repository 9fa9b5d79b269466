import {
  applyDecorators,
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  HttpStatus,
  Inject,
  NotFoundException,
  Param,
  Post,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { KeyProtected } from '../common/api-key.guard.js';
import { consumersConfig } from '../config/config.namespaces.js';
import { GroupPauseBoard } from '../kafka/control/group-pause.board.js';
import {
  type GroupPause,
  type GroupPauseView,
  pauseView,
  withPause,
  withResume,
} from '../kafka/control/group-pause.js';
import { errorMessage } from '../kafka/kafka.errors.js';
import { TopicService } from '../kafka/topics/topic.service.js';
import { ErrorResponseDto } from '../producer/dto/produce-response.dto.js';
import {
  GroupPauseViewDto,
  PauseGroupDto,
  ResumeGroupDto,
} from './dto/group-pause.dto.js';
import {
  checkPartitions,
  checkUntil,
  type Checked,
} from './group-pause.input.js';

const GROUP_PARAM = {
  name: 'group',
  description:
    'The group: its id as Kafka knows it, or its role name (realtime, analytics)',
  schema: { type: 'string', maxLength: 255 },
};

/** What the two routes share: 200, the API key, the group in the path, their answers. */
const PauseRoute = (body: typeof ResumeGroupDto) =>
  applyDecorators(
    HttpCode(HttpStatus.OK),
    KeyProtected(),
    ApiParam(GROUP_PARAM),
    ApiBody({ type: body, required: false }),
    ApiOkResponse({
      type: GroupPauseViewDto,
      description: 'The group’s pause now',
    }),
    ApiBadRequestResponse({
      type: ErrorResponseDto,
      description: 'What to fix',
    }),
    ApiNotFoundResponse({
      type: ErrorResponseDto,
      description: 'No such group; names the known ones',
    }),
    ApiServiceUnavailableResponse({
      type: ErrorResponseDto,
      description: 'The control topic cannot be written now',
    }),
  );

/**
 * Pauses and resumes a consumer group on every replica: the pause is a
 * record in the compacted control topic `<topic>.control` (GroupPauseBoard),
 * which every replica reads and applies to the partitions it owns now and
 * gets later.
 */
@ApiTags('consumers')
@Controller('consumers')
export class GroupPauseController {
  constructor(
    private readonly board: GroupPauseBoard,
    private readonly topics: TopicService,
    @Inject(consumersConfig.KEY)
    private readonly consumers: ConfigType<typeof consumersConfig>,
  ) {}

  @Post(':group/pause')
  @ApiOperation({
    summary:
      'Pause a consumer group, or some of its partitions, on every replica',
    description:
      'No record of a paused partition is handed to a handler, on any replica, also after a rebalance or a restart; ' +
      'its lag keeps growing and its lag status says PAUSED. Readiness is not affected. ' +
      'Partitions add to those already paused; `until` ends the pause by itself.',
  })
  @PauseRoute(PauseGroupDto)
  pause(
    @Param('group') group: string,
    @Body() body: PauseGroupDto = {},
  ): Promise<GroupPauseView> {
    const groupId = this.groupId(group);
    const now = Date.now();
    const partitions = this.valid(
      checkPartitions(body.partitions, this.topics.partitionCount),
    );
    const until = this.valid(checkUntil(body.until, now));
    return this.write(groupId, (current) =>
      withPause(current, {
        partitions,
        until,
        by: body.by ?? null,
        now: new Date(now),
      }),
    );
  }

  @Post(':group/resume')
  @ApiOperation({
    summary:
      'Resume a paused consumer group, or some of its partitions, on every replica',
    description:
      'Resumed partitions are read on from their last commit. Resuming some partitions of a group paused as a whole keeps the others paused.',
  })
  @PauseRoute(ResumeGroupDto)
  resume(
    @Param('group') group: string,
    @Body() body: ResumeGroupDto = {},
  ): Promise<GroupPauseView> {
    const groupId = this.groupId(group);
    const count = this.topics.partitionCount;
    const partitions = this.valid(checkPartitions(body.partitions, count));
    return this.write(groupId, (current) =>
      withResume(current, partitions, count),
    );
  }

  /** The configured group a path names (by id or role name); 404 naming them otherwise. */
  private groupId(group: string): string {
    const known: Record<string, string> = {
      realtime: this.consumers.realtimeGroupId,
      analytics: this.consumers.analyticsGroupId,
    };
    const ids = Object.values(known);
    if (ids.includes(group)) return group;
    if (Object.hasOwn(known, group)) return known[group];
    throw new NotFoundException(
      `no consumer group ${JSON.stringify(group.slice(0, 100))}: the known groups are ${ids.join(', ')} (or by role: ${Object.keys(known).join(', ')})`,
    );
  }

  private valid<T>(checked: Checked<T>): T {
    if (!checked.ok) throw new BadRequestException(checked.error);
    return checked.value;
  }

  private async write(
    groupId: string,
    next: (current: GroupPause) => GroupPause,
  ): Promise<GroupPauseView> {
    try {
      const pause = await this.board.change(groupId, next);
      return pauseView(groupId, pause, Date.now());
    } catch (error) {
      throw new ServiceUnavailableException(
        `cannot write to the control topic ${this.board.topic} now (${errorMessage(error)}); try again`,
      );
    }
  }
}
