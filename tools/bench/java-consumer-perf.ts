/**
 * Kafka's own Java ConsumerPerformance on the same backlog, as a reference for
 * what the broker serves to a consumer that does nothing with the records. It
 * lives in the kafka-tools jar, which the local broker does not need: it runs
 * only when that jar is in the Maven repository (or KAFKA_TOOLS_JAR names it).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../test/support/replica-process.js';

export interface JavaPerf {
  /** Records/s while fetching (ConsumerPerformance's fetch.nMsg.sec). */
  fetchPerSec: number;
  /** Records/s over the whole run, group join included (nMsg.sec). */
  perSec: number;
  joinMs: number;
}

/** The figures, or why it did not run. */
export async function javaConsumerPerf(
  brokers: string,
  topic: string,
  records: number,
  groupId: string,
): Promise<JavaPerf | string> {
  const pom = readFileSync(join(REPO_ROOT, 'tools/kafka/pom.xml'), 'utf8');
  const version = /<kafka.version>(.+)</.exec(pom)?.[1] ?? '?';
  const libs = join(REPO_ROOT, 'tools/kafka/.cache', `libs-${version}`);
  const tools =
    process.env.KAFKA_TOOLS_JAR ??
    join(
      homedir(),
      `.m2/repository/org/apache/kafka/kafka-tools/${version}/kafka-tools-${version}.jar`,
    );
  if (!existsSync(tools) || !existsSync(libs))
    return `skipped: no ${tools} (mvn dependency:get -Dartifact=org.apache.kafka:kafka-tools:${version} fetches it)`;
  const { stdout } = await promisify(execFile)(
    'java',
    [
      '-Xmx256m',
      '-cp',
      `${libs}/*:${tools}`,
      'org.apache.kafka.tools.ConsumerPerformance',
      ...['--bootstrap-server', brokers, '--topic', topic],
      ...['--messages', String(records), '--group', groupId],
      ...['--timeout', '60000'],
    ],
    { timeout: 300_000 },
  ).catch((error: { stdout?: string; message: string }) => ({
    stdout: error.stdout ?? error.message,
  }));
  // A header line, then: start, end, MB, MB/s, nMsg, nMsg/s, rebalance ms, fetch ms, fetch MB/s, fetch nMsg/s.
  const fields = stdout.trim().split('\n').pop()?.split(', ') ?? [];
  const [perSec, joinMs, fetchPerSec] = [5, 6, 9].map((i) => Number(fields[i]));
  if (fields.length < 10 || !(Number(fetchPerSec) > 0))
    return `failed: ${stdout.trim().split('\n').slice(-3).join(' | ')}`;
  return {
    perSec: perSec ?? NaN,
    joinMs: joinMs ?? NaN,
    fetchPerSec: fetchPerSec ?? NaN,
  };
}
