import {
  Controller,
  Get,
  Header,
  NotFoundException,
  Param,
  Res,
  Sse,
  type MessageEvent,
} from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { fileURLToPath } from 'node:url';
import { map, type Observable } from 'rxjs';
import { quoted } from '../http/quote.js';
import { ClusterViewService } from './cluster-view.service.js';

// public/dashboard/ at the repo root: two levels up from both src/dashboard and dist/dashboard.
const ASSETS = fileURLToPath(
  new URL('../../public/dashboard/', import.meta.url),
);
const FILES = new Set(['dashboard.js', 'dashboard.css', 'favicon.svg']);

/** Same-origin only: the page, its two files and its event stream; nothing inline, nothing remote. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

@ApiTags('dashboard')
@Controller('dashboard')
export class DashboardController {
  constructor(private readonly views: ClusterViewService) {}

  @Get()
  @Header('Content-Security-Policy', CSP)
  @Header('Cache-Control', 'no-cache')
  @ApiOperation({
    summary:
      'Live page: both groups, their members, the partitions each owns, committed offsets and lag',
  })
  page(@Res() res: Response): void {
    res.type('html').sendFile('index.html', { root: ASSETS });
  }

  @Get('assets/:file')
  @Header('Cache-Control', 'no-cache')
  @ApiExcludeEndpoint()
  asset(@Param('file') file: string, @Res() res: Response): void {
    if (!FILES.has(file)) {
      throw new NotFoundException(`no dashboard file ${quoted(file)}`);
    }
    res.sendFile(file, { root: ASSETS });
  }

  @Sse('events')
  @ApiOperation({
    summary:
      'Server-Sent Events: the cluster view each DASHBOARD_REFRESH_MS while any page is open',
  })
  events(): Observable<MessageEvent> {
    return this.views.views().pipe(map((view) => ({ data: view })));
  }
}
