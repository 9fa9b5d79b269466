export type GroupConsumerStatus =
  'starting' | 'joined' | 'rebalancing' | 'stopped' | 'crashed';

export interface GroupConsumerSnapshot {
  name: string;
  groupId: string;
  topic: string;
  status: GroupConsumerStatus;
  memberId: string | null;
  generationId: number | null;
  isLeader: boolean;
  assignedPartitions: number[];
  processed: number;
  retried: number;
  deadLettered: number;
  commitFailures: number;
  /** Next offset to read per partition, as committed by this replica (offset+1). */
  lastCommitted: Record<string, string>;
  joinedAt: string | null;
  lastHeartbeatAt: string | null;
  draining: boolean;
  crash: { error: string; restart: boolean; at: string } | null;
}

/**
 * What one group's consumer on this replica is doing, fed by the consumer's
 * own events (GROUP_JOIN, REBALANCING, HEARTBEAT, CRASH) and by the message
 * loop. /consumers and the health indicators read it; nothing polls Kafka.
 */
export class GroupConsumerState {
  status: GroupConsumerStatus = 'starting';
  memberId: string | null = null;
  generationId: number | null = null;
  isLeader = false;
  assignedPartitions: number[] = [];
  processed = 0;
  retried = 0;
  deadLettered = 0;
  commitFailures = 0;
  draining = false;
  joinedAt: Date | null = null;
  rebalancingSince: Date | null = null;
  lastHeartbeatAt: Date | null = null;
  crash: { error: string; restart: boolean; at: Date } | null = null;
  readonly lastCommitted = new Map<number, string>();

  constructor(
    readonly name: string,
    readonly groupId: string,
    readonly topic: string,
  ) {}

  /** The generation id comes with the next HEARTBEAT (GROUP_JOIN does not carry it). */
  joined(memberId: string, isLeader: boolean, partitions: number[]): void {
    this.status = 'joined';
    this.memberId = memberId;
    this.isLeader = isLeader;
    this.assignedPartitions = [...partitions].sort((a, b) => a - b);
    this.joinedAt = new Date();
    this.rebalancingSince = null;
    this.crash = null;
  }

  rebalancing(): void {
    if (this.status !== 'stopped' && this.status !== 'rebalancing') {
      this.status = 'rebalancing';
      this.rebalancingSince = new Date();
    }
  }

  crashed(error: string, restart: boolean): void {
    this.status = 'crashed';
    this.assignedPartitions = [];
    this.crash = { error, restart, at: new Date() };
  }

  stopped(): void {
    this.status = 'stopped';
    this.assignedPartitions = [];
  }

  committed(partition: number, nextOffset: string): void {
    this.lastCommitted.set(partition, nextOffset);
  }

  snapshot(): GroupConsumerSnapshot {
    return {
      name: this.name,
      groupId: this.groupId,
      topic: this.topic,
      status: this.status,
      memberId: this.memberId,
      generationId: this.generationId,
      isLeader: this.isLeader,
      assignedPartitions: [...this.assignedPartitions],
      processed: this.processed,
      retried: this.retried,
      deadLettered: this.deadLettered,
      commitFailures: this.commitFailures,
      lastCommitted: Object.fromEntries(
        [...this.lastCommitted.entries()]
          .sort(([a], [b]) => a - b)
          .map(([p, o]) => [String(p), o]),
      ),
      joinedAt: this.joinedAt?.toISOString() ?? null,
      lastHeartbeatAt: this.lastHeartbeatAt?.toISOString() ?? null,
      draining: this.draining,
      crash: this.crash && { ...this.crash, at: this.crash.at.toISOString() },
    };
  }
}
