import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsAbsentOrValid } from '../../common/validation.js';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Min,
} from 'class-validator';

/**
 * Body of POST /produce. Every field is optional (no body at all means `{}`);
 * unknown fields are rejected. Sizes are bounded by PRODUCE_MAX_* (checked in
 * ProducerService, where the limits are configured).
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
  @IsAbsentOrValid()
  @Min(1, { message: 'messagesPerPartition must be at least 1' })
  @IsInt({ message: 'messagesPerPartition must be a whole number, at least 1' })
  messagesPerPartition?: number;

  @ApiPropertyOptional({
    description:
      "Partitions to write to, each in [0, partition count); default: all of the topic's partitions",
    type: [Number],
    example: [0, 2],
  })
  @IsAbsentOrValid()
  @ArrayUnique({ message: 'partitions must not repeat a partition' })
  @IsInt({ each: true, message: 'partitions must contain whole numbers only' })
  @ArrayMaxSize(10_000, {
    message: 'partitions must list at most 10000 partitions',
  })
  @IsArray({ message: 'partitions must be an array of partition numbers' })
  partitions?: number[];

  @ApiPropertyOptional({
    description:
      "Any JSON value, carried in every record's `payload` (at most PRODUCE_MAX_PAYLOAD_BYTES as JSON, 65536 by default; nesting at most HTTP_MAX_JSON_DEPTH, 32)",
    example: { orderId: 42 },
    nullable: true,
    // Any JSON value: OpenAPI 3.0 says so with the alternatives, not with no type.
    oneOf: [
      { type: 'object' },
      { type: 'array', items: {} },
      { type: 'string' },
      { type: 'number' },
      { type: 'boolean' },
    ],
  })
  @IsOptional()
  payload?: unknown;

  @ApiPropertyOptional({
    description:
      'Record key, the same for every record of this request (at most PRODUCE_MAX_KEY_BYTES, 1024 UTF-8 bytes by default)',
    example: 'customer-7',
  })
  @IsAbsentOrValid()
  @IsString({ message: 'key must be a string' })
  key?: string;

  @ApiPropertyOptional({
    description:
      'Extra record headers, string to string: at most PRODUCE_MAX_HEADERS entries (32) and PRODUCE_MAX_HEADER_BYTES (8192) of names and values',
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { 'trace-id': 'abc123' },
  })
  @IsAbsentOrValid()
  @IsObject({ message: 'headers must be an object of string values' })
  headers?: Record<string, string>;
}
