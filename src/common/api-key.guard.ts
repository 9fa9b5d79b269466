import {
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { ConfigType } from '@nestjs/config';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { producerConfig } from '../config/config.namespaces.js';

export const API_KEY_HEADER = 'x-api-key';

/**
 * When PRODUCE_API_KEY is set, what it protects needs it in X-API-Key (see
 * KeyProtected). Both sides are hashed first so the comparison is
 * constant-time whatever their lengths.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly expected: Buffer | undefined;

  constructor(
    @Inject(producerConfig.KEY)
    config: Pick<ConfigType<typeof producerConfig>, 'apiKey'>,
  ) {
    this.expected =
      config.apiKey === undefined ? undefined : digest(config.apiKey);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) {
      return true;
    }
    const given = context
      .switchToHttp()
      .getRequest<Request>()
      .header(API_KEY_HEADER);
    if (given === undefined || !timingSafeEqual(digest(given), this.expected)) {
      throw new UnauthorizedException(
        `missing or wrong ${API_KEY_HEADER} header`,
      );
    }
    return true;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * A route behind PRODUCE_API_KEY, and said so in the OpenAPI document. The
 * key protects writes (POST /produce), record data (the record stream, the
 * analytics view with its top keys) and infrastructure detail (/health,
 * /consumers); the probes, /metrics and the dashboard stay open.
 */
export const KeyProtected = () =>
  applyDecorators(
    UseGuards(ApiKeyGuard),
    ApiSecurity('api-key'),
    ApiUnauthorizedResponse({
      description: 'PRODUCE_API_KEY is set and X-API-Key is missing or wrong',
    }),
  );
