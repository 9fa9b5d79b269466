import {
  ConsoleLogger,
  type INestApplication,
  ValidationPipe,
} from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { LOG_LEVELS, type AppSettings } from './config/configuration.js';
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
      const message =
        error.type === 'entity.too.large'
          ? `request body is larger than the ${settings.bodyLimitBytes}-byte limit (HTTP_BODY_LIMIT_BYTES)`
          : error.type === 'entity.parse.failed'
            ? `request body must be a JSON object: ${error.message}`
            : error.message;
      res
        .status(error.status)
        .json({ statusCode: error.status, error: error.name, message });
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
    if (Array.isArray(req.body)) {
      res.status(400).json({
        statusCode: 400,
        error: 'Bad Request',
        message: 'request body must be a JSON object, not an array',
      });
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
  setupOpenApi(app);
  for (const server of app.get(GroupConsumerRegistry).all()) {
    app.connectMicroservice({ strategy: server }, { inheritAppConfig: true });
  }
}

/**
 * Duration of every request by method, route pattern (never the raw URL, so
 * labels stay bounded) and status, 404s and guard refusals included.
 */
function recordHttpMetrics(
  express: NestExpressApplication,
  metrics: MetricsService,
): void {
  express.use((req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    res.once('finish', () => {
      const route = (req.route as { path?: unknown } | undefined)?.path;
      metrics.httpRequest(
        req.method,
        typeof route === 'string' ? route : 'unmatched',
        res.statusCode,
        (performance.now() - started) / 1_000,
      );
    });
    next();
  });
}

/** OpenAPI UI at /docs, the document at /docs-json. */
function setupOpenApi(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('nest-kafka-groups')
      .setDescription(
        'Produce to every partition of one topic; two consumer groups (realtime, analytics) each receive every record, ' +
          'and the replicas of one group share its partitions.',
      )
      .setVersion('0.1.0')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
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
