import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsInt,
  IsString,
  MaxLength,
  Min,
} from 'class-validator';
import { IsAbsentOrValid } from '../../common/validation.js';

const PARTITIONS_DESCRIPTION =
  "Partitions of the group's topic, each in [0, partition count); absent: the whole group";

/** Body of POST /consumers/{group}/resume: every field optional (no body: the whole group). */
export class ResumeGroupDto {
  @ApiPropertyOptional({
    description: PARTITIONS_DESCRIPTION,
    type: [Number],
    example: [0, 2],
    minItems: 1,
    maxItems: 10_000,
    uniqueItems: true,
  })
  @IsAbsentOrValid()
  @ArrayUnique({ message: 'partitions must not repeat a partition' })
  @Min(0, { each: true, message: 'partitions must be 0 or more' })
  @IsInt({ each: true, message: 'partitions must contain whole numbers only' })
  @ArrayNotEmpty({
    message:
      'partitions must name at least one partition (omit it for the whole group)',
  })
  @ArrayMaxSize(10_000, {
    message: 'partitions must list at most 10000 partitions',
  })
  @IsArray({ message: 'partitions must be an array of partition numbers' })
  partitions?: number[];

  @ApiPropertyOptional({
    description: 'Who asks (shown in /consumers, /health and the dashboard)',
    maxLength: 100,
    example: 'ops-alice',
  })
  @IsAbsentOrValid()
  @MaxLength(100, { message: 'by must be at most 100 characters' })
  @IsString({ message: 'by must be a string' })
  by?: string;
}

/** Body of POST /consumers/{group}/pause: every field optional (no body: the whole group, until resumed). */
export class PauseGroupDto extends ResumeGroupDto {
  @ApiPropertyOptional({
    description:
      'ISO 8601 date-time with a time zone, in the future; the pause ends by itself then. Absent: until resumed',
    format: 'date-time',
    maxLength: 40,
    example: '2026-12-24T18:00:00Z',
  })
  @IsAbsentOrValid()
  @MaxLength(40, { message: 'until must be an ISO 8601 date-time' })
  @IsString({ message: 'until must be an ISO 8601 date-time string' })
  until?: string;
}

class PauseMarkDto {
  @ApiProperty({ description: 'When the pause was asked (ISO 8601)' })
  since!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'When it ends by itself; null: until resumed',
  })
  until!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Who asked' })
  by!: string | null;
}

class PausedPartitionDto extends PauseMarkDto {
  @ApiProperty() partition!: number;
}

/** A group's pause as it holds now (marks whose `until` passed are gone). */
export class GroupPauseViewDto {
  @ApiProperty({ description: 'The group id as Kafka knows it' })
  groupId!: string;
  @ApiProperty({ description: 'Some or all of its partitions are paused' })
  paused!: boolean;
  @ApiProperty({
    type: PauseMarkDto,
    nullable: true,
    description: 'The whole group is paused (null: not as a whole)',
  })
  all!: PauseMarkDto | null;
  @ApiProperty({
    type: [PausedPartitionDto],
    description: 'Partitions paused one by one',
  })
  partitions!: PausedPartitionDto[];
}
