import { REDRIVE_HEADERS } from '../kafka/kafka.constants.js';

/**
 * The headers a redriven copy carries: everything its dead letter had (the
 * record's own headers, its origin, the failure and earlier failures), plus
 * which dead letter it is, which redrive sent it, and when.
 */
export function redriveHeaders(
  deadLetterHeaders: Record<string, string>,
  dlqPartition: number,
  dlqOffset: string,
  redriveId: string,
  at: Date,
): Record<string, string> {
  return {
    ...deadLetterHeaders,
    [REDRIVE_HEADERS.redriveId]: redriveId,
    [REDRIVE_HEADERS.redrivenAt]: at.toISOString(),
    [REDRIVE_HEADERS.dlqPartition]: String(dlqPartition),
    [REDRIVE_HEADERS.dlqOffset]: dlqOffset,
  };
}
