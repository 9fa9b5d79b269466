import type { JournalEntry, ReplicaProcess } from './replica-process.js';
import type { Scenario } from './replica-cluster.js';
import type { PlainRecord, TestAdmin } from './test-admin.js';
import { waitFor } from './wait-for.js';
import { expect } from 'vitest';

/**
 * A loss and duplicate checker in the style of Jepsen's queue checker: a load
 * generator tags every POST /produce (payload.tag), keeps every answer, and at
 * the end the checker compares the acknowledged records with the whole topic
 * and with each group's journal (CONSUMER_JOURNAL_FILE).
 *
 * A record is named `<tag>/<partition>/<sequence>`: what the request asked for,
 * independent of the ids the service made up.
 */
export interface ProduceAttempt {
  tag: string;
  startedAt: number;
  answeredAt: number;
  /** 0 when no HTTP answer came (connection error or client timeout). */
  status: number;
  body: unknown;
}

interface ProduceAnswer {
  partitions: { partition: number; count: number }[];
}

/** POST /produce at a steady rate, each request tagged, every answer kept. */
export class TaggedLoad {
  readonly attempts: ProduceAttempt[] = [];
  private stopping = false;
  private readonly loop: Promise<void>;
  private inFlight = new Set<Promise<void>>();

  constructor(
    private readonly via: () => ReplicaProcess,
    private readonly run: string,
    perSecond = 20,
    private readonly messagesPerPartition = 1,
  ) {
    this.loop = this.drive(1_000 / perSecond);
  }

  get acknowledged(): number {
    return this.attempts.filter((a) => ok(a.status)).length;
  }

  async stop(): Promise<ProduceAttempt[]> {
    this.stopping = true;
    await this.loop;
    await Promise.all(this.inFlight);
    return this.attempts;
  }

  /** From the first failed request's start to the last failed answer (0 if none failed). */
  errorWindowMs(): number {
    const failed = this.attempts.filter((a) => !ok(a.status));
    if (failed.length === 0) return 0;
    const from = Math.min(...failed.map((a) => a.startedAt));
    const to = Math.max(...failed.map((a) => a.answeredAt));
    return to - from;
  }

  failures(): ProduceAttempt[] {
    return this.attempts.filter((a) => !ok(a.status));
  }

