/**
 * Bench phase: the two engines of the service side by side on Node 24, each
 * beside its bare client, with Kafka's own Java tools as the limit. One topic
 * is filled once (by a bare kafkajs producer, timed, beside Java's
 * ProducerPerformance on a twin topic); then each contender drains it in its
 * own process and fresh group, from its join until the group's committed
 * offsets equal the end offsets, in alternating rounds (median reported):
 *   Java ConsumerPerformance · bare kafkajs eachBatch · the service, kafkajs
 *   engine · bare @platformatic/kafka stream · the service, platformatic engine
 * The platformatic engine runs only where it exists (src/kafka/platformatic) and
 * boots; otherwise the phase says why and goes on. Each Node contender's group
 * type on the broker (Classic or Consumer, i.e. KIP-848) is read back with
 * Kafka's ConsumerGroupCommand, so an engine that is not what it claims shows.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../test/support/replica-process.js';
import type { TestAdmin } from '../../test/support/test-admin.js';
import { type Backlog, withBacklog } from './consume-backlog.js';
import { median } from './consume-compare.js';
import { topSelfTime } from './profile-top.js';
import {
  BootError,
  type Drain,
  peerDrain,
  serviceDrain,
  type Target,
} from './consume-runs.js';
import {
  groupTypes,
  type JavaPerf,
  type JavaProducerPerf,
  javaConsumerPerf,
  javaProducerPerf,
} from './java-tools.js';

export interface EngineLoad {
  partitions: number;
  backlog: number;
  rounds: number;
  /** The Node 24 binary every Node contender of this phase runs on. */
  node: string;
  /** The platformatic contenders' group protocol: consumer (KIP-848) or classic. */
  groupProtocol: 'consumer' | 'classic';
  /** Where each Node contender writes a CPU profile of its drain; none if unset. */
  cpuProfDir?: string;
}

export type Contender =
  'bareKafkajs' | 'kafkajsEngine' | 'barePlatformatic' | 'platformaticEngine';

export interface EngineComparison {
  backlog: Backlog;
  /** The backlog's writer (bare kafkajs, 4 sends in flight) against ProducerPerformance. */
  produced: { kafkajsPerSec: number; java: JavaProducerPerf | string };
  java: JavaPerf | string;
  javaGroupType: string;
  /** A median drain, or why the contender did not run. */
  drains: Record<Contender, Drain | string>;
  /** Each contender's group type on the broker (first round), or why unknown. */
  groupType: Record<Contender, string>;
  protocol: EngineLoad['groupProtocol'];
}

const PLATFORMATIC_SOURCE = join(REPO_ROOT, 'src/kafka/platformatic');

