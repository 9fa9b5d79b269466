import type {
  GroupLagStatus,
  PartitionStatus,
} from '../kafka/consumer/lag-status.js';

/** What /dashboard shows, pushed to every open page (Server-Sent Events). */
export interface ClusterView {
  at: string;
  topic: string;
  /** The client library and group protocol this replica's members speak. */
  engine: { client: string; groupProtocol: string };
  partitions: PartitionView[];
  groups: GroupBandView[];
  /** Can this replica's form produce, and does it need the API key (never the key itself). */
  produce: { available: boolean; keyRequired: boolean };
  /** Set when the last read of the cluster failed; the rest is the last good read. */
  error: string | null;
}

export interface PartitionView {
  partition: number;
  end: string;
  recordsPerSecond: number;
}

export interface MemberView {
  /** The member's letter on the page (0 = A): the same on every page, kept while it is shown. */
  slot: number;
  memberId: string;
  clientId: string;
  host: string;
  partitions: number[];
  /** A static member's group.instance.id (KAFKA_GROUP_INSTANCE_ID-role); null for a dynamic one. */
  instanceId: string | null;
  /** Set while the member is away for the session (KIP-848 epoch -2): its partitions wait for it. */
  away: { since: string; backInMs: number | null } | null;
}

export interface DepartedMemberView extends MemberView {
  leftAt: string;
}

export interface GroupPartitionView {
  partition: number;
  /** Lag status over the commits the page's reads saw (docs/operations.md). */
  status: PartitionStatus;
  /** Member id of the owner; null while the group rebalances or has no member. */
  owner: string | null;
  committed: string;
  lag: number;
  /** When the partition last changed owner, and from whom (shown for a minute). */
  movedAt: string | null;
  movedFrom: string | null;
  /**
   * The instance id of the static member this partition is held for while it
   * restarts (it left for the session and the broker keeps the assignment),
   * and the estimated time until the broker gives up and moves it.
   */
  heldFor: string | null;
  backInMs: number | null;
}

export interface GroupBandView {
  /** realtime or analytics */
  name: string;
  groupId: string;
  /** Kafka's group state: Stable, PreparingRebalance, CompletingRebalance, Empty, Dead. */
  state: string;
  /** The worst partition: ERR when one is STALL or STOP. */
  status: GroupLagStatus;
  members: MemberView[];
  departed: DepartedMemberView[];
  partitions: GroupPartitionView[];
  recordsPerSecond: number;
}
