import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpException,
  Post,
  Query,
  ServiceUnavailableException,
} from '@nestjs/common';
import { errorMessage } from '../kafka/kafka.errors.js';
import {
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiPayloadTooLargeResponse,
  ApiUnsupportedMediaTypeResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { KeyProtected } from '../common/api-key.guard.js';
import { ErrorResponseDto } from '../producer/dto/produce-response.dto.js';
import { DEFAULT_PAGE } from './dead-letter-paging.js';
import { DeadLettersService } from './dead-letters.service.js';
import {
  DeadLetterPageDto,
  RedriveAnswerDto,
} from './dto/dead-letters-view.dto.js';
import { DeadLettersQueryDto } from './dto/dead-letters.query.dto.js';
import { RedriveRequestDto } from './dto/redrive-request.dto.js';
import { RedriveService } from './redrive.service.js';

const UNKNOWN_GROUP = {
  type: ErrorResponseDto,
  description: 'Unknown group: the message names the known ones',
};
const NO_SUCH_DEAD_LETTER = {
  type: ErrorResponseDto,
  description:
    'Unknown group (the message names the known ones), or a partition or offset the dead-letter topic does not hold (the message gives its range)',
};
const BROKER_AWAY = {
  type: ErrorResponseDto,
  description: 'Kafka did not answer in time; nothing partial is claimed',
};

@ApiTags('dead-letters')
@Controller('dead-letters')
export class DeadLettersController {
  constructor(
    private readonly deadLetters: DeadLettersService,
    private readonly redrives: RedriveService,
  ) {}

  @Get()
  // Record keys and failure texts are data.
  @KeyProtected()
  @ApiOperation({
    summary:
      "A group's dead letters, newest first: origin, key, reason, attempts, failure times, whether redriven",
  })
  @ApiOkResponse({ type: DeadLetterPageDto })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description: 'Bad limit or before: the message says the allowed range',
  })
  @ApiNotFoundResponse(UNKNOWN_GROUP)
  @ApiServiceUnavailableResponse(BROKER_AWAY)
  list(@Query() query: DeadLettersQueryDto): Promise<DeadLetterPageDto> {
    return kafkaCall(() =>
      this.deadLetters.list(
        query.group,
        query.limit ?? DEFAULT_PAGE,
        query.before,
      ),
    );
  }

  @Post('redrive')
  @HttpCode(200)
  @KeyProtected()
  @ApiOperation({
    summary:
      'Send dead letters back to the group that failed them (and no other), once each; dryRun writes nothing',
  })
  @ApiOkResponse({ type: RedriveAnswerDto })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description:
      'Malformed body, or neither or both of offsets and upTo: the message says what to fix',
  })
  @ApiNotFoundResponse(NO_SUCH_DEAD_LETTER)
  @ApiForbiddenResponse({
    type: ErrorResponseDto,
    description:
      'A cross-site request from a web page whose origin is not in HTTP_ALLOWED_ORIGINS: nothing was sent',
  })
  @ApiPayloadTooLargeResponse({
    type: ErrorResponseDto,
    description: 'Body over HTTP_BODY_LIMIT_BYTES',
  })
  @ApiUnsupportedMediaTypeResponse({
    type: ErrorResponseDto,
    description: 'A body that is not sent as application/json',
  })
  @ApiServiceUnavailableResponse(BROKER_AWAY)
  redrive(@Body() body: RedriveRequestDto): Promise<RedriveAnswerDto> {
    return kafkaCall(() => this.redrives.redrive(body));
  }
}

/** A refusal stays as it is; a Kafka failure is a 503 that names it, never a 500. */
async function kafkaCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof HttpException) throw error;
    throw new ServiceUnavailableException(
      `Kafka did not answer: ${errorMessage(error).slice(0, 300)}`,
    );
  }
}