export async function compareEngines(
  admin: TestAdmin,
  env: Record<string, string>,
  dir: string,
  load: EngineLoad,
  progress: (line: string) => void,
): Promise<EngineComparison> {
  const brokers = env.KAFKA_BROKERS ?? '127.0.0.1:9092';
  return withBacklog(admin, 'bench-engines', load, progress, async (made) => {
    const { topic, backlog, group } = made;
    progress(
      '  Java ProducerPerformance, the same count and size, on a twin topic',
    );
    const producedByJava = await javaProducerPerf(
      brokers,
      await made.scratchTopic('java-producer'),
      backlog.records,
      backlog.recordBytes,
    );
    const kafkajsPerSec = (backlog.records * 1_000) / backlog.millis;
    /** Each contender's group ids, one per round. */
    const groups: Record<Contender | 'java', string[]> = {
      java: [],
      bareKafkajs: [],
      kafkajsEngine: [],
      barePlatformatic: [],
      platformaticEngine: [],
    };
    const target: Target = {
      admin,
      topic,
      records: backlog.records,
      partitions: load.partitions,
      env,
      cpuProfDir: load.cpuProfDir,
    };
    const platformatic = {
      BENCH_GROUP_PROTOCOL: load.groupProtocol,
      KAFKA_GROUP_PROTOCOL: load.groupProtocol,
    };
    const run: Record<Contender, (groupId: string) => Promise<Drain>> = {
      bareKafkajs: (groupId) =>
        peerDrain(
          target,
          {
            script: 'bare-consumer.js',
            node: load.node,
            // kafkajs sets negative timeouts; Node 24 warns on stderr (and clamps
            // to 1 ms, as Node 20 does silently). The service patches it instead.
            env: { BENCH_MODE: 'batch', NODE_NO_WARNINGS: '1' },
          },
          groupId,
        ),
      kafkajsEngine: (groupId) =>
        serviceDrain(
          target,
          dir,
          { realtime: groupId },
          {
            node: load.node,
            env: { KAFKA_CLIENT: 'kafkajs' },
          },
        ),
      barePlatformatic: (groupId) =>
        peerDrain(
          target,
          {
            script: 'bare-platformatic-consumer.js',
            node: load.node,
            env: platformatic,
          },
          groupId,
        ),
      platformaticEngine: (groupId) =>
        serviceDrain(
          target,
          dir,
          { realtime: groupId },
          {
            node: load.node,
            env: { ...platformatic, KAFKA_CLIENT: 'platformatic' },
          },
        ),
    };
    const runs: Record<Contender, Drain[]> = {
      bareKafkajs: [],
      kafkajsEngine: [],
      barePlatformatic: [],
      platformaticEngine: [],
    };
    const missing: Partial<Record<Contender, string>> = {};
    if (!existsSync(PLATFORMATIC_SOURCE))
      missing.platformaticEngine = `${PLATFORMATIC_SOURCE} does not exist on this branch`;
    const javaRuns: (JavaPerf | string)[] = [];
    for (let round = 1; round <= load.rounds; round++) {
      const javaGroup = group(`java-${round}`);
      groups.java.push(javaGroup);
      const java = await javaConsumerPerf(
        brokers,
        topic,
        backlog.records,
        javaGroup,
      );
      javaRuns.push(java);
      progress(
        `  round ${round}/${load.rounds} Java ConsumerPerformance: ${typeof java === 'string' ? java : `${Math.round(java.fetchPerSec)} records/s fetching`}`,
      );
      for (const contender of Object.keys(run) as Contender[]) {
        if (missing[contender]) continue;
        const groupId = group(`${contender}-${round}`);
        groups[contender].push(groupId);
        try {
          const drain = await run[contender](groupId);
          const wrong = wrongEngine(contender, drain, load);
          if (wrong) throw new Error(wrong);
          runs[contender].push(drain);
          progress(
            `  round ${round}/${load.rounds} ${contender}: ${Math.round(drain.perSec[0] ?? NaN)} records/s, CPU ${drain.cpuPer100k.toFixed(2)} s/100k, peak RSS ${Math.round(drain.peakRssMb)} MB`,
          );
          if (drain.cpuProfile) {
            progress(`    self time, boot to drained (${drain.cpuProfile}):`);
            topSelfTime(drain.cpuProfile, 15).forEach((line) =>
              progress(`  ${line}`),
            );
          }
        } catch (error) {
          // A contender that cannot run is reported as such, never replaced by another.
          missing[contender] =
            error instanceof BootError
              ? error.bootLine
              : error instanceof Error
                ? error.message
                : String(error);
          progress(
            `  round ${round}/${load.rounds} ${contender}: not available (${missing[contender]})`,
          );
        }
      }
    }
    const types = await groupTypes(brokers);
    const groupType = {} as Record<Contender, string>;
    const drains = {} as Record<Contender, Drain | string>;
    for (const contender of Object.keys(run) as Contender[]) {
      const first = groups[contender][0];
      groupType[contender] =
        typeof types === 'string' ? types : (first && types.get(first)) || '-';
      drains[contender] = missing[contender] ?? median(runs[contender]);
    }
    // The engine is what its group says on the broker: KIP-848 groups are of type Consumer.
    if (
      load.groupProtocol === 'consumer' &&
      typeof drains.platformaticEngine !== 'string' &&
      groupType.platformaticEngine !== 'Consumer'
    )
      drains.platformaticEngine = `its group is ${groupType.platformaticEngine} on the broker, not Consumer: the service did not run the platformatic engine`;
    return {
      backlog,
      produced: { kafkajsPerSec, java: producedByJava },
      java: medianJava(javaRuns),
      javaGroupType:
        typeof types === 'string'
          ? types
          : (types.get(groups.java[0] ?? '') ?? '-'),
      drains,
      groupType,
      protocol: load.groupProtocol,
    };
  });
}

/**
 * Why a service drain did not run the engine it was asked for, from the
 * service's own /consumers view (the broker's group type checks KIP-848 too).
 */
function wrongEngine(
  contender: Contender,
  drain: Drain,
  load: EngineLoad,
): string | undefined {
  const wanted =
    contender === 'platformaticEngine'
      ? { client: 'platformatic', groupProtocol: load.groupProtocol }
      : contender === 'kafkajsEngine'
        ? { client: 'kafkajs', groupProtocol: 'classic' }
        : undefined;
  const said = drain.engine;
  if (
    !wanted ||
    (said?.client === wanted.client &&
      said.groupProtocol === wanted.groupProtocol)
  )
    return undefined;
  return `the service reports ${said ? `${said.client} / ${said.groupProtocol}` : 'no engine'}, not ${wanted.client} / ${wanted.groupProtocol}`;
}

function medianJava(runs: (JavaPerf | string)[]): JavaPerf | string {
  const ok = runs.filter((r): r is JavaPerf => typeof r !== 'string');
  if (ok.length === 0) return runs[0] ?? 'did not run';
  const mid = (f: (r: JavaPerf) => number) =>
    [...ok.map(f)].sort((a, b) => a - b)[Math.floor(ok.length / 2)] ?? NaN;
  return {
    fetchPerSec: mid((r) => r.fetchPerSec),
    perSec: mid((r) => r.perSec),
    joinMs: mid((r) => r.joinMs),
    cpuPer100k: mid((r) => r.cpuPer100k),
    peakRssMb: mid((r) => r.peakRssMb),
  };
}
