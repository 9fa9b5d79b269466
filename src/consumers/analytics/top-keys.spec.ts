import { TopKeys } from './top-keys.js';

describe('TopKeys', () => {
  it('counts exactly while the distinct keys fit', () => {
    const keys = new TopKeys(3);
    for (const key of ['a', 'b', 'a', 'c', 'a', 'b']) {
      keys.add(key);
    }
    expect(keys.top()).toEqual({ a: 3, b: 2, c: 1 });
  });

  it('keeps at most `capacity` keys, and a key above 1/capacity of the traffic, under a flood of new keys', () => {
    const keys = new TopKeys(10);
    for (let i = 0; i < 10_000; i++) {
      keys.add(`random-${i}`);
      if (i % 4 === 0) {
        keys.add('hot'); // 2,500 of 12,500 records: above 1/10
      }
    }
    const top = keys.top();
    expect(Object.keys(top)).toHaveLength(10);
    expect(Object.keys(top)[0]).toBe('hot');
    // Never under the true count; over by at most the count of the key it replaced.
    expect(top.hot).toBeGreaterThanOrEqual(2_500);
  });
});
