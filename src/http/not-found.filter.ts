import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  NotFoundException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { quoted } from './quote.js';

/**
 * Nest answers an unknown route with "Cannot GET <the whole URL>": the
 * answer would grow with what a client sent. This one names the path,
 * bounded, and never the query string.
 */
@Catch(NotFoundException)
export class NotFoundFilter implements ExceptionFilter {
  catch(exception: NotFoundException, host: ArgumentsHost): void {
    if (host.getType() !== 'http') {
      throw exception;
    }
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const message = exception.message.startsWith(`Cannot ${req.method} `)
      ? `no route ${req.method} ${quoted(req.path)}`
      : exception.message;
    res.status(404).json({ statusCode: 404, error: 'Not Found', message });
  }
}
