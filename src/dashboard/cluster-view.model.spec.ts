import {
  deriveView,
  emptyMemory,
  type Reading,
  SHOWN_FOR_MS,
  type ViewFrame,
} from './cluster-view.model.js';

const FRAME: ViewFrame = {
  topic: 't',
  engine: { client: 'platformatic', groupProtocol: 'consumer' },
  groupIds: ['rt', 'an'],
  produce: { available: true, keyRequired: false },
  stopAfterMs: 30_000,
};

const member = (memberId: string, partitions: number[]) => ({
  memberId,
  clientId: `client-${memberId}`,
  clientHost: '/10.0.0.1',
  partitions,
});

/** A reading at `at` ms: ends per partition, rt's members, rt's committed offsets. */
function reading(
  at: number,
  ends: number[],
  members: ReturnType<typeof member>[],
  committed: Record<number, string>,
): Reading {
  return {
    at,
    ends: ends.map((high, partition) => ({
      partition,
      low: '2',
      high: String(high),
    })),
    groups: [{ groupId: 'rt', state: 'Stable', members }],
    committed: [
      new Map(Object.entries(committed).map(([p, o]) => [Number(p), o])),
      new Map(),
    ],
    sessionTimeoutMs: [10_000, 10_000],
  };
}

describe('deriveView', () => {
  it('derives rates from two readings and lag from the committed offset (the low offset when none)', () => {
    const memory = emptyMemory();
    const first = reading(0, [10, 20], [member('m1', [0, 1])], { 0: '4' });
    const second = reading(2_000, [30, 20], [member('m1', [0, 1])], {
      0: '14',
      1: '20',
    });
    deriveView(FRAME, memory, first, undefined);
    const view = deriveView(FRAME, memory, second, first);

    expect(view.partitions.map((p) => p.recordsPerSecond)).toEqual([10, 0]);
    expect(view.engine).toEqual({
      client: 'platformatic',
      groupProtocol: 'consumer',
    });
    const [rt, an] = view.groups;
    expect(rt.recordsPerSecond).toBe(15); // (14 + 20) - 4 over 2 s
    expect(rt.partitions.map((p) => [p.committed, p.lag])).toEqual([
      ['14', 16],
      ['20', 0],
    ]);
    expect(an.partitions.map((p) => [p.committed, p.lag, p.owner])).toEqual([
      ['-1', 28, null],
      ['-1', 18, null],
    ]);
    expect(an.state).toBe('Unknown');
  });

  it('marks a partition that changed owner for a minute, lists the member that left, keeps letters', () => {
    const memory = emptyMemory();
    const both = reading(0, [1, 1], [member('a', [0]), member('b', [1])], {});
    const onlyB = reading(1_000, [1, 1], [member('b', [0, 1])], {});
    deriveView(FRAME, memory, both, undefined);
    const moved = deriveView(FRAME, memory, onlyB, both).groups[0];

    expect(moved.partitions[0]).toMatchObject({
      owner: 'b',
      movedFrom: 'a',
      movedAt: new Date(1_000).toISOString(),
    });
    expect(moved.partitions[1].movedAt).toBeNull();
    expect(moved.departed.map((m) => [m.memberId, m.slot])).toEqual([['a', 0]]);
    expect(moved.members.map((m) => [m.memberId, m.slot])).toEqual([['b', 1]]);

    const later = reading(
      1_000 + SHOWN_FOR_MS,
      [1, 1],
      [member('b', [0, 1])],
      {},
    );
    const settled = deriveView(FRAME, memory, later, onlyB).groups[0];
    expect(settled.partitions[0].movedAt).toBeNull();
    expect(settled.departed).toEqual([]);
  });

  it('gives each partition a lag status from the offsets read, and the group the worst (ERR for STOP)', () => {
    const memory = emptyMemory();
    const m1 = [member('m1', [0, 1])];
    // p0 caught up then left behind with no commit; p1 keeps committing and catching up.
    const views = [
      reading(0, [10, 10], m1, { 0: '10', 1: '10' }),
      reading(1_000, [20, 20], m1, { 0: '10', 1: '18' }),
      reading(20_000, [30, 30], m1, { 0: '10', 1: '30' }),
      reading(31_500, [40, 40], m1, { 0: '10', 1: '38' }),
    ].map((r, i, all) => deriveView(FRAME, memory, r, all[i - 1]));

    expect(
      views.map(({ groups: [rt] }) => [
        rt.status,
        ...rt.partitions.map((p) => p.status),
      ]),
    ).toEqual([
      ['OK', 'OK', 'OK'],
      ['OK', 'OK', 'OK'],
      ['OK', 'OK', 'OK'],
      // p0: lag since 1 s, no commit for 30.5 s > 30 s.
      ['ERR', 'STOP', 'OK'],
    ]);
  });

  it('marks the partitions of a static member away for the session as held for its instance id, and lets go when it is back under a new member id', () => {
    const memory = emptyMemory();
    const staticMember = (
      memberId: string,
      instanceId: string,
      memberEpoch: number,
      partitions: number[],
    ) => ({ ...member(memberId, partitions), instanceId, memberEpoch });
    const live = reading(
      0,
      [1, 1],
      [
        staticMember('a1', 'web-0-realtime', 3, [0]),
        staticMember('b1', 'web-1-realtime', 3, [1]),
      ],
      {},
    );
    const away = reading(
      4_000,
      [1, 1],
      [
        staticMember('a1', 'web-0-realtime', -2, [0]),
        staticMember('b1', 'web-1-realtime', 3, [1]),
      ],
      {},
    );
    const back = reading(
      6_000,
      [1, 1],
      [
        staticMember('a2', 'web-0-realtime', 4, [0]),
        staticMember('b1', 'web-1-realtime', 3, [1]),
      ],
      {},
    );
    deriveView(FRAME, memory, live, undefined);

    const held = deriveView(FRAME, memory, away, live).groups[0];
    expect(
      held.partitions.map((p) => [p.owner, p.heldFor, p.backInMs]),
    ).toEqual([
      ['a1', 'web-0-realtime', 6_000], // 10 s session, last seen live 4 s ago
      ['b1', null, null],
    ]);
    expect(held.members[0].away).toEqual({
      since: new Date(0).toISOString(),
      backInMs: 6_000,
    });

    const returned = deriveView(FRAME, memory, back, away).groups[0];
    expect(
      returned.partitions.map((p) => [p.owner, p.heldFor, p.movedAt]),
    ).toEqual([
      ['a2', null, null],
      ['b1', null, null],
    ]);
    expect(returned.members.map((m) => [m.memberId, m.slot, m.away])).toEqual([
      ['a2', 0, null],
      ['b1', 1, null],
    ]);
    expect(returned.departed).toEqual([]);
  });
});
