import type { ConsumedRecord } from '../kafka/client/group-consumer.port.js';
import { deadLetterEntry } from './dead-letter-entry.js';
import { newestRanges, pageOf } from './dead-letter-paging.js';
import { ledgerKey, ledgerOf, ledgerValue } from './redrive-ledger.js';
import { redriveHeaders } from './redrive-headers.js';

const record = (
  offset: string,
  headers: Record<string, string>,
  key: string | null = 'k',
): ConsumedRecord => ({
  offset,
  key: key === null ? null : Buffer.from(key),
  value: Buffer.from('{}'),
  headers,
  timestamp: '0',
});

describe('deadLetterEntry', () => {
  it('reads origin, reason, attempts and failure times from the publisher headers', () => {
    const entry = deadLetterEntry(
      0,
      record('5', {
        'x-origin-topic': 'demo',
        'x-origin-partition': '1',
        'x-origin-offset': '9',
        'x-error': 'boom',
        'x-error-class': 'RangeError',
        'x-attempts': '2',
        'x-failed-at': '2026-12-06T01:00:00.000Z',
        'x-failure-history': JSON.stringify([
          { error: 'old', attempts: 4, failedAt: '2026-12-05T00:00:00.000Z' },
        ]),
      }),
      { redriveId: 'r', at: 'now' },
    );

    expect(entry).toMatchObject({
      dlqPartition: 0,
      dlqOffset: '5',
      topic: 'demo',
      partition: 1,
      offset: '9',
      key: 'k',
      reason: { errorClass: 'RangeError', message: 'boom' },
      attempts: 2,
      totalAttempts: 6,
      firstFailedAt: '2026-12-05T00:00:00.000Z',
      lastFailedAt: '2026-12-06T01:00:00.000Z',
      redriven: { redriveId: 'r', at: 'now' },
    });
  });

  it('reads a record without the headers as unknowns, not as an error', () => {
    expect(deadLetterEntry(0, record('1', {}, null), null)).toMatchObject({
      topic: null,
      partition: null,
      key: null,
      reason: { errorClass: null, message: '' },
      attempts: 0,
      firstFailedAt: null,
    });
  });
});

describe('paging', () => {
  const partitions = [{ partition: 0, low: '3', high: '10' }];

  it('reads the newest `limit` offsets below the cursor, bounded by what the partition holds', () => {
    expect(newestRanges(partitions, 4)).toEqual([
      { partition: 0, from: 6n, until: 10n },
    ]);
    expect(newestRanges(partitions, 4, 5n)).toEqual([
      { partition: 0, from: 3n, until: 5n },
    ]);
    expect(newestRanges(partitions, 4, 3n)).toEqual([]);
    expect(newestRanges(partitions, 4, 99n)).toEqual([
      { partition: 0, from: 6n, until: 10n },
    ]);
  });

  it('orders newest first and gives a cursor only while older records remain', () => {
    const entries = ['6', '9', '7', '8'].map((dlqOffset) => ({
      dlqPartition: 0,
      dlqOffset,
    }));

    const first = pageOf(entries, 3, partitions);
    expect(first.entries.map((e) => e.dlqOffset)).toEqual(['9', '8', '7']);
    expect(first.nextBefore).toBe('7');
    const last = pageOf([{ dlqPartition: 0, dlqOffset: '3' }], 3, partitions);
    expect(last.nextBefore).toBeNull();
    expect(pageOf([], 3, partitions)).toEqual({
      entries: [],
      nextBefore: null,
    });
  });
});

describe('redrive ledger', () => {
  it('keeps the newest value per key and forgets a key at a tombstone or an unreadable value', () => {
    const key = ledgerKey('rt', 0, '4');
    const mark = (redriveId: string): ConsumedRecord => ({
      offset: '0',
      key: Buffer.from(key),
      value: Buffer.from(
        ledgerValue({
          redriveId,
          at: 't',
          topic: 'x',
          partition: 0,
          offset: '1',
        }),
      ),
      timestamp: '0',
    });
    const tombstone: ConsumedRecord = { ...mark(''), value: null };

    expect(key).toBe('rt:0:4');
    expect(ledgerOf([mark('a'), mark('b')]).get(key)?.redriveId).toBe('b');
    expect(ledgerOf([mark('a'), tombstone]).has(key)).toBe(false);
    expect(
      ledgerOf([{ ...mark('a'), value: Buffer.from('nope') }]).has(key),
    ).toBe(false);
  });
});

describe('redriveHeaders', () => {
  it('keeps every dead-letter header and adds which dead letter and redrive this is', () => {
    const at = new Date('2026-12-06T01:00:00.000Z');
    expect(redriveHeaders({ 'x-error': 'boom' }, 0, '4', 'r-1', at)).toEqual({
      'x-error': 'boom',
      'x-redrive-id': 'r-1',
      'x-redriven-at': at.toISOString(),
      'x-redrive-dlq-partition': '0',
      'x-redrive-dlq-offset': '4',
    });
  });
});
