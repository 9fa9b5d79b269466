/**
 * One measured drain of the backlog by one contender, each in its own process:
 * a bare kafkajs consumer (bare-consumer.ts) or the service (`node dist/main.js`).
 * Times come from wall clocks (Date.now) because the join time is the
 * contender's own GROUP_JOIN, reported by the child process.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { setTimeout as window } from 'node:timers/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ReplicaProcess } from '../../test/support/replica-process.js';
import type { TestAdmin } from '../../test/support/test-admin.js';
import { waitFor } from '../../test/support/wait-for.js';
import { cpuMs, peakRssMb, sampleCpu } from './proc-stats.js';

export interface Drain {
  /** Per group: records committed / seconds from the group's GROUP_JOIN to fully committed. */
  perSec: number[];
  /** The same from the process' spawn (boot and group join included). */
  perSecFromSpawn: number[];
  /** CPU seconds of the process per 100k records it handled (join → done). */
  cpuPer100k: number;
  peakRssMb: number;
  /** With Target.cpuProfDir: the process' CPU profile from its start until drained. */
  cpuProfile?: string;
  /** The service's own word on its first group: its client and group protocol (/consumers). */
  engine?: { client: string; groupProtocol: string };
}

export interface Target {
  admin: TestAdmin;
  topic: string;
  records: number;
  partitions: number;
  /** Service and consumer settings (KAFKA_BROKERS, CONSUMER_*, LOG_LEVEL...). */
  env: Record<string, string>;
  /** Where each Node contender (service or bare client) writes a CPU profile of its drain (cpu-profile.ts); none if unset. */
  cpuProfDir?: string;
}

const JOIN_TIMEOUT_MS = 60_000;
const STALL_MS = 60_000;
const here = fileURLToPath(new URL('.', import.meta.url));

/** A bare client's consumer, run as its own process by `node`. */
export interface Peer {
  /** Its compiled script beside this file: it prints {"joinedAt"} on its group join. */
  script: 'bare-consumer.js' | 'bare-platformatic-consumer.js';
  node: string;
  env: Record<string, string>;
}

/** A bare kafkajs consumer in a fresh group; per-record mode is cut after `seconds`. */
export async function bareDrain(
  target: Target,
  mode: 'batch' | 'per-record',
  groupId: string,
  seconds?: number,
): Promise<Drain> {
  const peer: Peer = {
    script: 'bare-consumer.js',
    node: process.execPath,
    env: { BENCH_MODE: mode },
  };
  return peerDrain(target, peer, groupId, seconds);
}

