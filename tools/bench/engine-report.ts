/**
 * The engine phase's table and lines: every contender's rate, CPU and memory,
 * and every ratio: each engine against its bare client, engine against engine,
 * each against Kafka's Java ConsumerPerformance (the limit).
 */
import type { Drain } from './consume-runs.js';
import type { Contender, EngineComparison } from './engine-compare.js';

// The goals for the platformatic engine (drain, one group per process).
const GOALS = { vsBare: 1.0, vsKafkajsEngine: 0.9 };

const LABEL: Record<Contender, string> = {
  bareKafkajs: 'bare kafkajs eachBatch, commit per batch',
  kafkajsEngine: 'service, kafkajs engine (1 group)',
  barePlatformatic: 'bare @platformatic/kafka stream, commit per 1000',
  platformaticEngine: 'service, platformatic engine (1 group)',
};
const NAME: Record<Contender, string> = {
  bareKafkajs: 'bare kafkajs',
  kafkajsEngine: 'kafkajs engine',
  barePlatformatic: 'bare @platformatic/kafka',
  platformaticEngine: 'platformatic engine',
};
const BARE_OF: Record<Contender, Contender> = {
  bareKafkajs: 'bareKafkajs',
  kafkajsEngine: 'bareKafkajs',
  barePlatformatic: 'barePlatformatic',
  platformaticEngine: 'barePlatformatic',
};

export const ENGINE_HEADERS = [
  'consumer (Node 24 unless Java)',
  'group type',
  'records/s',
  'from spawn',
  'CPU s/100k',
  'peak RSS',
  'vs its bare client: rate / CPU',
  'vs Java',
];

export function engineRows(result: EngineComparison): string[][] {
  const { java, drains } = result;
  const javaRate = typeof java === 'string' ? NaN : java.fetchPerSec;
  const rows: string[][] = [
    typeof java === 'string'
      ? ['Kafka Java ConsumerPerformance', '-', java, '', '', '', '', '']
      : [
          'Kafka Java ConsumerPerformance (no processing)',
          result.javaGroupType,
          `${Math.round(java.fetchPerSec)}/s`,
          `${Math.round(java.perSec)}/s`,
          `${java.cpuPer100k.toFixed(2)} (JVM)`,
          `${Math.round(java.peakRssMb)} MB`,
          '',
          '1.00x',
        ],
  ];
  for (const contender of Object.keys(LABEL) as Contender[]) {
    const drain = drains[contender];
    const bare = drains[BARE_OF[contender]];
    if (typeof drain === 'string') {
      rows.push([LABEL[contender], '-', 'not available', '', '', '', '', '']);
      continue;
    }
    rows.push([
      LABEL[contender],
      result.groupType[contender],
      `${Math.round(rate(drain))}/s`,
      `${Math.round(drain.perSecFromSpawn[0] ?? NaN)}/s`,
      drain.cpuPer100k.toFixed(2),
      `${Math.round(drain.peakRssMb)} MB`,
      typeof bare === 'string'
        ? '-'
        : `${ratio(rate(drain), rate(bare))} / ${ratio(drain.cpuPer100k, bare.cpuPer100k)}`,
      ratio(rate(drain), javaRate),
    ]);
  }
  return rows;
}

/** Lines under the table: engine vs engine, bare vs bare, the producers, the goals. */
export function engineLines(result: EngineComparison): string[] {
  const { drains, produced } = result;
  const pair = (a: Contender, b: Contender, what: string) => {
    const x = drains[a];
    const y = drains[b];
    if (typeof x === 'string' || typeof y === 'string')
      return `${what}: not measured (${NAME[typeof x === 'string' ? a : b]} not available)`;
    return `${what}: rate ${ratio(rate(x), rate(y))}, CPU ${ratio(x.cpuPer100k, y.cpuPer100k)}, peak RSS ${Math.round(x.peakRssMb)} / ${Math.round(y.peakRssMb)} MB`;
  };
  const java = produced.java;
  const unavailable = (Object.keys(LABEL) as Contender[]).flatMap((c) => {
    const drain = drains[c];
    return typeof drain === 'string'
      ? [`${NAME[c]}: not available (${drain})`]
      : [];
  });
  return [
    ...unavailable,
    pair(
      'platformaticEngine',
      'kafkajsEngine',
      'platformatic engine / kafkajs engine',
    ),
    pair(
      'barePlatformatic',
      'bareKafkajs',
      'bare @platformatic/kafka / bare kafkajs',
    ),
    typeof java === 'string'
      ? `producing: bare kafkajs ${Math.round(produced.kafkajsPerSec)}/s; Java ProducerPerformance ${java}`
      : `producing ${result.backlog.records} records of ~${result.backlog.recordBytes} bytes, acks=all: bare kafkajs (4 sends in flight) ${Math.round(produced.kafkajsPerSec)}/s, Java ProducerPerformance ${Math.round(java.perSec)}/s (p99 ${Math.round(java.p99Ms)} ms, CPU ${java.cpuPer100k.toFixed(2)} s/100k, ${Math.round(java.peakRssMb)} MB): ${ratio(produced.kafkajsPerSec, java.perSec)}`,
    `goals (platformatic engine, group protocol ${result.protocol}): ${goals(result)}`,
  ];
}

function goals(result: EngineComparison): string {
  const engine = result.drains.platformaticEngine;
  if (typeof engine === 'string')
    return 'not measured (the platformatic engine is not available)';
  const check = (value: number, goal: number, what: string) =>
    Number.isNaN(value)
      ? `${what} ≥ ${goal}x: not measured`
      : `${what} ≥ ${goal}x: ${value.toFixed(2)}x ${value >= goal ? 'met' : 'NOT met'}`;
  const against = (other: Drain | string) =>
    typeof other === 'string' ? NaN : rate(engine) / rate(other);
  return [
    check(
      against(result.drains.barePlatformatic),
      GOALS.vsBare,
      'vs bare @platformatic/kafka',
    ),
    check(
      against(result.drains.kafkajsEngine),
      GOALS.vsKafkajsEngine,
      'vs kafkajs engine',
    ),
  ].join(' · ');
}

const rate = (drain: Drain) => drain.perSec[0] ?? NaN;

function ratio(value: number, base: number): string {
  return `${(value / base).toFixed(2)}x`;
}
