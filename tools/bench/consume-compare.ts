/**
 * Bench phase: draining one backlog, the service against bare kafkajs. A fresh
 * topic is filled once; then, each in its own process and its own fresh group
 * reading from the beginning until the group's committed offsets equal the end
 * offsets: a bare eachBatch consumer committing per batch, the service with one
 * group, the service with both groups; rounds alternate so all see the same
 * machine, and the median of each column is reported. A bare consumer with an
 * awaited commit per record (Nest's documented pattern) runs once, time-bound.
 */
import type { TestAdmin } from '../../test/support/test-admin.js';
import { type Backlog, withBacklog } from './consume-backlog.js';
import { type JavaPerf, javaConsumerPerf } from './java-tools.js';
import { topSelfTime } from './profile-top.js';
import {
  bareDrain,
  type Drain,
  serviceDrain,
  type Target,
} from './consume-runs.js';

export interface ConsumeLoad {
  partitions: number;
  backlog: number;
  rounds: number;
  /** How long the per-record awaited-commit consumer is measured. */
  perRecordSeconds: number;
  /** Profile the service's CPU (cpu-profile.ts) and print its top functions. */
  cpuProfDir?: string;
}

export interface ConsumeComparison {
  backlog: Backlog;
  batch: Drain;
  perRecord: Drain;
  oneGroup: Drain;
  bothGroups: Drain;
  /** Kafka's Java ConsumerPerformance on the same backlog, or why it did not run. */
  java: JavaPerf | string;
}

// The goals for the service, relative to bare eachBatch.
const GOALS = { oneGroup: 0.8, eachOfBoth: 0.5, cpu: 1.5, rssMb: 200 };

export async function compareConsume(
  admin: TestAdmin,
  env: Record<string, string>,
  dir: string,
  load: ConsumeLoad,
  progress: (line: string) => void,
): Promise<ConsumeComparison> {
  return withBacklog(admin, 'bench-consume', load, progress, async (made) => {
    const { topic, backlog, group } = made;
    const target: Target = {
      admin,
      topic,
      records: backlog.records,
      partitions: load.partitions,
      env,
      cpuProfDir: load.cpuProfDir,
    };
    const runs: Record<'batch' | 'oneGroup' | 'bothGroups', Drain[]> = {
      batch: [],
      oneGroup: [],
      bothGroups: [],
    };
    let perRecord: Drain | undefined;
    for (let round = 1; round <= load.rounds; round++) {
      const say = (what: string, drain: Drain) => {
        progress(
          `  round ${round}/${load.rounds} ${what}: ${drain.perSec.map(Math.round).join(' / ')} records/s, CPU ${drain.cpuPer100k.toFixed(2)} s/100k, peak RSS ${Math.round(drain.peakRssMb)} MB`,
        );
        if (drain.cpuProfile) {
          progress(`    self time, boot to drained (${drain.cpuProfile}):`);
          topSelfTime(drain.cpuProfile).forEach((line) =>
            progress(`  ${line}`),
          );
        }
      };
      const batch = await bareDrain(target, 'batch', group(`bare-${round}`));
      say('bare eachBatch', batch);
      const one = await serviceDrain(target, dir, {
        realtime: group(`one-${round}`),
      });
      say('service, 1 group', one);
      const both = await serviceDrain(target, dir, {
        realtime: group(`both-realtime-${round}`),
        analytics: group(`both-analytics-${round}`),
      });
      say('service, 2 groups', both);
      runs.batch.push(batch);
      runs.oneGroup.push(one);
      runs.bothGroups.push(both);
      if (round === 1) {
        perRecord = await bareDrain(
          target,
          'per-record',
          group('per-record'),
          load.perRecordSeconds,
        );
        say(`per-record commit (${load.perRecordSeconds} s)`, perRecord);
      }
    }
    const java = await javaConsumerPerf(
      env.KAFKA_BROKERS ?? '127.0.0.1:9092',
      topic,
      backlog.records,
      group('java'),
    );
    return {
      backlog,
      java,
      batch: median(runs.batch),
      perRecord: perRecord as Drain,
      oneGroup: median(runs.oneGroup),
      bothGroups: median(runs.bothGroups),
    };
  });
}

