import {
  ConsoleLogger,
  type INestApplication,
  ValidationPipe,
} from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import {
  DocumentBuilder,
  type OpenAPIObject,
  SwaggerModule,
} from '@nestjs/swagger';
import { type Server, STATUS_CODES } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { producerConfig } from './config/config.namespaces.js';
import {
  LOG_LEVELS,
  type AppSettings,
  type ProducerSettings,
} from './config/configuration.js';
import {
  FORBIDDEN_JSON_KEYS,
  jsonBodyProblem,
} from './http/json-body.checks.js';
import { GroupConsumerRegistry } from './kafka/group-consumer.registry.js';
import { TopicService } from './kafka/topic.service.js';
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

/**
 * Security headers on every answer, and bounded request reading: a client
 * that stalls while sending headers or body is cut off (Node's defaults wait
 * minutes). /dashboard sets its own, same-origin CSP; /docs' UI needs its
 * inline styles.
 */
function hardenHttp(
  express: NestExpressApplication,
  settings: AppSettings,
): void {
  express.disable('x-powered-by');
  const server: Server = express.getHttpServer();
  server.requestTimeout = settings.requestTimeoutMs;
  server.headersTimeout = Math.min(settings.requestTimeoutMs, 60_000);
  // Node checks those timeouts every 30 s by default: a 10 s bound would be 40.
  (
    server as Server & { connectionsCheckingInterval: number }
  ).connectionsCheckingInterval = 1_000;
  express.use((req: Request, res: Response, next: NextFunction) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader(
      'Content-Security-Policy',
      req.path.startsWith('/docs')
        ? "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
        : "default-src 'none'; frame-ancestors 'none'",
    );
    next();
  });
}

/**
 * Paths are exact: /PRODUCE and /produce/ are not /produce (Express would
 * match them) but a 404 that names the path meant. A documented path asked
 * with a method it does not take is a 405 with an Allow header.
 */
function answerWrongMethods(
  express: NestExpressApplication,
  document: OpenAPIObject,
): void {
  const allowed = new Map<string, string[]>();
  for (const [path, item] of Object.entries(document.paths)) {
    if (!path.includes('{')) {
      const methods = Object.keys(item)
        .filter((m) => HTTP_METHODS.has(m))
        .map((m) => m.toUpperCase());
      allowed.set(
        path,
        methods.includes('GET') ? [...methods, 'HEAD'] : methods,
      );
    }
  }
  const byLooseForm = new Map(
    [...allowed.keys()].map((path) => [loose(path), path]),
  );
  express.use((req: Request, res: Response, next: NextFunction) => {
    const meant = byLooseForm.get(loose(req.path));
    if (meant !== undefined && meant !== req.path) {
      res.status(404).json({
        statusCode: 404,
        error: 'Not Found',
        message: `no route ${req.path}: paths are exact (lower case, no trailing slash), did you mean ${meant}?`,
      });
      return;
    }
    const methods = allowed.get(req.path);
    if (methods && !methods.includes(req.method)) {
      res.setHeader('Allow', methods.join(', '));
      res.status(405).json({
        statusCode: 405,
        error: 'Method Not Allowed',
        message: `${req.path} answers ${methods.join(', ')} only`,
      });
      return;
    }
    next();
  });
}

function loose(path: string): string {
  return path.toLowerCase().replace(/\/+$/, '');
}

const HTTP_METHODS = new Set([
  'get',
  'put',
  'post',
  'delete',
  'options',
  'head',
  'patch',
  'trace',
]);

/** OpenAPI UI at /docs, the document at /docs-json. */
function setupOpenApi(app: INestApplication): OpenAPIObject {
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
  // Built on first request: the topic's partition count is known only once
  // the app has started (topic provisioning runs in onModuleInit).
  SwaggerModule.setup('docs', app, () => {
    describeProduceBody(document, app);
    return document;
  });
  return document;
}

/**
 * The body schema of POST /produce with the bounds of this replica: its
 * configured limits and the topic's real partition count, so a client (or
 * schemathesis) that follows the document is never refused.
 */
function describeProduceBody(
  document: OpenAPIObject,
  app: INestApplication,
): void {
  const schema = document.components?.schemas?.ProduceRequestDto;
  if (!schema || '$ref' in schema || !schema.properties) {
    return;
  }
  const limits = app.get<ProducerSettings>(producerConfig.KEY);
  const topics = app.get(TopicService, { strict: false });
  // The ValidationPipe rejects unknown properties (forbidNonWhitelisted).
  schema.additionalProperties = false;
  const props = schema.properties as Record<string, Record<string, unknown>>;
  Object.assign(props.messagesPerPartition, {
    type: 'integer',
    minimum: 1,
    maximum: Math.min(
      limits.maxMessagesPerPartition,
      Math.floor(limits.maxRecords / Math.max(1, topics.partitionCount)),
    ),
  });
  Object.assign(props.partitions, {
    minItems: 1,
    uniqueItems: true,
    items: {
      type: 'integer',
      minimum: 0,
      maximum: Math.max(0, topics.partitionCount - 1),
    },
  });
  // Keys that reach a prototype when copied are refused anywhere in the body (400).
  const safeNames = { not: { enum: [...FORBIDDEN_JSON_KEYS] } };
  (schema as Record<string, unknown>).propertyNames = safeNames;
  Object.assign(props.headers, {
    maxProperties: limits.maxHeaders,
    propertyNames: safeNames,
  });
  const anyJson = props.payload.oneOf as Record<string, unknown>[] | undefined;
  anyJson
    ?.filter((alternative) => alternative.type === 'object')
    .forEach((alternative) => (alternative.propertyNames = safeNames));
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
