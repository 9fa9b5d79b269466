import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsInt,
  Max,
  Min,
} from 'class-validator';
import { GroupName, IsAbsentOrValid } from '../../common/validation.js';
import { MAX_PAGE } from '../dead-letter-paging.js';

const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

/** Body of POST /dead-letters/redrive: exactly one of offsets or upTo. */
export class RedriveRequestDto {
  @GroupName('The group whose dead letters go back to it (role or group id)')
  group!: string;

  @ApiPropertyOptional({
    description:
      'Dead-letter topic partition (it has one, 0, unless an operator grew it)',
    default: 0,
    minimum: 0,
    maximum: 100000,
    type: 'integer',
  })
  @IsAbsentOrValid()
  @Max(100_000, { message: 'partition must be at most 100000' })
  @Min(0, { message: 'partition must be at least 0' })
  @IsInt({ message: 'partition must be a whole number' })
  partition?: number;

  @ApiPropertyOptional({
    description: `Dead-letter offsets to redrive (1 to ${MAX_PAGE}); or use upTo`,
    type: 'array',
    items: { type: 'integer', minimum: 0, maximum: MAX_OFFSET },
    minItems: 1,
    maxItems: MAX_PAGE,
    example: [0, 1],
  })
  @IsAbsentOrValid()
  @Max(MAX_OFFSET, { each: true, message: 'offsets must be valid offsets' })
  @Min(0, { each: true, message: 'offsets must be at least 0' })
  @IsInt({ each: true, message: 'offsets must contain whole numbers only' })
  @ArrayMaxSize(MAX_PAGE, { message: `offsets must list at most ${MAX_PAGE}` })
  @ArrayMinSize(1, { message: 'offsets must list at least one offset' })
  @IsArray({ message: 'offsets must be an array of dead-letter offsets' })
  offsets?: number[];

  @ApiPropertyOptional({
    description: `Every dead letter at or below this offset (at most ${MAX_PAGE} per request; the answer says how many remain); or use offsets`,
    type: 'integer',
    minimum: 0,
    maximum: MAX_OFFSET,
    example: 10,
  })
  @IsAbsentOrValid()
  @Max(MAX_OFFSET, { message: 'upTo must be a valid offset' })
  @Min(0, { message: 'upTo must be at least 0' })
  @IsInt({ message: 'upTo must be a whole number (an offset)' })
  upTo?: number;

  @ApiPropertyOptional({
    description: 'Only say what would be sent and skipped; write nothing',
    default: false,
  })
  @IsAbsentOrValid()
  @IsBoolean({ message: 'dryRun must be true or false' })
  dryRun?: boolean;
}
