import { ApiProperty } from '@nestjs/swagger';

class FailureDto {
  @ApiProperty() error!: string;
  @ApiProperty({ type: String, nullable: true }) errorClass!: string | null;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, nullable: true }) failedAt!: string | null;
  @ApiProperty({ type: Number, nullable: true }) dlqPartition!: number | null;
  @ApiProperty({ type: String, nullable: true }) dlqOffset!: string | null;
  @ApiProperty({ type: String, nullable: true }) redriveId!: string | null;
}

class ReasonDto {
  @ApiProperty({ type: String, nullable: true, example: 'Error' })
  errorClass!: string | null;
  @ApiProperty({ example: 'refusing 3f2c...' }) message!: string;
}

class RedriveMarkDto {
  @ApiProperty() redriveId!: string;
  @ApiProperty({ description: 'When it was redriven (ISO 8601)' }) at!: string;
}

export class DeadLetterEntryDto {
  @ApiProperty() dlqPartition!: number;
  @ApiProperty({ description: 'int64 as a string' }) dlqOffset!: string;
  @ApiProperty({ type: String, nullable: true }) topic!: string | null;
  @ApiProperty({ type: Number, nullable: true }) partition!: number | null;
  @ApiProperty({ type: String, nullable: true }) offset!: string | null;
  @ApiProperty({ type: String, nullable: true }) key!: string | null;
  @ApiProperty({ type: ReasonDto }) reason!: ReasonDto;
  @ApiProperty({ description: 'Attempts of this failure' }) attempts!: number;
  @ApiProperty({ description: 'Attempts of this and every earlier failure' })
  totalAttempts!: number;
  @ApiProperty({ type: String, nullable: true }) firstFailedAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) lastFailedAt!: string | null;
  @ApiProperty({ type: [FailureDto] }) history!: FailureDto[];
  @ApiProperty({ type: RedriveMarkDto, nullable: true })
  redriven!: RedriveMarkDto | null;
}

export class DeadLetterPageDto {
  @ApiProperty({ example: 'realtime' }) group!: string;
  @ApiProperty() groupId!: string;
  @ApiProperty() dlqTopic!: string;
  @ApiProperty({ description: 'Dead letters the topic holds now' })
  count!: number;
  @ApiProperty({ type: [DeadLetterEntryDto] }) entries!: DeadLetterEntryDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `before` for the next, older page; null at the end',
  })
  nextBefore!: string | null;
}

class RedriveRecordDto {
  @ApiProperty() dlqPartition!: number;
  @ApiProperty() dlqOffset!: string;
  @ApiProperty({ enum: ['sent', 'skipped', 'failed', 'would-send'] })
  outcome!: string;
  @ApiProperty({ type: String, nullable: true }) detail!: string | null;
}

export class RedriveAnswerDto {
  @ApiProperty() group!: string;
  @ApiProperty() groupId!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'null on a dry run',
  })
  redriveId!: string | null;
  @ApiProperty() dryRun!: boolean;
  @ApiProperty() redriveTopic!: string;
  @ApiProperty() sent!: number;
  @ApiProperty({ description: 'Already redriven (the ledger says when)' })
  skipped!: number;
  @ApiProperty() failed!: number;
  @ApiProperty({ description: 'upTo covered more than one request takes' })
  remaining!: number;
  @ApiProperty({ type: [RedriveRecordDto] }) records!: RedriveRecordDto[];
}
