import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { engineEnv } from './engine.js';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './repo-root.js';

/** Re-exported for the demo and bench scripts. */
export { REPO_ROOT };
const MAIN = join(REPO_ROOT, 'dist', 'main.js');
const OUTPUT_LIMIT = 512 * 1024;

/** One line of CONSUMER_JOURNAL_FILE: a record a group handled on one replica. */
export interface JournalEntry {
  group: string;
  id: string;
  partition: number;
  offset: string;
  pid: number;
  at: number;
}

/** The lines of a CONSUMER_JOURNAL_FILE (none if the file does not exist yet). */
export function readJournal(file: string): JournalEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as JournalEntry);
}

/** The parts of GET /consumers the scale tests read. */
export interface GroupView {
  name: string;
  groupId: string;
  client: string;
  groupProtocol: string;
  status: 'starting' | 'joined' | 'rebalancing' | 'stopped' | 'crashed';
  memberId: string | null;
  /** Static membership: `<KAFKA_GROUP_INSTANCE_ID>-<role>`, null when dynamic. */
  instanceId: string | null;
  assignedPartitions: number[];
  processed: number;
  lastCommitted: Record<string, string>;
}
export interface ConsumersView {
  replica: { pid: number; roles: string[] };
  groups: GroupView[];
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From the stop() call (or from start, when it died by itself) to the process' exit. */
  elapsedMs: number;
}

export interface ReplicaOptions {
  /** Label in logs and tables, also the journal file's name. */
  name: string;
  /** Service settings (KAFKA_TOPIC, APP_ROLES, ...); PORT and CONSUMER_JOURNAL_FILE are set here. */
  env: Record<string, string>;
  /** Folder for the journal and the working directory (so no stray .env is read). */
  dir?: string;
  readyTimeoutMs?: number;
  /** false: no CONSUMER_JOURNAL_FILE (benchmarks: the journal costs a sync write per record). */
  journal?: boolean;
  /** The node binary to run it with (the bench's Node 24 phase); default: this process' own. */
  node?: string;
}

/** Builds dist/ with tsc when dist/main.js is missing or older than any file under src/. */
export async function buildAppIfStale(): Promise<void> {
  const built = existsSync(MAIN) ? statSync(MAIN).mtimeMs : 0;
  const sources = await readdir(join(REPO_ROOT, 'src'), {
    recursive: true,
    withFileTypes: true,
  });
  const stale = sources.some(
    (f) => f.isFile() && statSync(join(f.parentPath, f.name)).mtimeMs > built,
  );
  if (stale) {
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await promisify(execFile)(
      process.execPath,
      [tsc, '-p', 'tsconfig.build.json'],
      { cwd: REPO_ROOT },
    ).catch((error: { stdout?: string }) => {
      throw new Error(`tsc -p tsconfig.build.json failed:\n${error.stdout}`);
    });
  }
}

/** A free TCP port on loopback (the OS picks it; closed again before the replica binds it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A real `node dist/main.js` process on its own port, for scale-out and failover tests. */
export class ReplicaProcess {
  private static readonly running = new Set<ReplicaProcess>();
  private static exitHook = false;
  private output = '';
  private exit: ExitInfo | undefined;
  private readonly exited: Promise<ExitInfo>;
  private stopRequestedAt: number | undefined;
  private readonly startedAt = Date.now();

  private constructor(
    readonly name: string,
    readonly port: number,
    readonly journalFile: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-OUTPUT_LIMIT);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        ReplicaProcess.running.delete(this);
        this.exit = {
          code,
          signal,
          elapsedMs: Date.now() - (this.stopRequestedAt ?? this.startedAt),
        };
        resolve(this.exit);
      });
    });
  }

  /** Spawns the replica; `ready()` waits for it to join its groups. */
  static async spawn(options: ReplicaOptions): Promise<ReplicaProcess> {
    const dir = options.dir ?? join(tmpdir(), 'replicas');
    mkdirSync(dir, { recursive: true });
    const port = await freePort();
    const journalFile = join(dir, `${options.name}.jsonl`);
    rmSync(journalFile, { force: true }); // a fresh journal per process
    const child = spawn(options.node ?? process.execPath, [MAIN], {
      cwd: dir,
      // Only what the service needs: the test runner's own env must not leak in.
      env: {
        PATH: process.env.PATH ?? '',
        LOG_FORMAT: 'text',
        ...engineEnv(),
        ...options.env,
        PORT: String(port),
        CONSUMER_JOURNAL_FILE: options.journal === false ? '' : journalFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const replica = new ReplicaProcess(options.name, port, journalFile, child);
    if (!ReplicaProcess.exitHook) {
      ReplicaProcess.exitHook = true;
      // Last resort if the runner exits without afterAll: no orphaned replicas.
      process.once('exit', () => {
        for (const r of ReplicaProcess.running) r.child.kill('SIGKILL');
      });
    }
    ReplicaProcess.running.add(replica);
    return replica;
  }

  /** Spawns and waits until GET /health/ready answers 200. */
  static async start(options: ReplicaOptions): Promise<ReplicaProcess> {
    const replica = await ReplicaProcess.spawn(options);
    await replica.ready(options.readyTimeoutMs);
    return replica;
  }

  /** Stops every replica still running (SIGKILL): for afterAll. */
  static async killAll(): Promise<void> {
    await Promise.all(
      [...ReplicaProcess.running].map((r) => r.stop('SIGKILL')),
    );
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** Everything the process printed (the last 512 KiB): print it when a test fails. */
  logs(): string {
    return this.output;
  }

  async ready(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exit) {
        throw new Error(
          `${this.name} exited (${JSON.stringify(this.exit)}) before it was ready:\n${this.tail()}`,
        );
      }
      const status = await this.get('/health/ready').then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return;
      if (Date.now() > deadline) {
        throw new Error(
          `${this.name} not ready after ${timeoutMs} ms (last status ${status}):\n${this.tail()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async get<T = unknown>(path: string): Promise<{ status: number; body: T }> {
    return this.request<T>('GET', path);
  }

  async post<T = unknown>(
    path: string,
    body: unknown,
  ): Promise<{ status: number; body: T }> {
    return this.request<T>('POST', path, body);
  }

  async consumers(): Promise<ConsumersView> {
    const { status, body } = await this.get<ConsumersView>('/consumers');
    if (status !== 200)
      throw new Error(`${this.name} GET /consumers answered ${status}`);
    return body;
  }

  /** Resolves when the process exits by itself; rejects after `timeoutMs`. */
  async exitsWithin(timeoutMs: number): Promise<ExitInfo> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `${this.name} still running after ${timeoutMs} ms:\n${this.tail()}`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `signal` and resolves when the process has exited (at once if it already has). */
  async stop(
    signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM',
    timeoutMs = 30_000,
  ): Promise<ExitInfo> {
    if (this.exit) return this.exit;
    this.stopRequestedAt = Date.now();
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(
          new Error(
            `${this.name} still running ${timeoutMs} ms after ${signal}; killed:\n${this.tail()}`,
          ),
        );
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The records this replica's groups handled, in the order it journaled them. */
  journal(): JournalEntry[] {
    return readJournal(this.journalFile);
  }

  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers:
        body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: (text ? JSON.parse(text) : undefined) as T,
    };
  }

  private tail(lines = 40): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }
}