  private async drive(intervalMs: number): Promise<void> {
    for (let n = 0; !this.stopping; n++) {
      // Open loop, bounded: a slow answer does not slow the offered load down.
      if (this.inFlight.size < 50) {
        const sending = this.send(`${this.run}-${n}`);
        this.inFlight.add(sending);
        void sending.finally(() => this.inFlight.delete(sending));
      }
      // Pacing the load generator, not waiting for a state.
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  private async send(tag: string): Promise<void> {
    const startedAt = Date.now();
    const answer = await this.via()
      .post('/produce', {
        messagesPerPartition: this.messagesPerPartition,
        payload: { tag },
      })
      .catch((error: unknown) => ({ status: 0, body: String(error) }));
    this.attempts.push({ tag, startedAt, answeredAt: Date.now(), ...answer });
  }
}

export interface CheckReport {
  acknowledged: number;
  inTopic: number;
  /** Records of 2xx answers that are not in the topic. */
  lost: string[];
  /** Records in the topic more than once. */
  duplicated: string[];
  /** Each of them with its offsets and whether its request was acknowledged. */
  duplicateDetails: string[];
  /** Records in the topic whose request got no 2xx (allowed: outcome unknown). */
  unacknowledgedPresent: string[];
  groups: Record<
    string,
    { handled: number; never: string[]; twice: string[]; unknown: string[] }
  >;
}

/** Compares the history with the whole topic and each group's journal. */
export function checkHistory(
  attempts: ProduceAttempt[],
  topic: PlainRecord[],
  journals: JournalEntry[],
  groupIds: string[],
): CheckReport {
  const acked = new Set<string>();
  const ackedTags = new Set<string>();
  for (const a of attempts.filter((x) => ok(x.status))) {
    ackedTags.add(a.tag);
    for (const { partition, count } of (a.body as ProduceAnswer).partitions)
      for (let s = 1; s <= count; s++) acked.add(`${a.tag}/${partition}/${s}`);
  }
  const inTopic = new Map<string, number>();
  const nameOfId = new Map<string, string>();
  const copies = new Map<string, string[]>();
  for (const r of topic) {
    const v = JSON.parse(r.value) as {
      id: string;
      sequence: number;
      payload?: { tag?: string };
    };
    const name = `${v.payload?.tag}/${r.partition}/${v.sequence}`;
    inTopic.set(name, (inTopic.get(name) ?? 0) + 1);
    nameOfId.set(v.id, name);
    copies.set(name, [
      ...(copies.get(name) ?? []),
      `${r.offset}${r.producer ? ` (${r.producer})` : ''}`,
    ]);
  }
  const groups: CheckReport['groups'] = {};
  for (const groupId of groupIds) {
    const handled = new Map<string, number>();
    const unknown: string[] = [];
    for (const e of journals.filter((j) => j.group === groupId)) {
      if (!nameOfId.has(e.id)) unknown.push(e.id);
      else handled.set(e.id, (handled.get(e.id) ?? 0) + 1);
    }
    groups[groupId] = {
      handled: handled.size,
      never: [...nameOfId.keys()].filter((id) => !handled.has(id)),
      twice: [...handled].filter(([, n]) => n > 1).map(([id]) => id),
      unknown,
    };
  }
  return {
    acknowledged: acked.size,
    inTopic: topic.length,
    lost: [...acked].filter((name) => !inTopic.has(name)),
    duplicated: [...inTopic].filter(([, n]) => n > 1).map(([name]) => name),
    duplicateDetails: [...inTopic]
      .filter(([, n]) => n > 1)
      .map(
        ([name]) =>
          `${name} at offsets ${copies.get(name)?.join(',')} (${acked.has(name) ? 'acknowledged' : 'outcome unknown'})`,
      ),
    unacknowledgedPresent: [...inTopic.keys()].filter(
      (name) => !ackedTags.has(name.split('/')[0] ?? ''),
    ),
    groups,
  };
}

/** One line per figure, for the test output. */
export function formatReport(report: CheckReport): string {
  const lines = [
    `acknowledged ${report.acknowledged}, in topic ${report.inTopic}, lost ${report.lost.length}, duplicated in topic ${report.duplicated.length}, present but never acknowledged ${report.unacknowledgedPresent.length}`,
    ...report.duplicateDetails.map((d) => `  duplicated: ${d}`),
    ...Object.entries(report.groups).map(
      ([g, r]) =>
        `  group ${g}: handled ${r.handled}, never ${r.never.length}, twice ${r.twice.length}, unknown ${r.unknown.length}`,
    ),
  ];
  return lines.join('\n');
}

/** The largest gap between consecutive journal entries of a group (the consume stall). */
export function longestStallMs(journals: JournalEntry[], groupId: string) {
  const times = journals
    .filter((j) => j.group === groupId)
    .map((j) => j.at)
    .sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < times.length; i++)
    gap = Math.max(gap, (times[i] ?? 0) - (times[i - 1] ?? 0));
  return gap;
}

function ok(status: number): boolean {
  return status >= 200 && status < 300;
}

/**
 * Once the load stopped: waits (bounded) until every group committed the whole
 * topic, reads the topic, and checks the history against it and the journals.
 * Returns the report, each group's longest consume stall and the records read.
 *
 * The topic can still grow after the load stopped (a send the service gave up
 * on, written late by the client's retries). So the journals are taken only
 * while every group has committed the end offsets and those offsets are the
 * same before and after; the topic is then read up to those offsets. Anything
 * a group handled was below the end offsets when it was journaled, so every
 * journaled record is in the read, and every record read was handled.
 */
export async function settleAndCheck(
  admin: TestAdmin,
  scenario: Scenario,
  attempts: ProduceAttempt[],
  timeoutMs: number,
): Promise<{ report: CheckReport; stalls: number[]; records: PlainRecord[] }> {
  const groupIds = Object.values(scenario.groupIds);
  const deadline = Date.now() + timeoutMs;
  const reader = await admin.reader(scenario.topic);
  try {
    for (;;) {
      const before = await waitFor(
        () => admin.committedEverywhere(groupIds, scenario.topic),
        {
          timeoutMs: Math.max(deadline - Date.now(), 1),
          what: `${groupIds.join(', ')} caught up`,
        },
      );
      const journals = scenario.journals();
      const after = await admin.endOffsets(scenario.topic);
      if (JSON.stringify(after) !== JSON.stringify(before)) {
        // Said, so that a late write shows in the output of a run.
        console.log(
          `the topic grew while the groups caught up: end offsets ${JSON.stringify(before)}, then ${JSON.stringify(after)}; settling again`,
        );
        continue;
      }
      await reader.readTo(after, Math.max(deadline - Date.now(), 1));
      const records = reader.records();
      return {
        report: checkHistory(attempts, records, journals, groupIds),
        stalls: groupIds.map((group) => longestStallMs(journals, group)),
        records,
      };
    }
  } finally {
    await reader.close();
  }
}

/** Nothing acknowledged lost, nothing in the topic twice, every record handled by every group. */
export function expectNoLoss(report: CheckReport, groupIds: string[]): void {
  expect(report.lost).toEqual([]);
  expect(report.duplicateDetails).toEqual([]);
  for (const groupId of groupIds) {
    expect(report.groups[groupId]?.never).toEqual([]);
    expect(report.groups[groupId]?.unknown).toEqual([]);
  }
}
