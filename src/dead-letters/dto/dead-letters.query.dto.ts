import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { GroupName, IsAbsentOrValid } from '../../common/validation.js';
import { DEFAULT_PAGE, MAX_PAGE } from '../dead-letter-paging.js';

/** Query of GET /dead-letters. Type checks sit last: class-validator runs the nearest decorator first. */
export class DeadLettersQueryDto {
  @GroupName('The group: its role (realtime, analytics) or its group id')
  group!: string;

  @ApiPropertyOptional({
    description: `Dead letters per page, newest first (1 to ${MAX_PAGE})`,
    default: DEFAULT_PAGE,
    minimum: 1,
    maximum: MAX_PAGE,
    type: 'integer',
  })
  @IsAbsentOrValid()
  @Max(MAX_PAGE, { message: `limit must be at most ${MAX_PAGE}` })
  @Min(1, { message: 'limit must be at least 1' })
  @IsInt({ message: `limit must be a whole number from 1 to ${MAX_PAGE}` })
  @Type(() => Number)
  limit?: number;

  @ApiPropertyOptional({
    description:
      "Cursor: only dead letters at offsets below this one (the previous page's nextBefore)",
    pattern: '^[0-9]{1,18}$',
    example: '120',
  })
  @IsAbsentOrValid()
  @Matches(/^[0-9]{1,18}$/, {
    message: 'before must be an offset: digits only, at most 18',
  })
  @IsString({ message: 'before must be an offset (digits)' })
  before?: string;
}
