import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  Min,
} from 'class-validator';

/**
 * Body of POST /produce. Every field is optional; unknown fields are rejected.
 * With stopAtFirstError, class-validator runs the decorator nearest the
 * property first, so the type check sits last in each list.
 */
export class ProduceRequestDto {
  @ApiPropertyOptional({
    description:
      'Records per partition (max PRODUCE_MAX_MESSAGES_PER_PARTITION, 1000 by default)',
    default: 3,
    minimum: 1,
    example: 3,
  })
  @IsOptional()
  @Min(1, { message: 'messagesPerPartition must be at least 1' })
  @IsInt({ message: 'messagesPerPartition must be a whole number, at least 1' })
  messagesPerPartition?: number;

  @ApiPropertyOptional({
    description:
      "Partitions to write to, each in [0, partition count); default: all of the topic's partitions",
    type: [Number],
    example: [0, 2],
  })
  @IsOptional()
  @ArrayUnique({ message: 'partitions must not repeat a partition' })
  @IsInt({ each: true, message: 'partitions must contain whole numbers only' })
  @ArrayMaxSize(10_000, {
    message: 'partitions must list at most 10000 partitions',
  })
  @IsArray({ message: 'partitions must be an array of partition numbers' })
  partitions?: number[];

  @ApiPropertyOptional({
    description: "Any JSON value, carried in every record's `payload`",
    example: { orderId: 42 },
  })
  @IsOptional()
  payload?: unknown;

  @ApiPropertyOptional({
    description: 'Record key, the same for every record of this request',
    maxLength: 1024,
    example: 'customer-7',
  })
  @IsOptional()
  @MaxLength(1_024, { message: 'key must be at most 1024 characters' })
  @IsString({ message: 'key must be a string' })
  key?: string;

  @ApiPropertyOptional({
    description: 'Extra record headers, string to string',
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { 'trace-id': 'abc123' },
  })
  @IsOptional()
  @IsObject({ message: 'headers must be an object of string values' })
  headers?: Record<string, string>;
}
