import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { producerConfig } from '../config/config.namespaces.js';

export const API_KEY_HEADER = 'x-api-key';

/**
 * When PRODUCE_API_KEY is set, POST /produce and the detailed views
 * (/health, /consumers) need it in X-API-Key. Both sides are hashed first so
 * the comparison is constant-time whatever their lengths.
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