/** A bare consumer in a fresh group, drained to the end (or cut after `seconds`). */
export async function peerDrain(
  target: Target,
  peer: Peer,
  groupId: string,
  seconds?: number,
): Promise<Drain> {
  const spawnedAt = Date.now();
  const child = spawn(peer.node, [join(here, peer.script)], {
    env: {
      PATH: process.env.PATH ?? '',
      ...target.env,
      ...peer.env,
      KAFKA_TOPIC: target.topic,
      BENCH_GROUP_ID: groupId,
      BENCH_CONCURRENCY: String(target.partitions),
      ...profiling(target),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const pid = child.pid ?? -1;
  const cpu = sampleCpu(pid);
  let joinedAt: number | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    const line = chunk.toString().split('\n')[0] ?? '';
    joinedAt ??= (JSON.parse(line) as { joinedAt: number }).joinedAt;
  });
  try {
    const at = await waitFor(
      () => {
        if (child.exitCode !== null)
          throw new Error(`exited ${child.exitCode}`);
        return joinedAt;
      },
      {
        timeoutMs: JOIN_TIMEOUT_MS,
        intervalMs: 10,
        what: `the bare consumer ${peer.script} to join its group`,
      },
    );
    cpu.stop();
    const cpuAtJoin = cpu.at(at);
    let records = target.records;
    let doneAt: number;
    if (seconds === undefined) {
      doneAt = (await caughtUpAt(target, [groupId]))[0] ?? NaN;
    } else {
      // A measurement window (the drain would take hours), not a wait for state.
      await window(seconds * 1_000);
      records = await committedRecords(target, groupId);
      doneAt = Date.now();
    }
    const cpuDone = cpuMs([pid]);
    return {
      perSec: [(records * 1_000) / (doneAt - at)],
      perSecFromSpawn: [(records * 1_000) / (doneAt - spawnedAt)],
      cpuPer100k: ((cpuDone - cpuAtJoin) * 100) / records,
      peakRssMb: peakRssMb(pid),
      cpuProfile: await writeProfile(target, pid),
    };
  } finally {
    cpu.stop();
    child.kill('SIGTERM');
    if (child.exitCode === null && child.signalCode === null)
      await once(child, 'exit');
  }
}

/** How the service is run: which node binary, and settings on top of Target.env (the engine). */
export interface ServiceRun {
  node?: string;
  env?: Record<string, string>;
}

/** The service in one process with one group per role (`realtime`, `analytics`). */
export async function serviceDrain(
  target: Target,
  dir: string,
  groupIds: { realtime: string; analytics?: string },
  run: ServiceRun = {},
): Promise<Drain> {
  const roles = Object.keys(groupIds);
  const spawnedAt = Date.now();
  const replica = await ReplicaProcess.spawn({
    name: `consume-${roles.join('-')}`,
    dir,
    journal: false,
    node: run.node,
    env: {
      ...target.env,
      ...run.env,
      APP_ROLES: roles.join(','),
      KAFKA_TOPIC: target.topic,
      REALTIME_GROUP_ID: groupIds.realtime,
      // Must differ from realtime's even when the role is off.
      ANALYTICS_GROUP_ID: groupIds.analytics ?? `${groupIds.realtime}-unused`,
      ...profiling(target),
    },
  });
  const cpu = sampleCpu(replica.pid);
  try {
    type View = {
      name: string;
      status: string;
      joinedAt?: string | null;
      client: string;
      groupProtocol: string;
    };
    const views = await waitFor(
      async () => {
        if (!replica.alive) return 'exited' as const;
        const { groups } = (await replica.consumers()) as unknown as {
          groups: View[];
        };
        return groups.length === roles.length &&
          groups.every((g) => g.status === 'joined')
          ? groups
          : undefined;
      },
      {
        timeoutMs: JOIN_TIMEOUT_MS,
        intervalMs: 20,
        what: `the service's groups ${roles.join(', ')} to join`,
      },
    );
    if (views === 'exited') throw new BootError(replica.logs());
    const seenAt = Date.now();
    cpu.stop();
    // The service's own GROUP_JOIN time; when it says none, when it was seen.
    const joinedAt = roles.map(
      (role) =>
        Date.parse(views.find((g) => g.name === role)?.joinedAt ?? '') ||
        seenAt,
    );
    // /consumers answers late while the service is busy: the CPU it had used by its join.
    const cpuAtJoin = cpu.at(Math.min(...joinedAt));
    const doneAt = await caughtUpAt(target, Object.values(groupIds));
    const handled = target.records * roles.length;
    const cpuDone = cpuMs([replica.pid]);
    const peakRss = peakRssMb(replica.pid);
    const cpuProfile = await writeProfile(target, replica.pid);
    return {
      perSec: doneAt.map(
        (t, i) => (target.records * 1_000) / (t - (joinedAt[i] ?? seenAt)),
      ),
      perSecFromSpawn: doneAt.map(
        (t) => (target.records * 1_000) / (t - spawnedAt),
      ),
      cpuPer100k: ((cpuDone - cpuAtJoin) * 100) / handled,
      peakRssMb: peakRss,
      cpuProfile,
      engine: views[0] && {
        client: views[0].client,
        groupProtocol: views[0].groupProtocol,
      },
    };
  } finally {
    cpu.stop();
    await replica.stop('SIGTERM');
  }
}

/** With Target.cpuProfDir: the settings that make a Node process sample its CPU (cpu-profile.ts). */
function profiling(target: Target): Record<string, string> {
  if (!target.cpuProfDir) return {};
  return {
    NODE_OPTIONS: `--import=${pathToFileURL(join(here, 'cpu-profile.js')).href}`,
    BENCH_CPU_PROF_DIR: target.cpuProfDir,
  };
}

/** Asks a profiled process for what it sampled so far; the file's path, or none if not profiled. */
async function writeProfile(target: Target, pid: number) {
  if (!target.cpuProfDir) return undefined;
  process.kill(pid, 'SIGUSR2');
  const file = join(target.cpuProfDir, `${pid}.cpuprofile`);
  return waitFor(() => (existsSync(file) ? file : undefined), {
    timeoutMs: 30_000,
    what: `process ${pid} to write ${file}`,
  });
}

/** When (Date.now) each group's committed offsets reached the end offsets. */
async function caughtUpAt(target: Target, groupIds: string[]) {
  const done = new Map<string, number>();
  // A contender whose commits stop (its member fenced and never back) fails the
  // drain after STALL_MS instead of holding the whole bench for its long bound.
  const progress = { committed: -1, at: Date.now(), checkedAt: 0 };
  const stalled = async () => {
    if (Date.now() - progress.checkedAt < 5_000) return false;
    progress.checkedAt = Date.now();
    let committed = 0;
    for (const groupId of groupIds)
      committed += await committedRecords(target, groupId);
    if (committed !== progress.committed)
      Object.assign(progress, { committed, at: Date.now() });
    return Date.now() - progress.at > STALL_MS;
  };
  const result = await waitFor(
    async () => {
      for (const groupId of groupIds)
        if (
          !done.has(groupId) &&
          (await target.admin.caughtUp(groupId, target.topic))
        )
          done.set(groupId, Date.now());
      if (done.size === groupIds.length) return 'done';
      return (await stalled()) ? 'stalled' : undefined;
    },
    {
      // Bounded as if it read at least 2,000 records/s.
      timeoutMs: 60_000 + target.records / 2,
      intervalMs: 50,
      what: `${groupIds.join(', ')} to commit all ${target.records} records`,
    },
  );
  if (result === 'stalled')
    throw new Error(
      `no commit progress for ${STALL_MS / 1_000} s (${progress.committed} of ${target.records * groupIds.length} records committed)`,
    );
  return groupIds.map((g) => done.get(g) ?? NaN);
}

async function committedRecords(target: Target, groupId: string) {
  const committed = await target.admin.committedOffsets(groupId, target.topic);
  return Object.values(committed).reduce((sum, o) => sum + Math.max(o, 0), 0);
}

/** The service exited before its groups joined; `bootLine` is what it said last. */
export class BootError extends Error {
  readonly bootLine: string;
  constructor(output: string) {
    // The last line that is not a stack frame: what the service said when it gave up.
    const lines = output
      .split('\n')
      .filter((line) => line.trim() !== '' && !/^\s+at /.test(line));
    const bootLine = (lines.at(-1) ?? 'no output').trim();
    super(`the service exited before its groups joined: ${bootLine}`);
    this.bootLine = bootLine;
  }
}
