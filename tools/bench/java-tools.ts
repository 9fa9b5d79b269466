/**
 * Kafka's own Java tools as the bench's limit: ConsumerPerformance and
 * ProducerPerformance on the same broker (what it serves to a client that does
 * nothing with the records), and ConsumerGroupCommand to read which protocol a
 * group uses on the broker. Their jar (org.apache.kafka:kafka-tools, the broker's
 * version) is fetched from Maven Central by `tools/kafka/kafka.sh tools-classpath`
 * into the git-ignored tools/kafka/.cache, like the broker's jars.
 */
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../test/support/replica-process.js';
import { watchProcess } from './proc-stats.js';

export interface JavaPerf {
  /** Records/s while fetching (ConsumerPerformance's fetch.nMsg.sec) or sending. */
  fetchPerSec: number;
  /** Records/s over the whole run, group join included (nMsg.sec). */
  perSec: number;
  joinMs: number;
  /** CPU seconds of the whole JVM (start-up and JIT included) per 100k records. */
  cpuPer100k: number;
  peakRssMb: number;
}

export interface JavaProducerPerf {
  perSec: number;
  p99Ms: number;
  cpuPer100k: number;
  peakRssMb: number;
}

const HEAP = '-Xmx256m';
let classpath: Promise<string> | undefined;

/** `java -cp` value for Kafka's tools; fetched once (a few MB, first run only). */
export function kafkaToolsClasspath(): Promise<string> {
  classpath ??= promisify(execFile)(
    'bash',
    [join(REPO_ROOT, 'tools/kafka/kafka.sh'), 'tools-classpath'],
    { timeout: 300_000 },
  ).then(({ stdout }) => stdout.trim().split('\n').pop() ?? '');
  return classpath;
}

/** ConsumerPerformance reading `records` of `topic` in a fresh group; or why it did not run. */
export async function javaConsumerPerf(
  brokers: string,
  topic: string,
  records: number,
  groupId: string,
): Promise<JavaPerf | string> {
  const run = await runTool('org.apache.kafka.tools.ConsumerPerformance', [
    ...['--bootstrap-server', brokers, '--topic', topic],
    ...['--messages', String(records), '--group', groupId],
    ...['--timeout', '60000'],
  ]);
  if (typeof run === 'string') return run;
  // A header line, then: start, end, MB, MB/s, nMsg, nMsg/s, rebalance ms, fetch ms, fetch MB/s, fetch nMsg/s.
  const fields = run.stdout.trim().split('\n').pop()?.split(', ') ?? [];
  const [perSec, joinMs, fetchPerSec] = [5, 6, 9].map((i) => Number(fields[i]));
  if (fields.length < 10 || !(Number(fetchPerSec) > 0))
    return `failed: ${lastLines(run.stdout)}`;
  return {
    perSec: perSec ?? NaN,
    joinMs: joinMs ?? NaN,
    fetchPerSec: fetchPerSec ?? NaN,
    cpuPer100k: (run.cpuMs * 100) / records,
    peakRssMb: run.peakRssMb,
  };
}

/** ProducerPerformance: `records` of `recordBytes` each, acks=all, as fast as it goes. */
export async function javaProducerPerf(
  brokers: string,
  topic: string,
  records: number,
  recordBytes: number,
): Promise<JavaProducerPerf | string> {
  const run = await runTool('org.apache.kafka.tools.ProducerPerformance', [
    ...['--topic', topic, '--num-records', String(records)],
    ...['--record-size', String(recordBytes), '--throughput', '-1'],
    ...['--producer-props', `bootstrap.servers=${brokers}`, 'acks=all'],
  ]);
  if (typeof run === 'string') return run;
  // Last line: "N records sent, R records/sec (...), ... ms 99th, ..."
  const last = run.stdout.trim().split('\n').pop() ?? '';
  const perSec = Number(/records sent, ([\d.]+) records\/sec/.exec(last)?.[1]);
  const p99Ms = Number(/([\d.]+) ms 99th/.exec(last)?.[1]);
  if (!(perSec > 0)) return `failed: ${lastLines(run.stdout)}`;
  return {
    perSec,
    p99Ms,
    cpuPer100k: (run.cpuMs * 100) / records,
    peakRssMb: run.peakRssMb,
  };
}

/** Each group's type on the broker (`Classic` or `Consumer`, i.e. KIP-848), from ConsumerGroupCommand. */
export async function groupTypes(
  brokers: string,
): Promise<Map<string, string> | string> {
  const run = await runTool(
    'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
    ['--bootstrap-server', brokers, '--list', '--type'],
  );
  if (typeof run === 'string') return run;
  const rows = run.stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/));
  return new Map(rows.map(([group, type]) => [group ?? '', type ?? '?']));
}

async function runTool(mainClass: string, args: string[]) {
  const cp = await kafkaToolsClasspath().catch(
    (error: { stderr?: string; message: string }) =>
      new Error(lastLines(error.stderr ?? error.message)),
  );
  if (cp instanceof Error) return `skipped: no Kafka tools jar (${cp.message})`;
  const child = spawn('java', [HEAP, '-cp', cp, mainClass, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  });
  const usage = watchProcess(child.pid ?? -1);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(-1));
    child.once('exit', (exitCode) => resolve(exitCode));
  });
  const { cpuMs, peakRssMb } = usage.stop();
  if (code !== 0)
    return `failed (exit ${code}): ${lastLines(stderr || stdout)}`;
  return { stdout, cpuMs, peakRssMb };
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ');
}
