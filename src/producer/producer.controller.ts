import {
  Controller,
  Headers,
  HttpCode,
  HttpStatus,
  Post,
  Res,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiHeader,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { KeyProtected } from '../common/api-key.guard.js';
import { ProduceRequestDto } from './dto/produce-request.dto.js';
import { ProduceBody, type ProduceRequest } from './produce-body.js';
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
  @KeyProtected()
  @ApiOperation({
    summary:
      'Write records to every partition (or the ones named) of the topic',
    description:
      'One batched, idempotent, acks=all request with an explicit partition per record. ' +
      'Each record value is JSON: {id, partition, sequence, producedAt, payload}.',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Makes a retry safe. The same key with the same request: while the first is in flight it waits for it, ' +
      'after a success it answers the same result (Idempotent-Replayed: true) without writing, after a 503 it writes ' +
      "again with the same record ids (carried in each record's idempotency-key header), which each group handles once. " +
      'The same key with another request: 422. Kept per replica for PRODUCE_IDEMPOTENCY_TTL_SECONDS. 1-128 visible ASCII characters.',
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
  @ApiPayloadTooLargeResponse({
    type: ErrorResponseDto,
    description: 'Body over HTTP_BODY_LIMIT_BYTES',
  })
  @ApiForbiddenResponse({
    type: ErrorResponseDto,
    description:
      'A cross-site request from a web page (Origin / Sec-Fetch-Site) whose origin is not in HTTP_ALLOWED_ORIGINS: nothing was written',
  })
  @ApiUnprocessableEntityResponse({
    type: ErrorResponseDto,
    description:
      'The Idempotency-Key was already used with a different request: nothing was written',
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
  async produce(
    @ProduceBody() body: ProduceRequest,
    // All headers, not @Headers('idempotency-key'): that would add a second,
    // required header to the OpenAPI document beside the @ApiHeader above.
    @Headers() headers: Record<string, string | undefined>,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ProduceResult> {
    const { result, replayed } = await this.producer.produce(
      body,
      headers['idempotency-key'],
    );
    if (replayed) {
      res.setHeader('Idempotent-Replayed', 'true');
    }
    return result;
  }
}
