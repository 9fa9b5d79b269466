import {
  type ArgumentMetadata,
  BadRequestException,
  ConsoleLogger,
  type INestApplication,
  ValidationPipe,
} from '@nestjs/common';
import { isUtf8 } from 'node:buffer';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { STATUS_CODES } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { LOG_LEVELS, type AppSettings } from './config/configuration.js';
import { limitEventStreams } from './http/event-stream-limits.js';
import {
  answerWrongMethods,
  hardenHttp,
  recordHttpMetrics,
  refuseCrossSiteWrites,
} from './http/http-hardening.js';
import {
  jsonDepthProblem,
  prototypeKeyProblem,
} from './http/json-body.checks.js';
import { NotFoundFilter } from './http/not-found.filter.js';
import { quoted } from './http/quote.js';
import { setupOpenApi } from './http/openapi.js';
import { GroupConsumerRegistry } from './kafka/consumer/group-consumer.registry.js';
import { MetricsService } from './metrics/metrics.service.js';

/** LOG_LEVEL names the least severe level still printed. */
export function createLogger(
  app: Pick<AppSettings, 'logLevel' | 'logFormat'>,
): ConsoleLogger {
  const levels = LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(app.logLevel) + 1);
  return new ConsoleLogger({
    json: app.logFormat === 'json',
    logLevels: levels,
    colors: false,
  });
}

/**
 * Everything main.ts and the e2e tests share after the app is created:
 * HTTP input rules, and one Nest microservice per consumer group this
 * replica runs (each with its own transport id, see GroupConsumerServer).
 */
export function configureApp(
  app: INestApplication,
  settings: AppSettings,
): void {
  const express = app as NestExpressApplication;
  hardenHttp(express, settings);
  recordHttpMetrics(express, app.get(MetricsService));
  refuseCrossSiteWrites(express, settings.allowedOrigins);
  limitEventStreams(express, settings);
  express.useBodyParser('json', { limit: settings.bodyLimitBytes });
  // Body-parser errors (malformed JSON, body too large) happen before Nest's
  // exception filters: answer them in the same JSON shape, never as HTML.
  express.use(
    (
      error: BodyParserError,
      _req: Request,
      res: Response,
      next: NextFunction,
    ) => {
      if (
        !error ||
        typeof error.status !== 'number' ||
        error.status < 400 ||
        error.status >= 500
      ) {
        next(error);
        return;
      }
      // One message per cause, never the parser's own text (it quotes the body).
      const message =
        error.type === 'entity.too.large'
          ? `request body is larger than the ${settings.bodyLimitBytes}-byte limit (HTTP_BODY_LIMIT_BYTES)`
          : error.type === 'entity.parse.failed'
            ? 'request body must be a JSON object (valid JSON)'
            : error.type === 'charset.unsupported'
              ? 'request body must be JSON encoded as UTF-8'
              : 'request body could not be read';
      res.status(error.status).json({
        statusCode: error.status,
        error: STATUS_CODES[error.status] ?? 'Bad Request',
        message,
      });
    },
  );
  // Every JSON body this API takes is an object; an array would otherwise be
  // validated index by index ("property 0 should not exist").
  express.use((req: Request, res: Response, next: NextFunction) => {
    const refuse = (status: number, message: string) =>
      res.status(status).json({
        statusCode: status,
        error: STATUS_CODES[status],
        message,
      });
    // A body the JSON parser skipped (text, form, ...) would be silently ignored.
    if (req.method === 'POST' && hasBody(req) && !req.is('application/json')) {
      refuse(
        415,
        `send the body as JSON with content-type: application/json (got ${quoted(req.headers['content-type'] ?? 'none')})`,
      );
      return;
    }
    const raw = (req as Request & { rawBody?: unknown }).rawBody;
    // JSON between systems is UTF-8 (RFC 8259); decoding other bytes would
    // store U+FFFD in place of what was sent.
    if (Buffer.isBuffer(raw) && !utf8Charset(req)) {
      refuse(415, 'request body must be JSON encoded as UTF-8');
      return;
    }
    if (Buffer.isBuffer(raw) && !isUtf8(raw)) {
      refuse(400, 'request body must be JSON encoded as UTF-8');
      return;
    }
    const problem = Array.isArray(req.body)
      ? 'request body must be a JSON object, not an array'
      : jsonDepthProblem(req.body, settings.maxJsonDepth);
    if (problem) {
      refuse(400, problem);
      return;
    }
    next();
  });
  app.useGlobalPipes(
    new CopySafeValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: true,
      validationError: { target: false, value: false },
    }),
  );
  app.useGlobalFilters(new NotFoundFilter());
  const document = setupOpenApi(app);
  answerWrongMethods(express, document);
  for (const server of app.get(GroupConsumerRegistry).transports()) {
    app.connectMicroservice({ strategy: server }, { inheritAppConfig: true });
  }
}

/**
 * The ValidationPipe copies a value into its DTO class with
 * class-transformer: refuse, before that copy, a key that would reach the
 * copy's prototype. Only where it copies (toValidate): a consumer handler's
 * records, or POST /produce's body (ProduceBody), are never copied, and a
 * `__proto__` in their data stays data.
 */
class CopySafeValidationPipe extends ValidationPipe {
  override async transform(
    value: unknown,
    metadata: ArgumentMetadata,
  ): Promise<unknown> {
    if (this.toValidate(metadata)) {
      const problem = prototypeKeyProblem(value);
      if (problem) throw new BadRequestException([problem]);
    }
    return super.transform(value, metadata);
  }
}

/** No charset, or UTF-8. */
function utf8Charset(req: Request): boolean {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(
    req.headers['content-type'] ?? '',
  )?.[1];
  return charset === undefined || /^utf-?8$/i.test(charset);
}

function hasBody(req: Request): boolean {
  return (
    Number(req.headers['content-length'] ?? 0) > 0 ||
    req.headers['transfer-encoding'] !== undefined
  );
}

interface BodyParserError extends Error {
  status?: number;
  type?: string;
}
