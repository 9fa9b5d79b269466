import { ApiProperty } from '@nestjs/swagger';

export class PartitionResultDto {
  @ApiProperty({ example: 0 })
  partition!: number;

  @ApiProperty({
    description:
      'Offset the broker gave the first of these records (int64 as a string)',
    example: '42',
  })
  baseOffset!: string;

  @ApiProperty({ example: 3 })
  count!: number;
}

export class ProduceResponseDto {
  @ApiProperty({ example: 'demo-messages' })
  topic!: string;

  @ApiProperty({ type: [PartitionResultDto] })
  partitions!: PartitionResultDto[];

  @ApiProperty({ example: 18 })
  total!: number;
}

/** The JSON of every 4xx/5xx this API answers. */
export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request' })
  error!: string;

  @ApiProperty({
    description: 'What to fix: a sentence, or one per invalid field',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['messagesPerPartition must be at least 1'],
  })
  message!: string | string[];
}
