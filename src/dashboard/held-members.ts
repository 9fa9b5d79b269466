import type { GroupMemberView } from '../kafka/client/kafka-admin.port.js';

/** KIP-848's member epoch of a static member that left for the session only. */
export const AWAY_FOR_THE_SESSION = -2;

/** A static member the broker keeps the assignment of while it is away. */
export interface HeldMember {
  instanceId: string;
  /** The last read that saw it live, else the first that saw it away. */
  since: number;
  /** Session timeout minus the time since `since`, at least 0; null when the timeout is unknown. */
  backInMs: number | null;
}

/** Per static instance id: when a read last saw it live, and first saw it away. */
export type SightingMemory = Map<string, { liveAt?: number; awayAt?: number }>;

/**
 * The members of one group whose partitions are held for them: static
 * members the broker still lists with their assignment, but at member epoch
 * -2, i.e. they left for the session (a restart) and have not rejoined. The
 * broker moves their partitions when the session timeout runs out after the
 * leave; the estimate counts from the last read that saw the member live
 * (the leave happened after it), so it errs early by up to one refresh.
 * Updates `seen` with this read; no I/O and no clock.
 */
export function heldMembers(
  members: GroupMemberView[],
  seen: SightingMemory,
  sessionTimeoutMs: number | null,
  at: number,
): Map<string, HeldMember> {
  const held = new Map<string, HeldMember>();
  const listed = new Set<string>();
  for (const { instanceId, memberEpoch } of members) {
    if (!instanceId) continue;
    listed.add(instanceId);
    const sighting = seen.get(instanceId) ?? {};
    seen.set(instanceId, sighting);
    if (memberEpoch !== AWAY_FOR_THE_SESSION) {
      sighting.liveAt = at;
      sighting.awayAt = undefined;
      continue;
    }
    sighting.awayAt ??= at;
    const since = sighting.liveAt ?? sighting.awayAt;
    held.set(instanceId, {
      instanceId,
      since,
      backInMs:
        sessionTimeoutMs === null
          ? null
          : Math.max(0, sessionTimeoutMs - (at - since)),
    });
  }
  for (const instanceId of [...seen.keys()]) {
    if (!listed.has(instanceId)) seen.delete(instanceId);
  }
  return held;
}
