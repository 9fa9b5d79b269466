export interface LostMembersDeps {
  /** Removes the member from the group; false when the group no longer knows it. */
  remove: (memberId: string) => Promise<boolean>;
  /** Said once per member, with the outcome: `known` false when the group had let it go already. */
  removed: (
    memberId: string,
    known: boolean,
    attempts: number,
    ms: number,
  ) => void;
  gaveUp: (memberId: string, attempts: number, lastError: unknown) => void;
  /** An error no retry mends (a refused authorization): give up at once. */
  isFinal?: (error: unknown) => boolean;
  /** Pause between two attempts (the cluster may be down); default 250 ms. */
  retryMs?: number;
  /** How long a member is tried for before its session is left to end it; default 2 min. */
  giveUpMs?: number;
}

/**
 * Members this process had in its group and lost without a leave: the client
 * crashed, or every broker was down, or the coordinator hung while it left.
 * The coordinator keeps such a member until its session ends, also when it
 * loads the group after an outage (the session then counts from the load),
 * and meanwhile the classic protocol holds the group's next rebalance for it
 * and KIP-848 keeps its partitions. The client restarted in its place is a
 * new member, so the group waits a whole session for a member that is gone.
 *
 * Each lost member is removed by its id (LeaveGroup, or KIP-848's leave
 * heartbeat) as soon as its coordinator answers, retried until then; a
 * member the group no longer knows (it left after all, or expired) ends the
 * attempts quietly.
 */
export class LostMembers {
  private readonly removing = new Set<string>();
  private stopped = false;
  private readonly retryMs: number;
  private readonly giveUpMs: number;

  constructor(private readonly deps: LostMembersDeps) {
    this.retryMs = deps.retryMs ?? 250;
    this.giveUpMs = deps.giveUpMs ?? 120_000;
  }

  /** How many lost members are being removed now. */
  get pending(): number {
    return this.removing.size;
  }

  /** Starts removing `memberId` (once: a member already being removed is not tried twice). */
  lost(memberId: string): Promise<void> {
    if (this.stopped || this.removing.has(memberId)) return Promise.resolve();
    this.removing.add(memberId);
    return this.remove(memberId).finally(() => this.removing.delete(memberId));
  }

  /** No more attempts (the process is leaving the group). */
  stop(): void {
    this.stopped = true;
  }

  private async remove(memberId: string): Promise<void> {
    const since = Date.now();
    let attempts = 0;
    let lastError: unknown;
    while (!this.stopped && Date.now() - since < this.giveUpMs) {
      attempts += 1;
      try {
        const known = await this.deps.remove(memberId);
        this.deps.removed(memberId, known, attempts, Date.now() - since);
        return;
      } catch (error) {
        lastError = error;
        if (this.deps.isFinal?.(error)) break;
      }
      await new Promise((resolve) => setTimeout(resolve, this.retryMs));
    }
    if (!this.stopped) this.deps.gaveUp(memberId, attempts, lastError);
  }
}
