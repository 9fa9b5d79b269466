import { Logger } from '@nestjs/common';
import { LagHistory } from '../kafka/consumer/lag-status.js';
import type {
  KafkaAdmin,
  PartitionOffsets,
} from '../kafka/client/kafka-admin.port.js';
import { errorMessage } from '../kafka/kafka.errors.js';

/** What the broker said at `at`. */
export interface BrokerView {
  at: number;
  ends: Map<number, PartitionOffsets>;
  committed: Map<string, Map<number, string>>;
  /** Groups Kafka knows with no member at all ('Empty', 'Dead'). */
  memberless: Set<string>;
}

/** Records behind the end, from where the group reads next (the oldest retained record when it never committed). */
export function lagFrom(
  high: string,
  committed: string,
  low: string | undefined,
): { lag: number; from: string } {
  const from = committed === '-1' ? (low ?? '0') : committed;
  const lag = BigInt(high) - BigInt(from);
  return { lag: lag > 0n ? Number(lag) : 0, from };
}

export interface BrokerLagReaderOptions {
  admin: KafkaAdmin;
  topic: string;
  groups: string[];
  /** Least time between two reads. */
  refreshMs: number;
}

/**
 * The broker's figures /metrics needs when no consumer here has them, read
 * in the background and at most once per `refreshMs` (a scrape never waits
 * on the broker). Each read of a memberless group's committed offsets also
 * feeds that group's status window: a commit is an offset that moved.
 */
export class BrokerLagReader {
  private readonly logger = new Logger(BrokerLagReader.name);
  view: BrokerView | null = null;
  private refreshing = false;
  private readonly memberless = new Map<string, LagHistory>();

  constructor(private readonly options: BrokerLagReaderOptions) {}

  /** The status window of a group with no member, by its broker reads. */
  memberlessHistory(group: string, partition: number): LagHistory | undefined {
    return this.memberless.get(`${group}/${partition}`);
  }

  refreshInBackground(): void {
    const age = Date.now() - (this.view?.at ?? 0);
    if (this.refreshing || age < this.options.refreshMs) {
      return;
    }
    this.refreshing = true;
    this.read()
      .then((view) => {
        this.view = view;
        this.followMemberless(view);
      })
      .catch((error: unknown) =>
        this.logger.debug(
          `broker read for /metrics failed: ${errorMessage(error)}`,
        ),
      )
      .finally(() => (this.refreshing = false));
  }

  private followMemberless(view: BrokerView): void {
    for (const group of this.options.groups) {
      for (const end of view.ends.values()) {
        const key = `${group}/${end.partition}`;
        if (!view.memberless.has(group)) {
          this.memberless.delete(key);
          continue;
        }
        const committed = view.committed.get(group)?.get(end.partition);
        const { lag, from } = lagFrom(end.high, committed ?? '-1', end.low);
        let history = this.memberless.get(key);
        if (!history) {
          history = new LagHistory(view.at);
          this.memberless.set(key, history);
        }
        history.read(BigInt(from), lag, view.at);
      }
    }
  }

  private async read(): Promise<BrokerView> {
    const at = Date.now();
    const { admin, topic, groups } = this.options;
    const [ends, described, ...committed] = await Promise.all([
      admin.topicOffsets(topic),
      admin.describeGroups(groups, topic),
      ...groups.map((group) => admin.committedOffsets(group, topic)),
    ]);
    return {
      at,
      ends: new Map(ends.map((end) => [end.partition, end])),
      committed: new Map(groups.map((group, i) => [group, committed[i]])),
      memberless: new Set(
        described
          .filter(({ members }) => members.length === 0)
          .map(({ groupId }) => groupId),
      ),
    };
  }
}
