import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { AppSettings } from '../config/configuration.js';

/** The Server-Sent Event routes: the record stream and the dashboard's view. */
export const EVENT_STREAM_PATHS = new Set([
  '/realtime/stream',
  '/dashboard/events',
]);

/**
 * Bounds what event streams may cost: at most SSE_MAX_STREAMS open at once
 * (503 with Retry-After past it), and each may hold at most its share of
 * SSE_MAX_BUFFERED_BYTES unsent: a client that does not read is dropped once
 * its share is full, so all of them together never hold more than the total
 * (plus one event each).
 */
export function limitEventStreams(
  express: NestExpressApplication,
  settings: Pick<AppSettings, 'sseMaxStreams' | 'sseMaxBufferedBytes'>,
): void {
  const share = Math.floor(
    settings.sseMaxBufferedBytes / settings.sseMaxStreams,
  );
  let open = 0;
  express.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' || !EVENT_STREAM_PATHS.has(req.path)) {
      next();
      return;
    }
    if (open >= settings.sseMaxStreams) {
      res.setHeader('Retry-After', '5');
      res.status(503).json({
        statusCode: 503,
        error: 'Service Unavailable',
        message: `this replica has ${open} event streams open, its limit (SSE_MAX_STREAMS): try again later`,
      });
      return;
    }
    open++;
    res.once('close', () => open--);
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    res.write = ((...args: unknown[]) => {
      // Still holding more than its share from before: a reader that does
      // not keep up. (One event larger than the share is still sent.)
      if (res.writableLength > share) {
        res.destroy();
        return false;
      }
      write(...args);
      // Never ask Nest to wait: it would queue the events itself (up to
      // 4 MiB a client, unseen here); the share bounds them instead.
      return true;
    }) as Response['write'];
    next();
  });
}
