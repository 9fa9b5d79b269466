import type { GroupMessageMeta } from '../../kafka/consumer/group-message.context.js';
import { AnalyticsService, percentile } from './analytics.service.js';
import { RecentIds } from '../recent-ids.js';

function meta(
  partition: number,
  key: string | null,
  sizeBytes: number,
): GroupMessageMeta {
  return {
    groupId: 'analytics',
    topic: 't',
    partition,
    offset: '0',
    key,
    headers: {},
    timestamp: 0,
    sizeBytes,
    attempt: 1,
  };
}

describe('AnalyticsService', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts records per partition and key, bytes, and latency from producedAt', () => {
    vi.useFakeTimers({ now: new Date('2026-11-24T10:00:01.000Z') });
    const analytics = new AnalyticsService({ analyticsTopKeys: 100 });
    const message = (ms: number) => ({
      id: `id-${ms}`,
      partition: 0,
      sequence: 1,
      producedAt: new Date(
        Date.parse('2026-11-24T10:00:01.000Z') - ms,
      ).toISOString(),
      payload: null,
    });

    analytics.record(message(10), meta(0, 'a', 100));
    analytics.record(message(30), meta(1, null, 50));
    analytics.record(message(20), meta(1, 'a', 50));

    const snapshot = analytics.snapshot();
    expect(snapshot.messages).toBe(3);
    expect(snapshot.bytes).toBe(200);
    expect(snapshot.byPartition).toEqual({ 0: 1, 1: 2 });
    expect(snapshot.byKey).toEqual({ a: 2, '(none)': 1 });
    expect(snapshot.latency).toEqual({
      count: 3,
      minMs: 10,
      maxMs: 30,
      meanMs: 20,
      p50Ms: 20,
      p95Ms: 30,
    });
  });

  it('counts a record id once within the window (client retries with an Idempotency-Key, redelivery)', () => {
    const analytics = new AnalyticsService({ analyticsTopKeys: 100 });
    const message = (id: string) => ({
      id,
      partition: 0,
      sequence: 1,
      producedAt: new Date().toISOString(),
      payload: null,
    });

    analytics.record(message('a'), meta(0, null, 10));
    analytics.record(message('a'), meta(0, null, 10));
    analytics.record(message('b'), meta(0, null, 10));

    const snapshot = analytics.snapshot();
    expect(snapshot.messages).toBe(2);
    expect(snapshot.bytes).toBe(20);
    expect(snapshot.repeatsIgnored).toBe(1);
  });

  it('forgets the oldest id beyond its capacity', () => {
    const ids = new RecentIds(2);
    expect(['a', 'b', 'a', 'c', 'a'].map((id) => ids.firstTime(id))).toEqual([
      true,
      true,
      false,
      true,
      true,
    ]);
  });

  it('keeps exactly the last `capacity` ids through many evictions', () => {
    const ids = new RecentIds(3);
    for (let i = 0; i < 1_000; i++) expect(ids.firstTime(`id-${i}`)).toBe(true);
    expect(
      ['id-997', 'id-998', 'id-999'].map((id) => ids.firstTime(id)),
    ).toEqual([false, false, false]);
    expect(ids.firstTime('id-996')).toBe(true);
    // id-996 pushed id-997 out of the window.
    expect(ids.firstTime('id-997')).toBe(true);
  });

  it('reports nulls, not zeros, before the first record', () => {
    expect(
      new AnalyticsService({ analyticsTopKeys: 100 }).snapshot().latency,
    ).toEqual({
      count: 0,
      minMs: null,
      maxMs: null,
      meanMs: null,
      p50Ms: null,
      p95Ms: null,
    });
  });

  it('takes nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.5)).toBe(50);
    expect(percentile(sorted, 0.95)).toBe(95);
    expect(percentile([7], 0.95)).toBe(7);
    expect(percentile([], 0.5)).toBeNull();
  });
});
