/**
 * The rebalance phase's table (one row per scenario and engine) and the lines
 * under it, with the issue's goals printed as met / NOT met beside each row.
 */
import type { EngineRun, Scenario } from './rebalance-phase.js';
import { SCENARIOS } from './rebalance-phase.js';
import { quantile, type StepFigures } from './rebalance-measure.js';

// The issue's goals: partitions that do not move pause at most this long on a
// join, graceful leave or crash; a rolling restart of static members moves none.
const PAUSE_GOAL_MS = 100;

const NAME: Record<Scenario, string> = {
  boot: 'control: a 4th boots, other group',
  join: 'join (3rd joins 2)',
  leave: 'graceful leave (SIGTERM 1 of 3)',
  crash: 'crash (SIGKILL 1 of 3)',
  rolling: 'rolling restart of 3',
};

export const REBALANCE_HEADERS = [
  'scenario',
  'engine / protocol',
  'load',
  'moved (owner changes)',
  'others: longest pause',
  'steady gap',
  'moved/stopped: longest wait',
  'latency p50 / p99',
  'duplicates',
  'goal',
];

export function rebalanceRows(runs: EngineRun[]): string[][] {
  return SCENARIOS.flatMap((scenario) =>
    runs.map((run) => {
      const result = run.scenarios[scenario];
      const label = run.engine.label;
      // Why not: in the lines under the table, where a long reason does not widen a column.
      if (run.skipped) return [NAME[scenario], label, '', 'skipped (below)'];
      if (!result) return [NAME[scenario], label, '', 'not run'];
      const load = Number.isNaN(result.load) ? '' : result.load.toFixed(1);
      const f = result.figures;
      if (typeof f === 'string')
        return [NAME[scenario], label, load, 'not measured (below)'];
      return [
        NAME[scenario],
        label,
        load,
        `${f.moved.size} (${f.ownerChanges})`,
        ms(f.othersPauseMs),
        ms(f.steadyGapMs),
        ms(f.waitMs),
        `${ms(quantile(f.latenciesMs, 0.5))} / ${ms(quantile(f.latenciesMs, 0.99))}`,
        `${f.duplicates}`,
        goal(scenario, run, f),
      ];
    }),
  );
}

/** Lines under the table: each engine's records, and which rows miss a goal. */
export function rebalanceLines(runs: EngineRun[]): string[] {
  const lines = runs.flatMap((run) => {
    if (run.skipped) return [`${run.engine.label}: skipped (${run.skipped})`];
    const r = run.records;
    const failed = [
      ...new Set(
        Object.values(run.scenarios).flatMap(({ figures }) =>
          typeof figures === 'string' ? [figures] : [],
        ),
      ),
    ];
    return [
      ...(r
        ? [
            `${run.engine.label}: ${r.sent} records sent, ${r.handled} handled, ${r.missing} never handled${r.failures ? `, ${r.failures} failed sends` : ''}`,
          ]
        : []),
      ...(run.restartsMs?.length
        ? [
            `${run.engine.label}: rolling restart, each replica from SIGTERM to ready again: ${run.restartsMs.map((t) => `${(t / 1000).toFixed(1)} s`).join(', ')}`,
          ]
        : []),
      ...failed.map((why) => `${run.engine.label}: ${why}`),
      ...(run.settles?.rebalancing
        ? [
            `${run.engine.label}: after ${run.settles.rebalancing} of ${run.settles.all} settles a replica's /consumers still said 'rebalancing' while the broker had the group Stable with the partitions it reported`,
          ]
        : []),
    ];
  });
  const missed = rowsWhose(runs, 'NOT met');
  const unclear = rowsWhose(runs, 'unclear');
  return [
    ...lines,
    `goals: others pause ≤ ${PAUSE_GOAL_MS} ms on join, leave and crash; 0 moved in a rolling restart of static members. NOT met: ${missed.length ? missed.join('; ') : 'none'}. Unclear at this load: ${unclear.length ? unclear.join('; ') : 'none'}`,
  ];
}

/** The rows whose goal verdict says `verdict`. */
function rowsWhose(runs: EngineRun[], verdict: string): string[] {
  return SCENARIOS.flatMap((scenario) =>
    runs.flatMap((run) => {
      const f = run.scenarios[scenario]?.figures;
      if (!f || typeof f === 'string') return [];
      return goal(scenario, run, f).includes(verdict)
        ? [`${NAME[scenario]} on ${run.engine.label}`]
        : [];
    }),
  );
}

function goal(scenario: Scenario, run: EngineRun, f: StepFigures): string {
  if (scenario === 'boot') return '-';
  if (scenario === 'rolling')
    return run.engine.staticMembers
      ? `0 moved: ${f.moved.size === 0 ? 'met' : 'NOT met'}`
      : '-';
  if (f.othersPauseMs === null) return 'no partition stayed';
  if (f.othersPauseMs <= PAUSE_GOAL_MS)
    return `pause ≤ ${PAUSE_GOAL_MS} ms: met`;
  // The host's own stalls: when records of untouched partitions already wait
  // longer than the goal before the event, a longer pause cannot be told apart.
  return f.steadyGapMs > PAUSE_GOAL_MS
    ? `pause ≤ ${PAUSE_GOAL_MS} ms: unclear (steady gap > ${PAUSE_GOAL_MS} ms)`
    : `pause ≤ ${PAUSE_GOAL_MS} ms: NOT met`;
}

function ms(value: number | null): string {
  if (value === null) return '-';
  if (value === Infinity) return 'not taken over';
  return `${Math.round(value)} ms`;
}
