import type { ConsumedRecord } from '../client/group-consumer.port.js';
import type { GroupMessageMeta } from './group-message.context.js';
import { RecordSlice, type RecordSliceHooks } from './record-slice.js';

const records: ConsumedRecord[] = ['1', '2', 'x', '4'].map((v, i) => ({
  offset: String(i),
  key: null,
  value: Buffer.from(v),
  timestamp: '0',
}));

function hooks(over: Partial<RecordSliceHooks> = {}) {
  const handled: string[] = [];
  const all: RecordSliceHooks = {
    decode: (value) => {
      const n = Number(value?.toString());
      if (Number.isNaN(n)) throw new Error('not a number');
      return n;
    },
    meta: (record) => ({ offset: record.offset }) as GroupMessageMeta,
    handled: (meta) => handled.push(meta.offset),
    stopped: () => false,
    ...over,
  };
  return { all, handled };
}

describe('RecordSlice', () => {
  it('counts a record handled when the next one is asked for, and stops before one it cannot decode', () => {
    const { all, handled } = hooks();
    const slice = new RecordSlice(records, 0, Infinity, all);
    const seen: unknown[] = [];
    for (const { payload } of slice) {
      seen.push(payload);
      expect(handled).toHaveLength(seen.length - 1);
    }
    expect(seen).toEqual([1, 2]);
    expect(handled).toEqual(['0', '1']);
    expect([slice.stop, slice.position, slice.lastHandled]).toEqual([
      'undecodable',
      2,
      1,
    ]);
  });

  it('hands over at least one record past its deadline, then ends', () => {
    const { all, handled } = hooks();
    const slice = new RecordSlice(records, 1, 0, all);
    expect([...slice].map((r) => r.payload)).toEqual([2]);
    expect([slice.stop, slice.position, handled]).toEqual([
      'deadline',
      2,
      ['1'],
    ]);
  });

  it('keeps the record a throwing handler held, unhandled', () => {
    const { all, handled } = hooks();
    const slice = new RecordSlice(records, 0, Infinity, all);
    expect(() => {
      for (const { payload } of slice) {
        if (payload === 2) throw new Error('boom');
      }
    }).toThrow('boom');
    expect([slice.held, slice.heldRecord?.payload, handled]).toEqual([
      1,
      2,
      ['0'],
    ]);
  });

  it('ends before the next record once stopped, and the record held at return is handled', () => {
    let stop = false;
    const { all, handled } = hooks({ stopped: () => stop });
    const slice = new RecordSlice(records, 0, Infinity, all);
    for (const { payload } of slice) {
      if (payload === 1) stop = true;
    }
    slice.finish();
    expect([slice.stop, slice.lastHandled, handled]).toEqual([
      'stopped',
      0,
      ['0'],
    ]);
  });
});
