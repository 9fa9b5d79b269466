import type { ConsumedRecord } from '../client/group-consumer.port.js';
import { RecordTimes } from './record-times.js';

/** Records at these offsets, each written at 1000 × (offset + 1) ms. */
function batch(...offsets: number[]): ConsumedRecord[] {
  return offsets.map((offset) => ({
    offset: String(offset),
    key: null,
    value: null,
    timestamp: String((offset + 1) * 1_000),
  }));
}

describe('RecordTimes', () => {
  it('tells the exact timestamp of a record in one of the last two batches', () => {
    const times = new RecordTimes();
    times.fetched(0, batch(0, 1, 2));
    times.fetched(0, batch(3, 4, 5));
    times.fetched(0, batch(6, 7, 9)); // 8 is a gap (a transaction marker)

    expect(times.at(0, '4')).toEqual({ ms: 5_000, exact: true });
    // The first record at or after a gap is the oldest unhandled one.
    expect(times.at(0, '8')).toEqual({ ms: 10_000, exact: true });
    expect(times.at(1, '4')).toBeUndefined();
    expect(times.at(0, '10')).toBeUndefined();
  });

  it('knows older batches by their first and last record: exact there, else the next one seen (a lower bound of the age)', () => {
    const times = new RecordTimes();
    times.fetched(0, batch(0, 1, 2));
    times.fetched(0, batch(3, 4, 5));
    times.fetched(0, batch(6, 7, 8));

    expect(times.at(0, '0')).toEqual({ ms: 1_000, exact: true });
    expect(times.at(0, '2')).toEqual({ ms: 3_000, exact: true });
    expect(times.at(0, '1')).toEqual({ ms: 3_000, exact: false });
  });

  it('drops the batches of partitions given up, keeps their points', () => {
    const times = new RecordTimes();
    times.fetched(3, batch(10, 11, 12));
    times.forgetBatches(() => false);
    expect(times.at(3, '11')).toEqual({ ms: 13_000, exact: false });
    expect(times.at(3, '10')).toEqual({ ms: 11_000, exact: true });
  });

  it('keeps at most 512 points per partition, thinning them over the same range', () => {
    const times = new RecordTimes();
    for (let i = 0; i < 1_000; i++) times.fetched(0, batch(2 * i, 2 * i + 1));
    times.forgetBatches(() => false);
    expect(times.at(0, '0')).toEqual({ ms: 1_000, exact: true });
    expect(times.at(0, '1999')).toEqual({ ms: 2_000_000, exact: true });
    const inside = times.at(0, '1000');
    expect(inside?.ms).toBeGreaterThanOrEqual(1_001_000);
    expect(inside?.ms).toBeLessThan(1_020_000);
  });
});
