import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type {
  GroupConsumerSnapshot,
  GroupConsumerStatus,
} from '../../kafka/consumer/group-consumer.state.js';
import {
  type GroupLagStatus,
  PARTITION_STATUSES,
  type PartitionStatus,
} from '../../kafka/consumer/lag-status.js';
import type { GroupLagReport } from '../../metrics/consumer-lag.report.js';
import { GroupPauseViewDto } from './group-pause.dto.js';

const STATUSES: GroupConsumerStatus[] = [
  'starting',
  'joined',
  'rebalancing',
  'stopped',
  'crashed',
];

class FailureDto {
  @ApiProperty() error!: string;
  @ApiProperty() since!: string;
}

class CrashDto {
  @ApiProperty() error!: string;
  @ApiProperty({ description: 'kafkajs restarts the consumer itself' })
  restart!: boolean;
  @ApiProperty() at!: string;
}

class PartitionLagDto {
  @ApiProperty() partition!: number;
  @ApiProperty({ description: 'Records behind the end of the partition' })
  lag!: number;
  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'Age in seconds of the oldest unhandled record (0 when caught up); null when its timestamp was not seen here',
  })
  lagSeconds!: number | null;
  @ApiProperty({
    enum: PARTITION_STATUSES,
    description:
      'OK; WARN: falls behind; STALL: commits without advancing; STOP: no commit while lagging; PAUSED: paused by an operator, not a failure (docs/operations.md)',
  })
  status!: PartitionStatus;
}

class GroupLagDto implements GroupLagReport {
  @ApiProperty({
    enum: ['OK', 'WARN', 'ERR', 'PAUSED'],
    description:
      'The worst partition: ERR when one is STALL or STOP; PAUSED when the others are OK and one is paused',
  })
  status!: GroupLagStatus;
  @ApiProperty({
    type: [PartitionLagDto],
    description: 'The partitions this replica owns in the group',
  })
  partitions!: PartitionLagDto[];
}

/** OpenAPI shape of GroupConsumerSnapshot (src/kafka/consumer/group-consumer.state.ts). */
export class GroupConsumerDto implements GroupConsumerSnapshot {
  @ApiProperty({ example: 'realtime' }) name!: string;
  @ApiProperty({
    description: 'The group id as Kafka knows it',
    example: 'realtime',
  })
  groupId!: string;
  @ApiProperty({ example: 'demo-messages' }) topic!: string;
  @ApiProperty({
    enum: ['kafkajs', 'platformatic'],
    description: 'The client library that speaks for the group (KAFKA_CLIENT)',
  })
  client!: string;
  @ApiProperty({
    enum: ['classic', 'consumer'],
    description:
      'The consumer group protocol: classic, or consumer (KIP-848: the broker assigns partitions)',
  })
  groupProtocol!: string;
  @ApiProperty({ enum: STATUSES }) status!: GroupConsumerStatus;
  @ApiProperty({ type: String, nullable: true }) memberId!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      "Static membership: the member's stable id in the group (KAFKA_GROUP_INSTANCE_ID-<role>); null for a dynamic member",
    example: 'web-0-realtime',
  })
  instanceId!: string | null;
  @ApiProperty({ type: Number, nullable: true }) generationId!: number | null;
  @ApiProperty() isLeader!: boolean;
  @ApiProperty({ type: [Number], example: [0, 1, 2] })
  assignedPartitions!: number[];
  @ApiProperty({ description: 'Records handled successfully and committed' })
  processed!: number;
  @ApiProperty({ description: 'Handler attempts that failed and were retried' })
  retried!: number;
  @ApiProperty({ description: 'Records written to <topic>.<group>.dlq' })
  deadLettered!: number;
  @ApiProperty({
    description:
      'Commits refused (e.g. during a rebalance); those records are redelivered',
  })
  commitFailures!: number;
  @ApiProperty({
    description:
      'Next offset to read per partition, as committed by this replica (offset+1)',
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { '0': '12', '1': '9' },
  })
  lastCommitted!: Record<string, string>;
  @ApiProperty({ type: String, nullable: true }) joinedAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) lastHeartbeatAt!:
    string | null;
  @ApiProperty({ description: 'Shutting down: no new records are taken' })
  draining!: boolean;
  @ApiPropertyOptional({ type: CrashDto, nullable: true })
  crash!: GroupConsumerSnapshot['crash'];
  @ApiPropertyOptional({
    type: FailureDto,
    nullable: true,
    description:
      "A failure that is not a record's fault (e.g. the journal cannot be written): records are read again, readiness is 503",
  })
  failure!: GroupConsumerSnapshot['failure'];
  @ApiProperty({ type: GroupLagDto }) lag!: GroupLagDto;
  @ApiProperty({
    type: GroupPauseViewDto,
    description:
      'The group’s pause (POST /consumers/{group}/pause), the same on every replica',
  })
  pause!: GroupPauseViewDto;
}

class ReplicaDto {
  @ApiProperty() hostname!: string;
  @ApiProperty() pid!: number;
  @ApiProperty({
    type: [String],
    example: ['producer', 'realtime', 'analytics'],
  })
  roles!: string[];
}

export class ConsumersViewDto {
  @ApiProperty({ type: ReplicaDto }) replica!: ReplicaDto;
  @ApiProperty({ type: [GroupConsumerDto] }) groups!: GroupConsumerDto[];
}
