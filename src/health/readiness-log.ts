import { Injectable, Logger } from '@nestjs/common';

/**
 * Logs a change of readiness once, at the right level: a warning naming what
 * became not ready (with why), a log line when all is ready again. Terminus'
 * own "Health Check has failed!" error line for every failed probe is off.
 */
@Injectable()
export class ReadinessLog {
  private readonly logger = new Logger('Readiness');
  /** The names of what was not ready at the last check ('' = ready). */
  private last: string | undefined;

  ready(): void {
    if (this.last !== '') {
      if (this.last !== undefined) {
        this.logger.log('ready again');
      }
      this.last = '';
    }
  }

  notReady(down: Record<string, { message?: unknown }>): void {
    const names = Object.keys(down).sort().join(',');
    if (names !== this.last) {
      this.last = names;
      const why = Object.entries(down)
        .map(([name, details]) =>
          typeof details.message === 'string'
            ? `${name} (${details.message})`
            : name,
        )
        .join('; ');
      this.logger.warn(`not ready: ${why}`);
    }
  }
}
