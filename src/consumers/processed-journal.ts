import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appendFileSync } from 'node:fs';
import { consumersConfig } from '../config/config.namespaces.js';
import type { GroupMessageMeta } from '../kafka/consumer/group-message.context.js';

/**
 * Optional audit trail (CONSUMER_JOURNAL_FILE): one JSON line per record a group
 * handled on this replica, written synchronously before the offset is committed.
 * The scale/failover tests and `npm run demo:scale` read it to check
 * exactly-once per group (no restarts) and at-least-once (across a crash).
 */
@Injectable()
export class ProcessedJournal {
  private readonly file: string | undefined;

  constructor(
    @Inject(consumersConfig.KEY) config: ConfigType<typeof consumersConfig>,
  ) {
    this.file = config.journalFile;
  }

  record(meta: GroupMessageMeta, payload: unknown): void {
    if (!this.file) {
      return;
    }
    const id = (payload as { id?: unknown } | null)?.id;
    const line = {
      group: meta.groupId,
      id,
      partition: meta.partition,
      offset: meta.offset,
      pid: process.pid,
      at: Date.now(),
    };
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }
}
