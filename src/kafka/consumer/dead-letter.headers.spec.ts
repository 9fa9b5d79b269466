import {
  DLQ_HEADERS,
  REDRIVE_HEADERS,
  redriveSource,
} from '../kafka.constants.js';
import { deadLetterTarget, parseHistory } from './dead-letter.headers.js';

const at = new Date('2026-12-06T01:00:00.000Z');

describe('deadLetterTarget', () => {
  it('records a first failure with its origin, error class and attempts', () => {
    const target = deadLetterTarget({
      groupId: 'realtime',
      topic: 'demo',
      partition: 2,
      offset: '41',
      headers: { trace: 'abc' },
      error: new TypeError('bad field'),
      attempts: 3,
      failedAt: at,
    });

    expect(target).toEqual({
      topic: 'demo',
      groupId: 'realtime',
      headers: {
        trace: 'abc',
        [DLQ_HEADERS.topic]: 'demo',
        [DLQ_HEADERS.partition]: '2',
        [DLQ_HEADERS.offset]: '41',
        [DLQ_HEADERS.group]: 'realtime',
        [DLQ_HEADERS.error]: 'bad field',
        [REDRIVE_HEADERS.errorClass]: 'TypeError',
        [DLQ_HEADERS.attempts]: '3',
        [DLQ_HEADERS.failedAt]: at.toISOString(),
      },
    });
  });

  it('sends a redriven record that fails again to its group, keeping its first origin and appending the failure it was redriven from', () => {
    const redriven = {
      trace: 'abc',
      [DLQ_HEADERS.topic]: 'demo',
      [DLQ_HEADERS.partition]: '2',
      [DLQ_HEADERS.offset]: '41',
      [DLQ_HEADERS.group]: 'realtime',
      [DLQ_HEADERS.error]: 'bad field',
      [REDRIVE_HEADERS.errorClass]: 'TypeError',
      [DLQ_HEADERS.attempts]: '3',
      [DLQ_HEADERS.failedAt]: '2026-12-06T00:00:00.000Z',
      [REDRIVE_HEADERS.redriveId]: 'r-1',
      [REDRIVE_HEADERS.redrivenAt]: '2026-12-06T00:30:00.000Z',
      [REDRIVE_HEADERS.dlqPartition]: '0',
      [REDRIVE_HEADERS.dlqOffset]: '7',
    };

    const target = deadLetterTarget({
      groupId: 'realtime.redrive',
      topic: 'demo.redrive.realtime',
      partition: 0,
      offset: '0',
      headers: redriven,
      error: new Error('still bad'),
      attempts: 2,
      failedAt: at,
    });

    expect(target.topic).toBe('demo');
    expect(target.groupId).toBe('realtime');
    expect(target.headers).toMatchObject({
      [DLQ_HEADERS.topic]: 'demo',
      [DLQ_HEADERS.partition]: '2',
      [DLQ_HEADERS.offset]: '41',
      [DLQ_HEADERS.group]: 'realtime',
      [DLQ_HEADERS.error]: 'still bad',
      [DLQ_HEADERS.attempts]: '2',
    });
    expect(target.headers[REDRIVE_HEADERS.redriveId]).toBeUndefined();
    expect(parseHistory(target.headers[REDRIVE_HEADERS.history])).toEqual([
      {
        error: 'bad field',
        errorClass: 'TypeError',
        attempts: 3,
        failedAt: '2026-12-06T00:00:00.000Z',
        dlqPartition: 0,
        dlqOffset: '7',
        redriveId: 'r-1',
      },
    ]);
  });
});

describe('parseHistory', () => {
  it('reads no history from a missing, unreadable or foreign header', () => {
    expect(parseHistory(undefined)).toEqual([]);
    expect(parseHistory('{not json')).toEqual([]);
    expect(parseHistory('{"error":"x"}')).toEqual([]);
    expect(parseHistory('[{"error":"x"},{"nope":1}]')).toEqual([
      { error: 'x' },
    ]);
  });
});

describe('redriveSource', () => {
  it('names the main topic and group of a redrive pair, and nothing else', () => {
    expect(redriveSource('demo.redrive.rt', 'rt.redrive')).toEqual({
      topic: 'demo',
      groupId: 'rt',
    });
    expect(redriveSource('demo', 'rt')).toBeNull();
    expect(redriveSource('demo.redrive.an', 'rt.redrive')).toBeNull();
    expect(redriveSource('.redrive.rt', 'rt.redrive')).toBeNull();
  });
});
