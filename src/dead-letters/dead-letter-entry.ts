import type {
  ConsumedRecord,
  RecordHeaderValue,
} from '../kafka/client/group-consumer.port.js';
import {
  type FailureRecord,
  parseHistory,
} from '../kafka/consumer/dead-letter.headers.js';
import { DLQ_HEADERS, REDRIVE_HEADERS } from '../kafka/kafka.constants.js';

/** A redrive of one dead letter, as the ledger records it. */
export interface RedriveMark {
  redriveId: string;
  at: string;
}

/** One dead-lettered record as GET /dead-letters shows it. */
export interface DeadLetterEntry {
  dlqPartition: number;
  dlqOffset: string;
  /** Where the record was first read: the group's topic, partition and offset. */
  topic: string | null;
  partition: number | null;
  offset: string | null;
  key: string | null;
  reason: { errorClass: string | null; message: string };
  /** Attempts of this failure, and of every earlier one (redrives included). */
  attempts: number;
  totalAttempts: number;
  firstFailedAt: string | null;
  lastFailedAt: string | null;
  /** Earlier failures of the same record, oldest first (before it was redriven). */
  history: FailureRecord[];
  redriven: RedriveMark | null;
}

/** A record's headers as strings (a repeated header: its values joined by ','). */
export function headerText(
  headers: ConsumedRecord['headers'],
): Record<string, string> {
  const text: Record<string, string> = {};
  for (const name in headers) {
    const value: RecordHeaderValue | undefined = headers[name];
    if (value === undefined) continue;
    text[name] = Array.isArray(value)
      ? value.map(String).join(',')
      : value.toString();
  }
  return text;
}

/** Reads what the dead-letter publisher wrote on a record; missing headers read as null. */
export function deadLetterEntry(
  dlqPartition: number,
  record: ConsumedRecord,
  redriven: RedriveMark | null,
): DeadLetterEntry {
  const headers = headerText(record.headers);
  const history = parseHistory(headers[REDRIVE_HEADERS.history]);
  const attempts = wholeNumber(headers[DLQ_HEADERS.attempts]) ?? 0;
  const partition = wholeNumber(headers[DLQ_HEADERS.partition]);
  const lastFailedAt = headers[DLQ_HEADERS.failedAt] ?? null;
  return {
    dlqPartition,
    dlqOffset: record.offset,
    topic: headers[DLQ_HEADERS.topic] ?? null,
    partition,
    offset: headers[DLQ_HEADERS.offset] ?? null,
    key: record.key?.toString() ?? null,
    reason: {
      errorClass: headers[REDRIVE_HEADERS.errorClass] ?? null,
      message: headers[DLQ_HEADERS.error] ?? '',
    },
    attempts,
    totalAttempts: history.reduce(
      (sum, failure) => sum + (Number(failure.attempts) || 0),
      attempts,
    ),
    firstFailedAt: history[0]?.failedAt ?? lastFailedAt,
    lastFailedAt,
    history,
    redriven,
  };
}

function wholeNumber(text: string | undefined): number | null {
  if (text === undefined || !/^\d+$/.test(text)) return null;
  return Number(text);
}
