import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './replica-process.js';
import { waitFor } from './wait-for.js';

/** One series of an instant PromQL query. */
export interface PromSeries {
  metric: Record<string, string>;
  value: number;
}

/**
 * A real Prometheus server (the Debian binary) scraping `targets` every
 * second into a throwaway data dir, queried over its HTTP API.
 */
export class PrometheusServer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly url: string,
    private readonly output: string[],
  ) {}

  static async start(
    binary: string,
    targets: string[],
  ): Promise<PrometheusServer> {
    const dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
    const port = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 900ms',
        'scrape_configs:',
        '  - job_name: nest-kafka-groups',
        '    static_configs:',
        `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
        '',
      ].join('\n'),
    );
    const child = spawn(
      binary,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output: string[] = [];
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const server = new PrometheusServer(
      child,
      dir,
      `http://127.0.0.1:${port}`,
      output,
    );
    await waitFor(
      async () => {
        if (child.exitCode !== null) {
          throw new Error(`prometheus exited: ${output.join('')}`);
        }
        return (await fetch(`${server.url}/-/ready`)).ok;
      },
      { what: 'prometheus ready', timeoutMs: 30_000 },
    );
    return server;
  }

  /** Runs an instant query; rejects on a PromQL or HTTP error. */
  async query(promql: string): Promise<PromSeries[]> {
    const response = await fetch(
      `${this.url}/api/v1/query?query=${encodeURIComponent(promql)}`,
    );
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: {
        result: { metric: Record<string, string>; value: [number, string] }[];
      };
    };
    if (body.status !== 'success' || !body.data) {
      throw new Error(
        `query ${promql} failed: ${body.error ?? response.status}`,
      );
    }
    return body.data.result.map(({ metric, value }) => ({
      metric,
      value: Number(value[1]),
    }));
  }

  /** Each target's scrape health as Prometheus sees it ('up', 'down', 'unknown'). */
  async targetHealth(): Promise<string[]> {
    const response = await fetch(`${this.url}/api/v1/targets`);
    const body = (await response.json()) as {
      data: { activeTargets: { health: string }[] };
    };
    return body.data.activeTargets.map((t) => t.health);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
