/**
 * Bench phase: POST /produce (a producer-only service process) against a
 * minimal node:http + kafkajs server doing the same send, each under the same
 * concurrent load from autocannon, alternating rounds so both see the same
 * machine; the median round of each is reported.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { ReplicaProcess } from '../../test/support/replica-process.js';

export interface ProduceLoad {
  connections: number;
  seconds: number;
  rounds: number;
}

export interface ProduceRound {
  requestsPerSec: number;
  p99Ms: number;
  failed: number;
}

export interface ProduceComparison {
  service: ProduceRound;
  minimal: ProduceRound;
}

const RECORDS_PER_REQUEST = 18; // POST /produce {}: 3 per partition × 6

export async function compareProduce(
  env: Record<string, string>,
  dir: string,
  load: ProduceLoad,
  progress: (line: string) => void,
): Promise<ProduceComparison> {
  const service = await ReplicaProcess.start({
    name: 'producer-only',
    dir,
    env: { ...env, APP_ROLES: 'producer' },
  });
  const minimal = await startMinimal(env);
  try {
    const rounds: Record<keyof ProduceComparison, ProduceRound[]> = {
      service: [],
      minimal: [],
    };
    const urls = { service: `${service.url}/produce`, minimal: minimal.url };
    // A short warm-up of each (JIT, connections), not counted.
    for (const url of Object.values(urls)) await hammer(url, load, 1);
    for (let round = 1; round <= load.rounds; round++) {
      for (const which of ['service', 'minimal'] as const) {
        const result = await hammer(urls[which], load, load.seconds);
        rounds[which].push(result);
        progress(
          `  round ${round}/${load.rounds} ${which}: ${Math.round(result.requestsPerSec)} req/s, p99 ${result.p99Ms} ms${result.failed ? `, ${result.failed} failed` : ''}`,
        );
      }
    }
    return { service: median(rounds.service), minimal: median(rounds.minimal) };
  } finally {
    await service.stop('SIGTERM');
    minimal.child.kill('SIGTERM');
    await once(minimal.child, 'exit');
  }
}

export function produceRows(result: ProduceComparison): string[][] {
  const row = (name: string, r: ProduceRound) => [
    name,
    `${Math.round(r.requestsPerSec)} req/s`,
    `${Math.round(r.requestsPerSec * RECORDS_PER_REQUEST)} records/s`,
    `${r.p99Ms} ms`,
    `${r.failed}`,
  ];
  return [
    row('service POST /produce {}', result.service),
    row('minimal node:http + kafkajs', result.minimal),
    [
      'ratio service / minimal',
      `${(result.service.requestsPerSec / result.minimal.requestsPerSec).toFixed(2)}x`,
      '',
      `${(result.service.p99Ms / result.minimal.p99Ms).toFixed(2)}x`,
      '',
    ],
  ];
}

async function hammer(
  url: string,
  load: ProduceLoad,
  seconds: number,
): Promise<ProduceRound> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
    connections: load.connections,
    duration: seconds,
  });
  return {
    requestsPerSec: result.requests.average,
    p99Ms: result.latency.p99,
    failed: result.non2xx + result.errors + result.timeouts,
  };
}

async function startMinimal(env: Record<string, string>) {
  const script = join(
    fileURLToPath(new URL('.', import.meta.url)),
    'minimal-produce-server.js',
  );
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  const port = Number(chunk.toString().trim());
  if (!(port > 0)) throw new Error(`minimal server did not start: ${chunk}`);
  return { child, url: `http://127.0.0.1:${port}/` };
}

function median(rounds: ProduceRound[]): ProduceRound {
  const sorted = [...rounds].sort(
    (a, b) => a.requestsPerSec - b.requestsPerSec,
  );
  return sorted[Math.floor(sorted.length / 2)] as ProduceRound;
}