export function consumeRows(
  result: ConsumeComparison,
  perRecordSeconds: number,
): string[][] {
  const bare = result.batch;
  const row = (name: string, drain: Drain, i = 0) => [
    name,
    `${Math.round(drain.perSec[i] ?? NaN)}/s`,
    `${Math.round(drain.perSecFromSpawn[i] ?? NaN)}/s`,
    drain.cpuPer100k.toFixed(2),
    `${Math.round(drain.peakRssMb)} MB`,
    `${ratio(drain.perSec[i], bare.perSec[0])} / ${ratio(drain.cpuPer100k, bare.cpuPer100k)}`,
  ];
  return [
    row('bare eachBatch, commit per batch', bare),
    row(
      `bare eachMessage, awaited commit per record (${perRecordSeconds} s)`,
      result.perRecord,
    ),
    row('service, 1 group (realtime)', result.oneGroup),
    row('service, 2 groups: realtime', result.bothGroups, 0),
    row('service, 2 groups: analytics', result.bothGroups, 1),
  ];
}

/** One line: each goal of the issue, the measured value and whether it holds. */
export function consumeGoals(result: ConsumeComparison): string {
  const bare = result.batch;
  const one = (result.oneGroup.perSec[0] ?? 0) / (bare.perSec[0] ?? 1);
  const each = Math.min(...result.bothGroups.perSec) / (bare.perSec[0] ?? 1);
  const cpu = Math.max(
    result.oneGroup.cpuPer100k / bare.cpuPer100k,
    result.bothGroups.cpuPer100k / bare.cpuPer100k,
  );
  const rss = Math.max(result.oneGroup.peakRssMb, result.bothGroups.peakRssMb);
  const check = (ok: boolean) => (ok ? 'met' : 'NOT met');
  return [
    `1 group ≥ ${GOALS.oneGroup}x: ${one.toFixed(2)}x ${check(one >= GOALS.oneGroup)}`,
    `2 groups each ≥ ${GOALS.eachOfBoth}x: ${each.toFixed(2)}x ${check(each >= GOALS.eachOfBoth)}`,
    `CPU/record ≤ ${GOALS.cpu}x: ${cpu.toFixed(2)}x ${check(cpu <= GOALS.cpu)}`,
    `peak RSS ≤ ${GOALS.rssMb} MB: ${Math.round(rss)} MB ${check(rss <= GOALS.rssMb)}`,
  ].join(' · ');
}

export function javaLine(java: JavaPerf | string): string {
  return typeof java === 'string'
    ? java
    : `${Math.round(java.fetchPerSec)} records/s fetching, ${Math.round(java.perSec)}/s with its ${java.joinMs} ms group join (no processing, its own commits)`;
}

function ratio(value: number | undefined, base: number | undefined): string {
  return `${((value ?? NaN) / (base ?? NaN)).toFixed(2)}x`;
}

/** The median of each figure on its own (rounds are noisy in different ways). */
export function median(drains: Drain[]): Drain {
  const mid = (values: number[]) =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
  const groups = drains[0]?.perSec.length ?? 0;
  return {
    perSec: Array.from({ length: groups }, (_, i) =>
      mid(drains.map((d) => d.perSec[i] ?? NaN)),
    ),
    perSecFromSpawn: Array.from({ length: groups }, (_, i) =>
      mid(drains.map((d) => d.perSecFromSpawn[i] ?? NaN)),
    ),
    cpuPer100k: mid(drains.map((d) => d.cpuPer100k)),
    peakRssMb: mid(drains.map((d) => d.peakRssMb)),
  };
}
