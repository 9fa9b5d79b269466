import type { GroupMemberView } from '../kafka/client/kafka-admin.port.js';
import { heldMembers, type SightingMemory } from './held-members.js';

const member = (
  instanceId: string | null,
  memberEpoch: number | undefined,
  partitions: number[] = [0],
): GroupMemberView => ({
  memberId: `m-${instanceId}-${memberEpoch}`,
  clientId: 'c',
  clientHost: 'h',
  partitions,
  instanceId,
  memberEpoch,
});

describe('heldMembers', () => {
  it('holds a static member at epoch -2, back in the session timeout minus the time since it was last seen live', () => {
    const seen: SightingMemory = new Map();
    heldMembers([member('a', 5), member('b', 5)], seen, 10_000, 1_000);

    const held = heldMembers(
      [member('a', -2), member('b', 5)],
      seen,
      10_000,
      3_500,
    );

    expect([...held.values()]).toEqual([
      { instanceId: 'a', since: 1_000, backInMs: 7_500 },
    ]);
  });

  it('counts from the first read that saw it away when it was never seen live, and never below 0', () => {
    const seen: SightingMemory = new Map();
    heldMembers([member('a', -2)], seen, 10_000, 2_000);

    expect(
      heldMembers([member('a', -2)], seen, 10_000, 5_000).get('a'),
    ).toEqual({ instanceId: 'a', since: 2_000, backInMs: 7_000 });
    expect(
      heldMembers([member('a', -2)], seen, 10_000, 40_000).get('a')?.backInMs,
    ).toBe(0);
  });

  it('lets go when the member is live again, and forgets members the broker no longer lists', () => {
    const seen: SightingMemory = new Map();
    heldMembers([member('a', 5)], seen, 10_000, 0);
    heldMembers([member('a', -2)], seen, 10_000, 1_000);

    expect(heldMembers([member('a', 6)], seen, 10_000, 2_000).size).toBe(0);
    heldMembers([], seen, 10_000, 3_000);
    expect(seen.size).toBe(0);
  });

  it('holds nothing for dynamic members or without an epoch (classic protocol); backInMs null when the timeout is unknown', () => {
    const seen: SightingMemory = new Map();
    expect(
      heldMembers([member(null, -2), member('c', undefined)], seen, 10_000, 0)
        .size,
    ).toBe(0);
    expect(heldMembers([member('a', -2)], seen, null, 0).get('a')).toEqual({
      instanceId: 'a',
      since: 0,
      backInMs: null,
    });
  });
});
