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
  /** Records per partition (default 3, max PRODUCE_MAX_MESSAGES_PER_PARTITION). */
  @IsOptional()
  @Min(1, { message: 'messagesPerPartition must be at least 1' })
  @IsInt({ message: 'messagesPerPartition must be a whole number, at least 1' })
  messagesPerPartition?: number;

  /** Partitions to write to (default: all of the topic's partitions). */
  @IsOptional()
  @ArrayUnique({ message: 'partitions must not repeat a partition' })
  @IsInt({ each: true, message: 'partitions must contain whole numbers only' })
  @ArrayMaxSize(10_000, {
    message: 'partitions must list at most 10000 partitions',
  })
  @IsArray({ message: 'partitions must be an array of partition numbers' })
  partitions?: number[];

  /** Any JSON value, carried in every record's `payload`. */
  @IsOptional()
  payload?: unknown;

  /** Record key (same for all records of this request). */
  @IsOptional()
  @MaxLength(1_024, { message: 'key must be at most 1024 characters' })
  @IsString({ message: 'key must be a string' })
  key?: string;

  /** Extra record headers, string to string. */
  @IsOptional()
  @IsObject({ message: 'headers must be an object of string values' })
  headers?: Record<string, string>;
}
