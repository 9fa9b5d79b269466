import {
  DLQ_HEADERS,
  REDRIVE_HEADERS,
  redriveSource,
} from '../kafka.constants.js';

/** One earlier failure of a record, as kept in its x-failure-history header. */
export interface FailureRecord {
  error: string;
  errorClass: string | null;
  attempts: number;
  failedAt: string | null;
  /** Where that failure's dead letter was, and the redrive that sent it back. */
  dlqPartition: number | null;
  dlqOffset: string | null;
  redriveId: string | null;
}

/** What the dead-letter publisher knows of the record and its failure. */
export interface FailedRecord {
  /** The group whose handler failed (a redrive group for a redriven record). */
  groupId: string;
  topic: string;
  partition: number;
  offset: string;
  /** The record's own headers as it was read. */
  headers: Record<string, string>;
  error: unknown;
  attempts: number;
  failedAt: Date;
}

/** The history header caps its length: a record redriven forever keeps its newest failures. */
const MAX_HISTORY = 20;
const MAX_ERROR_CHARS = 1_000;

/**
 * Where a failed record goes and the headers it gets there. A record read
 * from the main topic: its origin is where it was read. A redriven record
 * (read from `<topic>.redrive.<group>` by `<group>.redrive`): it returns to
 * the group's own dead-letter topic with its first origin kept, and the
 * failure it was redriven from appended to its history; the redrive's own
 * headers are dropped (they are in the history now).
 */
export function deadLetterTarget(failed: FailedRecord): {
  topic: string;
  groupId: string;
  headers: Record<string, string>;
} {
  const source = redriveSource(failed.topic, failed.groupId);
  const redriven =
    source !== null && failed.headers[REDRIVE_HEADERS.redriveId] !== undefined;
  const headers: Record<string, string> = { ...failed.headers };
  let origin = {
    topic: failed.topic,
    groupId: failed.groupId,
    partition: String(failed.partition),
    offset: failed.offset,
  };
  if (redriven) {
    origin = {
      topic: source.topic,
      groupId: source.groupId,
      partition: failed.headers[DLQ_HEADERS.partition] ?? '',
      offset: failed.headers[DLQ_HEADERS.offset] ?? '',
    };
    const history = [
      ...parseHistory(failed.headers[REDRIVE_HEADERS.history]),
      previousFailure(failed.headers),
    ].slice(-MAX_HISTORY);
    headers[REDRIVE_HEADERS.history] = JSON.stringify(history);
    for (const name of [
      REDRIVE_HEADERS.redriveId,
      REDRIVE_HEADERS.redrivenAt,
      REDRIVE_HEADERS.dlqPartition,
      REDRIVE_HEADERS.dlqOffset,
    ]) {
      delete headers[name];
    }
  }
  const error = failed.error;
  Object.assign(headers, {
    [DLQ_HEADERS.topic]: origin.topic,
    [DLQ_HEADERS.partition]: origin.partition,
    [DLQ_HEADERS.offset]: origin.offset,
    [DLQ_HEADERS.group]: origin.groupId,
    [DLQ_HEADERS.error]: messageOf(error).slice(0, MAX_ERROR_CHARS),
    [REDRIVE_HEADERS.errorClass]: classOf(error),
    [DLQ_HEADERS.attempts]: String(failed.attempts),
    [DLQ_HEADERS.failedAt]: failed.failedAt.toISOString(),
  });
  return { topic: origin.topic, groupId: origin.groupId, headers };
}

/** The failure a dead letter's headers record (the one it is redriven from). */
export function previousFailure(
  headers: Record<string, string>,
): FailureRecord {
  const partition = headers[REDRIVE_HEADERS.dlqPartition];
  return {
    error: headers[DLQ_HEADERS.error] ?? '',
    errorClass: headers[REDRIVE_HEADERS.errorClass] ?? null,
    attempts: Number(headers[DLQ_HEADERS.attempts] ?? 0) || 0,
    failedAt: headers[DLQ_HEADERS.failedAt] ?? null,
    dlqPartition: partition === undefined ? null : Number(partition),
    dlqOffset: headers[REDRIVE_HEADERS.dlqOffset] ?? null,
    redriveId: headers[REDRIVE_HEADERS.redriveId] ?? null,
  };
}

/** The x-failure-history header; anything unreadable counts as no history. */
export function parseHistory(text: string | undefined): FailureRecord[] {
  if (text === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (item): item is FailureRecord =>
        typeof item === 'object' &&
        item !== null &&
        typeof (item as { error?: unknown }).error === 'string',
    );
  } catch {
    return [];
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function classOf(error: unknown): string {
  if (error instanceof Error) return error.constructor.name || error.name;
  return typeof error;
}
