import {
  ConsoleLogger,
  type INestApplication,
  ValidationPipe,
} from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { STATUS_CODES } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { LOG_LEVELS, type AppSettings } from './config/configuration.js';
import {
  answerWrongMethods,
  hardenHttp,
  recordHttpMetrics,
} from './http/http-hardening.js';
import { jsonBodyProblem } from './http/json-body.checks.js';
import { setupOpenApi } from './http/openapi.js';
import { GroupConsumerRegistry } from './kafka/group-consumer.registry.js';
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
    // A body the JSON parser skipped (text, form, ...) would be silently ignored.
    if (req.method === 'POST' && hasBody(req) && !req.is('application/json')) {
      res.status(415).json({
        statusCode: 415,
        error: 'Unsupported Media Type',
        message: `send the body as JSON with content-type: application/json (got ${req.headers['content-type'] ?? 'none'})`,
      });
      return;
    }
    const problem = Array.isArray(req.body)
      ? 'request body must be a JSON object, not an array'
      : jsonBodyProblem(req.body, settings.maxJsonDepth);
    if (problem) {
      res
        .status(400)
        .json({ statusCode: 400, error: 'Bad Request', message: problem });
      return;
    }
    next();
  });
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: true,
      validationError: { target: false, value: false },
    }),
  );
  const document = setupOpenApi(app);
  answerWrongMethods(express, document);
  for (const server of app.get(GroupConsumerRegistry).all()) {
    app.connectMicroservice({ strategy: server }, { inheritAppConfig: true });
  }
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
