/**
 * The replicas of one row of the rebalance phase: real `node dist/main.js`
 * processes running the realtime group only, in slots (r0, r1, r2) that are
 * stopped and started again by name; with static membership each slot is the
 * replica's KAFKA_GROUP_INSTANCE_ID, so a restarted slot is the same member.
 */
import {
  type JournalEntry,
  ReplicaProcess,
} from '../../test/support/replica-process.js';
import type { TestAdmin } from '../../test/support/test-admin.js';
import { waitFor } from '../../test/support/wait-for.js';

export interface RebalanceEngine {
  /** e.g. `platformatic / consumer, static`. */
  label: string;
  client: 'kafkajs' | 'platformatic';
  protocol: 'classic' | 'consumer';
  staticMembers: boolean;
  /** The node binary the replicas run on. */
  node: string;
}

const GROUP = 'realtime';

// The bench runs on Node 20; reading a KIP-848 group (TestAdmin.describeGroup:
// ConsumerGroupDescribe through @platformatic/kafka) calls Promise.withResolvers,
// which Node has from 22 on: added here when missing.
(Promise as { withResolvers?: unknown }).withResolvers ??= () => {
  let resolve: unknown;
  let reject: unknown;
  const promise = new Promise((yes, no) => ((resolve = yes), (reject = no)));
  return { promise, resolve, reject };
};

export class RebalanceCluster {
  private readonly live = new Map<string, ReplicaProcess>();
  private readonly spawned: ReplicaProcess[] = [];
  /** pid → the owner a partition has while that process handles it. */
  private readonly owners = new Map<number, string>();
  /** Settles seen, and those where a live replica still said 'rebalancing'. */
  settles = 0;
  rebalancingAfterSettle = 0;

  constructor(
    private readonly admin: TestAdmin,
    private readonly dir: string,
    /** Every replica's settings: broker, topic, group, timeouts. */
    private readonly env: Record<string, string>,
    readonly engine: RebalanceEngine,
  ) {}

  get groupId(): string {
    return this.env.REALTIME_GROUP_ID ?? '';
  }

  private get topic(): string {
    return this.env.KAFKA_TOPIC ?? '';
  }

  /** Starts a replica in `slot` and waits until it is ready (its group joined). */
  async start(slot: string): Promise<ReplicaProcess> {
    const replica = await this.spawn(slot);
    this.live.set(slot, replica);
    // A static member is its instance id, whatever process runs it; a dynamic one is its process.
    this.owners.set(
      replica.pid,
      this.engine.staticMembers ? slot : replica.name,
    );
    await replica.ready();
    return replica;
  }

  /**
   * The control: a replica of the same engine boots in another group until
   * ready, then is killed. What the others' records wait meanwhile is the cost
   * of a process starting on the same cores, without any rebalance of this group.
   */
  async bootElsewhere(): Promise<void> {
    const replica = await this.spawn('control', {
      REALTIME_GROUP_ID: `${this.groupId}-control`,
    });
    await replica.ready();
    await replica.stop('SIGKILL');
  }

  private async spawn(
    slot: string,
    env: Record<string, string> = {},
  ): Promise<ReplicaProcess> {
    const { client, protocol, staticMembers, node } = this.engine;
    const replica = await ReplicaProcess.spawn({
      name: `${client}-${protocol}${staticMembers ? '-static' : ''}-${slot}-${this.spawned.length + 1}`,
      dir: this.dir,
      node,
      env: {
        ...this.env,
        KAFKA_CLIENT: client,
        KAFKA_GROUP_PROTOCOL: protocol,
        ...(staticMembers ? { KAFKA_GROUP_INSTANCE_ID: slot } : {}),
        ...env,
      },
    });
    this.spawned.push(replica);
    return replica;
  }

  /** Stops the slot's replica; returns its pid. It no longer counts as a member from this call on. */
  async stop(slot: string, signal: 'SIGTERM' | 'SIGKILL'): Promise<number> {
    const replica = this.live.get(slot);
    if (!replica) throw new Error(`no replica in slot ${slot}`);
    this.live.delete(slot);
    await replica.stop(signal);
    return replica.pid;
  }

