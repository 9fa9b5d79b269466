import {
  Body,
  Controller,
  Headers,
  HttpCode,
  HttpStatus,
  Post,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiCreatedResponse,
  ApiHeader,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiSecurity,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { ApiKeyGuard } from '../common/api-key.guard.js';
import { ProduceRequestDto } from './dto/produce-request.dto.js';
import {
  ErrorResponseDto,
  ProduceResponseDto,
} from './dto/produce-response.dto.js';
import { type ProduceResult, ProducerService } from './producer.service.js';

@ApiTags('producer')
@Controller()
export class ProducerController {
  constructor(private readonly producer: ProducerService) {}

  @Post('produce')
  @HttpCode(HttpStatus.CREATED)
  @UseGuards(ApiKeyGuard)
  @ApiOperation({
    summary:
      'Write records to every partition (or the ones named) of the topic',
    description:
      'One batched, idempotent, acks=all request with an explicit partition per record. ' +
      'Each record value is JSON: {id, partition, sequence, producedAt, payload}.',
  })
  @ApiSecurity('api-key')
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Makes a retry safe: the same key (and body) gives the same record ids, carried in each ' +
      "record's idempotency-key header; the analytics group counts an id once. 1-128 visible ASCII characters.",
    // The same rule the service checks (ProducerService), so clients and fuzzers agree.
    schema: {
      type: 'string',
      minLength: 1,
      maxLength: 128,
      pattern: '^[\\x21-\\x7e]{1,128}$',
    },
  })
  @ApiBody({
    type: ProduceRequestDto,
    required: false,
    description:
      'Optional: no body (or {}) writes 3 records to every partition of the topic',
  })
  @ApiCreatedResponse({
    type: ProduceResponseDto,
    description: 'Where the records landed',
  })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description:
      'Invalid body: the message names the field and the allowed range',
  })
  @ApiUnauthorizedResponse({
    type: ErrorResponseDto,
    description: 'PRODUCE_API_KEY is set and X-API-Key is missing or wrong',
  })
  @ApiPayloadTooLargeResponse({
    type: ErrorResponseDto,
    description: 'Body over HTTP_BODY_LIMIT_BYTES',
  })
  @ApiUnsupportedMediaTypeResponse({
    type: ErrorResponseDto,
    description: 'A body that is not sent as application/json',
  })
  @ApiServiceUnavailableResponse({
    type: ErrorResponseDto,
    description:
      'No acknowledgement within PRODUCE_TIMEOUT_MS (the cause named): the outcome is unknown, retry with the same Idempotency-Key',
  })
  produce(
    @Body() body: ProduceRequestDto,
    // All headers, not @Headers('idempotency-key'): that would add a second,
    // required header to the OpenAPI document beside the @ApiHeader above.
    @Headers() headers: Record<string, string | undefined>,
  ): Promise<ProduceResult> {
    const idempotencyKey = headers['idempotency-key'];
    return this.producer.produce(body ?? {}, idempotencyKey);
  }
}
