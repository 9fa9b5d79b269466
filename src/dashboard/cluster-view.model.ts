import type {
  GroupView,
  PartitionOffsets,
} from '../kafka/client/kafka-admin.port.js';
import { groupStatus, LagHistory } from '../kafka/consumer/lag-status.js';
import type {
  ClusterView,
  DepartedMemberView,
  GroupBandView,
  MemberView,
} from './cluster-view.js';
import { heldMembers, type SightingMemory } from './held-members.js';

/** A move or a departure stays on the page this long. */
export const SHOWN_FOR_MS = 60_000;

/** One read of the cluster: end offsets, both groups, their committed offsets. */
export interface Reading {
  at: number;
  ends: PartitionOffsets[];
  groups: GroupView[];
  /** Per group, in the order of `groupIds`: partition → committed offset. */
  committed: Map<number, string>[];
  /** Per group, in the order of `groupIds`: its session timeout (null: unknown). */
  sessionTimeoutMs: (number | null)[];
}

interface Owner {
  /** The owner's instance id when static (it keeps it across restarts), else its member id. */
  owner: string;
  movedAt: number | null;
  /** Member id of the owner before the move. */
  from: string | null;
  memberId: string;
}

/**
 * What a page shows that no single reading tells, per group id: the last
 * owner of each partition and its last move, members that left, the letter
 * each member got. Kept from one view to the next.
 */
export interface ViewMemory {
  owners: Map<string, Map<number, Owner>>;
  departed: Map<string, DepartedMemberView[]>;
  lastMembers: Map<string, MemberView[]>;
  slots: Map<string, Map<string, number>>;
  /** Per group id and partition: the commits the reads saw, for the lag status. */
  lagHistory: Map<string, Map<number, LagHistory>>;
  /** Per group id: when each static member was last seen live, and first seen away. */
  sightings: Map<string, SightingMemory>;
}

export function emptyMemory(): ViewMemory {
  return {
    owners: new Map(),
    departed: new Map(),
    lastMembers: new Map(),
    slots: new Map(),
    lagHistory: new Map(),
    sightings: new Map(),
  };
}

/** The parts of a view that do not come from Kafka. */
export interface ViewFrame {
  topic: string;
  engine: ClusterView['engine'];
  /** [realtime's id, analytics' id] */
  groupIds: string[];
  produce: ClusterView['produce'];
  /** LAG_STOP_AFTER_MS: a lagging partition without a commit for longer is STOP. */
  stopAfterMs: number;
}

export function emptyView(frame: ViewFrame, at: number): ClusterView {
  return {
    at: new Date(at).toISOString(),
    topic: frame.topic,
    engine: frame.engine,
    partitions: [],
    groups: [],
    produce: frame.produce,
    error: null,
  };
}

/**
 * The page's model from the reading before (for rates) and this one, and
 * the memory of earlier views, which it updates (moves, departures, letters).
 * No I/O and no clock: everything it needs is in its arguments.
 */
export function deriveView(
  frame: ViewFrame,
  memory: ViewMemory,
  now: Reading,
  before: Reading | undefined,
): ClusterView {
  const seconds = before ? (now.at - before.at) / 1_000 : 0;
  const rate = (after: bigint, earlier: bigint | undefined) =>
    seconds > 0 && earlier !== undefined
      ? Math.max(0, Number(after - earlier) / seconds)
      : 0;
  const endOf = (reading: Reading | undefined, partition: number) => {
    const end = reading?.ends.find((e) => e.partition === partition);
    return end && BigInt(end.high);
  };
  const done = (committed: Map<number, string> | undefined) =>
    [...(committed?.values() ?? [])]
      .filter((offset) => offset !== '-1')
      .reduce((sum, offset) => sum + BigInt(offset), 0n);
  return {
    ...emptyView(frame, now.at),
    partitions: now.ends.map(({ partition, high }) => ({
      partition,
      end: high,
      recordsPerSecond: rate(BigInt(high), endOf(before, partition)),
    })),
    groups: frame.groupIds.map((groupId, index) => {
      const committedBefore = before?.committed[index];
      return band(
        memory,
        index === 0 ? 'realtime' : 'analytics',
        groupId,
        frame.stopAfterMs,
        now,
        now.committed[index],
        now.sessionTimeoutMs[index] ?? null,
        rate(
          done(now.committed[index]),
          committedBefore && done(committedBefore),
        ),
      );
    }),
  };
}

