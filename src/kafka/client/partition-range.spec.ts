import { PartitionRange } from './partition-range.js';

const plain = (offset: bigint) => () => ({
  offset: String(offset),
  key: null,
  value: null,
  timestamp: '0',
});

describe('PartitionRange', () => {
  it('keeps the records inside [from, until), skips control records, and stops at the end', () => {
    const range = new PartitionRange(5n, 8n);

    for (const offset of [3n, 4n, 5n, 6n, 7n, 8n]) {
      range.take(offset, offset === 6n, plain(offset));
    }

    expect(range.records.map((r) => r.offset)).toEqual(['5', '7']);
    expect(range.next).toBe(8n);
    expect(range.again(20n)).toBe(false);
  });

  it('asks again while the last fetch moved and the partition goes on, never after an empty one', () => {
    const range = new PartitionRange(0n, 100n);
    range.take(0n, false, plain(0n));

    expect(range.again(10n)).toBe(true);
    expect(range.again(10n)).toBe(false);
  });
});
