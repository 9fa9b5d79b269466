import type { NestExpressApplication } from '@nestjs/platform-express';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import type { Server } from 'node:http';
import type { AppSettings } from '../config/configuration.js';
import type { MetricsService } from '../metrics/metrics.service.js';
import { quoted } from './quote.js';

/**
 * Duration of every request by method, route pattern (never the raw URL, so
 * labels stay bounded) and status, 404s and guard refusals included.
 */
export function recordHttpMetrics(
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
export function hardenHttp(
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
export function answerWrongMethods(
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
        message: `no route ${quoted(req.path)}: paths are exact (lower case, no trailing slash), did you mean ${meant}?`,
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

/**
 * A web page on another site must not make a visitor's browser write here
 * (cross-site request forgery: a form or a no-cors fetch needs no CORS
 * permission to send a POST). Browsers say where a request comes from in
 * Sec-Fetch-Site and Origin, which pages cannot forge; tools (curl, other
 * services) send neither and are not concerned. Same-origin pages (the
 * dashboard's form) and HTTP_ALLOWED_ORIGINS may write.
 */
export function refuseCrossSiteWrites(
  express: NestExpressApplication,
  allowedOrigins: string[],
): void {
  const allowed = new Set(allowedOrigins);
  express.use((req: Request, res: Response, next: NextFunction) => {
    if (READ_METHODS.has(req.method)) {
      next();
      return;
    }
    const site = req.headers['sec-fetch-site'];
    const origin = req.headers.origin;
    const fromThisSite =
      site === 'same-origin' ||
      site === 'none' ||
      (origin === undefined
        ? site === undefined
        : allowed.has(origin) || sameHost(origin, req.headers.host));
    if (fromThisSite) {
      next();
      return;
    }
    res.status(403).json({
      statusCode: 403,
      error: 'Forbidden',
      message: `cross-site writes are refused (${said(origin, site)}): call the API from a server or a tool, or add the page's origin to HTTP_ALLOWED_ORIGINS`,
    });
  });
}

/** The browser's headers as sent; "none" is itself a Sec-Fetch-Site value, so an absent one is left out. */
function said(origin: string | undefined, site: string | undefined): string {
  return [
    origin === undefined ? [] : [`Origin ${quoted(origin)}`],
    site === undefined ? [] : [`Sec-Fetch-Site ${quoted(site)}`],
  ]
    .flat()
    .join(', ');
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false; // "null" (sandboxed or file:// pages) and malformed origins
  }
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

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