function band(
  memory: ViewMemory,
  name: string,
  groupId: string,
  stopAfterMs: number,
  now: Reading,
  committed: Map<number, string>,
  sessionTimeoutMs: number | null,
  recordsPerSecond: number,
): GroupBandView {
  const group = now.groups.find((g) => g.groupId === groupId);
  const sightings: SightingMemory =
    memory.sightings.get(groupId) ?? (new Map() as SightingMemory);
  memory.sightings.set(groupId, sightings);
  const held = heldMembers(
    group?.members ?? [],
    sightings,
    sessionTimeoutMs,
    now.at,
  );
  const members: MemberView[] = (group?.members ?? []).map((m) => {
    const away = m.instanceId ? held.get(m.instanceId) : undefined;
    return {
      slot: slotOf(memory, groupId, m.instanceId ?? m.memberId),
      memberId: m.memberId,
      clientId: m.clientId,
      host: m.clientHost,
      partitions: m.partitions,
      instanceId: m.instanceId ?? null,
      away: away
        ? {
            since: new Date(away.since).toISOString(),
            backInMs: away.backInMs,
          }
        : null,
    };
  });
  members.sort((a, b) => a.slot - b.slot);
  trackDepartures(memory, groupId, members, now.at);
  const owners = trackOwners(memory, groupId, members, now.at);
  const histories =
    memory.lagHistory.get(groupId) ?? new Map<number, LagHistory>();
  memory.lagHistory.set(groupId, histories);
  const partitions = now.ends.map(({ partition, low, high }) => {
    const offset = committed.get(partition) ?? '-1';
    const from = offset === '-1' ? BigInt(low) : BigInt(offset);
    const behind = BigInt(high) - from;
    const lag = behind > 0n ? Number(behind) : 0;
    let history = histories.get(partition);
    if (!history) {
      history = new LagHistory(now.at);
      histories.set(partition, history);
    }
    // A read is a commit when the offset moved: what Kafka shows, not what each member did.
    history.read(from, lag, now.at);
    return {
      partition,
      offset,
      lag,
      status: history.status(lag, now.at, stopAfterMs),
    };
  });
  return {
    name,
    groupId,
    state: group?.state ?? 'Unknown',
    status: groupStatus(partitions.map((p) => p.status)),
    members,
    departed: memory.departed.get(groupId) ?? [],
    recordsPerSecond,
    partitions: partitions.map(({ partition, offset, lag, status }) => {
      const owner = owners.get(partition);
      const holder = members.find((m) => m.partitions.includes(partition));
      const movedAt =
        owner?.movedAt != null && now.at - owner.movedAt < SHOWN_FOR_MS
          ? owner.movedAt
          : null;
      return {
        partition,
        owner: holder?.memberId ?? null,
        status,
        committed: offset,
        lag,
        movedAt: movedAt === null ? null : new Date(movedAt).toISOString(),
        movedFrom: movedAt === null ? null : (owner?.from ?? null),
        heldFor: holder?.away ? holder.instanceId : null,
        backInMs: holder?.away?.backInMs ?? null,
      };
    }),
  };
}

/**
 * A partition moved when its new owner differs from the last one it had
 * (rebalance gaps skipped). A static member that comes back under a new
 * member id with the same instance id is the same owner: nothing moved.
 */
function trackOwners(
  memory: ViewMemory,
  groupId: string,
  members: MemberView[],
  at: number,
): Map<number, Owner> {
  const owners = memory.owners.get(groupId) ?? new Map<number, Owner>();
  memory.owners.set(groupId, owners);
  for (const member of members) {
    const owner = member.instanceId ?? member.memberId;
    for (const partition of member.partitions) {
      const known = owners.get(partition);
      if (!known) {
        owners.set(partition, {
          owner,
          movedAt: null,
          from: null,
          memberId: member.memberId,
        });
      } else if (known.owner !== owner) {
        owners.set(partition, {
          owner,
          movedAt: at,
          from: known.memberId,
          memberId: member.memberId,
        });
      } else {
        known.memberId = member.memberId;
      }
    }
  }
  return owners;
}

function trackDepartures(
  memory: ViewMemory,
  groupId: string,
  members: MemberView[],
  at: number,
): void {
  const before = memory.lastMembers.get(groupId) ?? [];
  // A static member back under a new member id (same instance id) did not leave.
  const present = new Set(
    members.flatMap((m) =>
      m.instanceId ? [m.memberId, m.instanceId] : [m.memberId],
    ),
  );
  const gone = (m: MemberView) =>
    !present.has(m.memberId) && !(m.instanceId && present.has(m.instanceId));
  const left = before
    .filter(gone)
    .map((m) => ({ ...m, leftAt: new Date(at).toISOString() }));
  const kept = (memory.departed.get(groupId) ?? []).filter(
    (m) => at - Date.parse(m.leftAt) < SHOWN_FOR_MS && gone(m),
  );
  memory.departed.set(groupId, [...left, ...kept]);
  memory.lastMembers.set(groupId, members);
}

/** Letters in order of first sight, per group and member (its instance id when static). */
function slotOf(memory: ViewMemory, groupId: string, memberId: string): number {
  const slots = memory.slots.get(groupId) ?? new Map<string, number>();
  memory.slots.set(groupId, slots);
  let slot = slots.get(memberId);
  if (slot === undefined) {
    slot = slots.size;
    slots.set(memberId, slot);
  }
  return slot;
}