  /**
   * Resolves with the time (Date.now) the group has settled: every live
   * replica says joined (or rebalancing, see below), their partitions are the
   * topic's, one owner each, and the broker has the group Stable with exactly
   * these members holding exactly these partitions (a static member away for
   * its session, epoch -2, aside).
   */
  async settled(timeoutMs = 45_000): Promise<number> {
    await waitFor(() => this.isSettled(), {
      timeoutMs,
      intervalMs: 100,
      what: `${this.engine.label}: the group settled on ${[...this.live.keys()].join(', ')}`,
    });
    return Date.now();
  }

  /** True when settled; throws what is not yet (waitFor says the last one on timeout). */
  private async isSettled(): Promise<boolean> {
    const replicas = [...this.live.values()];
    const views = await Promise.all(replicas.map((r) => r.consumers()));
    const mine = views.map((v) => v.groups.find((g) => g.name === GROUP));
    const own = (i: number) => sorted(mine[i]?.assignedPartitions);
    const said = replicas
      .map((r, i) => `${r.name} ${mine[i]?.status} ${JSON.stringify(own(i))}`)
      .join(', ');
    const owned = mine.flatMap((g) => g?.assignedPartitions ?? []);
    const partitions = Number(this.env.KAFKA_TOPIC_PARTITIONS);
    // 'rebalancing' is accepted when the broker agrees below: the platformatic
    // engine in the classic protocol stays there after a rebalance that left its
    // partitions as they were (counted in `rebalancingAfterSettle`).
    if (
      mine.some((g) => g?.status !== 'joined' && g?.status !== 'rebalancing') ||
      owned.length !== partitions ||
      new Set(owned).size !== partitions
    )
      throw new Error(`replicas: ${said}`);
    const group = await this.admin.describeGroup(
      this.groupId,
      this.engine.protocol,
    );
    const members = group.members.filter((m) => (m.memberEpoch ?? 1) > 0);
    const onBroker = members
      .map((m) => `${m.memberId} ${JSON.stringify(m.assignment[this.topic])}`)
      .join(', ');
    const agree = mine.every(
      (g, i) =>
        JSON.stringify(
          sorted(
            members.find((m) => m.memberId === g?.memberId)?.assignment[
              this.topic
            ],
          ),
        ) === JSON.stringify(own(i)),
    );
    if (
      group.state !== 'Stable' ||
      members.length !== replicas.length ||
      !agree
    )
      throw new Error(`broker: ${group.state}, ${onBroker}; replicas: ${said}`);
    this.settles++;
    if (mine.some((g) => g?.status === 'rebalancing'))
      this.rebalancingAfterSettle++;
    return true;
  }

  /** Why the live replicas are not the engine asked for, from their own /consumers view. */
  async mismatch(): Promise<string | undefined> {
    const { client, protocol, staticMembers } = this.engine;
    for (const [slot, replica] of this.live) {
      const view = await replica.consumers();
      const g = view.groups.find((x) => x.name === GROUP);
      const instance = staticMembers ? `${slot}-${GROUP}` : null;
      if (g?.client !== client || g.groupProtocol !== protocol)
        return `${replica.name} reports ${g?.client} / ${g?.groupProtocol}, not ${client} / ${protocol}`;
      if (g.instanceId !== instance)
        return `${replica.name} has instance id ${g.instanceId}, not ${instance}`;
    }
    return undefined;
  }

  /** The owner of the partitions the process `pid` handles (its slot if static). */
  ownerOf(pid: number): string {
    return this.owners.get(pid) ?? `pid ${pid}`;
  }

  /** Every record the group handled, from every process' journal, oldest first. */
  journal(): JournalEntry[] {
    return this.spawned
      .flatMap((r) => r.journal())
      .filter((e) => e.group === this.groupId)
      .sort((a, b) => a.at - b.at);
  }

  /** The last lines of a replica's output, for a row that failed. */
  tail(): string {
    const last = this.spawned.at(-1);
    return last
      ? `${last.name}: ${last.logs().split('\n').slice(-5).join(' | ')}`
      : '';
  }

  async dispose(): Promise<void> {
    this.live.clear();
    // The journals are written synchronously per record: a kill loses none of them.
    await Promise.all(this.spawned.map((r) => r.stop('SIGKILL')));
  }
}

function sorted(partitions: number[] = []): number[] {
  return [...partitions].sort((a, b) => a - b);
}
