import {
  BadRequestException,
  createParamDecorator,
  type ExecutionContext,
} from '@nestjs/common';
import { validateSync } from 'class-validator';
import type { Request } from 'express';
import { memberSource } from '../http/json-source.js';
import { isWellFormed, named } from '../http/quote.js';
import { ProduceRequestDto } from './dto/produce-request.dto.js';

/** A POST /produce body as the client sent it, checked field by field. */
export interface ProduceRequest {
  messagesPerPartition?: number;
  partitions?: number[];
  key?: string;
  /** The parsed object itself: every own name kept, `toString` and `__proto__` too. */
  headers?: Record<string, unknown>;
  /** The payload's JSON text exactly as sent; undefined when left out. */
  payloadText?: string;
}

const FIELDS = [
  'messagesPerPartition',
  'partitions',
  'key',
  'headers',
  'payload',
] as const;

/**
 * The body of POST /produce, validated without class-transformer.
 *
 * Why not the global ValidationPipe: class-transformer copies the body into
 * new objects and skips every name an object already has (`toString`,
 * `valueOf`, `hasOwnProperty`...), so `{"toString":1}` passed as `{}` and
 * such names silently vanished from payloads and headers. Here unknown
 * top-level names are refused whatever they are, the known ones are checked
 * with the DTO's own class-validator rules, and payload and headers are kept
 * as they were sent (the payload as its source text).
 */
export const ProduceBody = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ProduceRequest => {
    const req = context
      .switchToHttp()
      .getRequest<Request & { rawBody?: Buffer }>();
    // The raw body is decoded only when there is a payload to take from it.
    return parseProduceBody(req.body, () => req.rawBody?.toString('utf8'));
  },
);

export function parseProduceBody(
  body: unknown,
  source: () => string | undefined,
): ProduceRequest {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestException('request body must be a JSON object');
  }
  const fields = body as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (!(FIELDS as readonly string[]).includes(name)) {
      throw new BadRequestException([
        `property ${named(name)} should not exist`,
      ]);
    }
  }
  const dto = new ProduceRequestDto();
  for (const name of FIELDS) {
    if (Object.hasOwn(fields, name)) {
      (dto as Record<string, unknown>)[name] = fields[name];
    }
  }
  const errors = validateSync(dto, {
    stopAtFirstError: true,
    forbidUnknownValues: false,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) {
    throw new BadRequestException(
      errors.flatMap((error) => Object.values(error.constraints ?? {})),
    );
  }
  if (dto.key !== undefined && !isWellFormed(dto.key)) {
    throw new BadRequestException(
      'key must be valid Unicode: it holds a lone surrogate (\\ud800-\\udfff), which has no UTF-8 form',
    );
  }
  return {
    messagesPerPartition: dto.messagesPerPartition,
    partitions: dto.partitions,
    key: dto.key,
    headers: dto.headers,
    payloadText: Object.hasOwn(fields, 'payload')
      ? (payloadSource(source()) ?? JSON.stringify(fields.payload))
      : undefined,
  };
}

/** The payload's text in the raw body; undefined when there is none to read. */
function payloadSource(text: string | undefined): string | undefined {
  return text === undefined ? undefined : memberSource(text, 'payload');
}
