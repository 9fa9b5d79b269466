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

/** Body of POST /produce. Every field is optional; unknown fields are rejected. */
export class ProduceRequestDto {
  /** Records per partition (default 3, max PRODUCE_MAX_MESSAGES_PER_PARTITION). */
  @IsOptional()
  @IsInt({ message: 'messagesPerPartition must be a whole number, at least 1' })
  @Min(1, { message: 'messagesPerPartition must be at least 1' })
  messagesPerPartition?: number;

  /** Partitions to write to (default: all of the topic's partitions). */
  @IsOptional()
  @IsArray({ message: 'partitions must be an array of partition numbers' })
  @ArrayUnique({ message: 'partitions must not repeat a partition' })
  @ArrayMaxSize(10_000)
  @IsInt({ each: true, message: 'partitions must contain whole numbers only' })
  partitions?: number[];

  /** Any JSON value, carried in every record's `payload`. */
  @IsOptional()
  payload?: unknown;

  /** Record key (same for all records of this request). */
  @IsOptional()
  @IsString({ message: 'key must be a string' })
  @MaxLength(1_024, { message: 'key must be at most 1024 characters' })
  key?: string;

  /** Extra record headers, string to string. */
  @IsOptional()
  @IsObject({ message: 'headers must be an object of string values' })
  headers?: Record<string, string>;
}
