import type { ConsumedRecord } from '../kafka/client/group-consumer.port.js';
import type { RedriveMark } from './dead-letter-entry.js';

/** The ledger's key of one dead letter of one group. */
export function ledgerKey(
  groupId: string,
  dlqPartition: number,
  dlqOffset: string,
): string {
  return `${groupId}:${dlqPartition}:${dlqOffset}`;
}

/** What one ledger record says (its value, JSON). */
export interface LedgerValue extends RedriveMark {
  /** Where the redriven copy went: the group's redrive topic and offset. */
  topic: string;
  partition: number;
  offset: string;
}

/**
 * The ledger as read from its start: the newest value per key wins (the
 * topic is compacted, so older values may or may not still be there); a
 * tombstone (null value) or an unreadable value forgets the key.
 */
export function ledgerOf(
  records: readonly ConsumedRecord[],
): Map<string, LedgerValue> {
  const ledger = new Map<string, LedgerValue>();
  for (const record of records) {
    const key = record.key?.toString();
    if (key === undefined) continue;
    const value = parseValue(record.value);
    if (value) ledger.set(key, value);
    else ledger.delete(key);
  }
  return ledger;
}

export function ledgerValue(value: LedgerValue): string {
  return JSON.stringify(value);
}

function parseValue(value: Buffer | null): LedgerValue | null {
  if (value === null || value.length === 0) return null;
  try {
    const parsed = JSON.parse(value.toString()) as Partial<LedgerValue>;
    return typeof parsed.redriveId === 'string' && typeof parsed.at === 'string'
      ? (parsed as LedgerValue)
      : null;
  } catch {
    return null;
  }
}
