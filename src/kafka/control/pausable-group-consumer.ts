import type {
  GroupConsumerFactory,
  GroupConsumerPort,
  GroupConsumerRun,
  GroupMembershipEvents,
} from '../client/group-consumer.port.js';

/** What the gate asks of the pause state (GroupPauseBoard). */
export interface PauseSource {
  /** False until the control topic was read to its end: every partition is held meanwhile. */
  readonly caughtUp: boolean;
  pausedAt(groupId: string, partition: number, now?: number): boolean;
  /** `groupId` '*': every group. Returns the unsubscribe. */
  onChange(listener: (groupId: string) => void): () => void;
}

/** Wraps each group member the factory makes in a PausableGroupConsumer. */
export function pausableConsumers(
  factory: GroupConsumerFactory,
  source: PauseSource,
): GroupConsumerFactory {
  return (settings) =>
    new PausableGroupConsumer(factory(settings), settings.groupId, source);
}

/**
 * A group member that honours the group's pause: the partitions it owns
 * that are paused are paused in the client (no fetch), and a batch of one
 * of them that was fetched before is handed back untouched (nothing
 * resolved: it is read again after the resume, from the last handled
 * record), so no record of a paused partition reaches a handler, also right
 * after a rebalance or a restart. A batch under way stops between records
 * when its partition is paused. Sits between the group's server and the
 * client adapter: the server and the adapters know nothing of pauses beyond
 * the port's pause(topic, partitions) and resume(topic, partitions).
 */
export class PausableGroupConsumer implements GroupConsumerPort {
  private topic = '';
  private owned: readonly number[] = [];
  /** Partitions this gate has paused in the client. */
  private applied = new Set<number>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly inner: GroupConsumerPort,
    private readonly groupId: string,
    private readonly source: PauseSource,
  ) {}

  async run(run: GroupConsumerRun, events: GroupMembershipEvents) {
    this.topic = run.topic;
    this.unsubscribe = this.source.onChange((groupId) => {
      if (groupId === this.groupId || groupId === '*') this.apply();
    });
    const gated: GroupConsumerRun = {
      ...run,
      eachBatch: (batch) => {
        if (this.held(batch.partition)) {
          // The client fetched it, so it is not paused there (a kafkajs
          // consumer restarted after a crash makes its group again,
          // unpaused): pause it again, or it would be fetched in a loop.
          this.applied.delete(batch.partition);
          this.apply();
          return Promise.resolve();
        }
        return run.eachBatch({
          ...batch,
          isActive: () => batch.isActive() && !this.held(batch.partition),
        });
      },
    };
    await this.inner.run(gated, {
      ...events,
      joined: (memberId, isLeader, partitions) => {
        // Before the caller hears of them, so no fetch of a paused one starts.
        this.owned = [...partitions];
        this.apply();
        events.joined(memberId, isLeader, partitions);
      },
    });
    this.apply();
  }

  pause(topic: string, partitions?: readonly number[]): void {
    this.inner.pause(topic, partitions);
  }

  resume(topic: string, partitions?: readonly number[]): void {
    this.inner.resume(topic, partitions);
    // A client may resume every partition of the topic at once (kafkajs does).
    if (partitions === undefined && this.applied.size > 0) {
      this.inner.pause(topic, [...this.applied]);
    }
  }

  commit(
    topic: string,
    offsets: readonly { partition: number; offset: string }[],
  ): Promise<void> {
    return this.inner.commit(topic, offsets);
  }

  async disconnect(): Promise<void> {
    this.unsubscribe?.();
    await this.inner.disconnect();
  }

  private held(partition: number, now = Date.now()): boolean {
    return (
      !this.source.caughtUp ||
      this.source.pausedAt(this.groupId, partition, now)
    );
  }

  /** Brings the client's paused partitions in line with the group's pause. */
  private apply(): void {
    if (!this.topic) return;
    const now = Date.now();
    const wanted = new Set(this.owned.filter((p) => this.held(p, now)));
    const toPause = [...wanted].filter((p) => !this.applied.has(p));
    const toResume = [...this.applied].filter((p) => !wanted.has(p));
    try {
      if (toPause.length > 0) this.inner.pause(this.topic, toPause);
      if (toResume.length > 0) this.inner.resume(this.topic, toResume);
      this.applied = wanted;
    } catch {
      // The client is not running yet: its next join applies it.
    }
  }
}
