import { randomUUID } from 'node:crypto';

/** A name no other test (or earlier run) uses: topics and groups are never shared. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
