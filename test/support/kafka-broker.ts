import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';

const run = promisify(execFile);
import { REPO_ROOT } from './repo-root.js';
import { applyNonNegativeThrottleCheck } from '../../src/kafka/kafkajs/kafkajs-timeout.fix.js';

// The test's own kafkajs clients get the same Node 24 fix as the service's.
applyNonNegativeThrottleCheck();

// From the repo root, not this file: the demo and bench run it compiled under dist/.
const SCRIPT = join(REPO_ROOT, 'tools/kafka/kafka.sh');

/** True when a broker at `brokers` answers a metadata request within `timeoutMs`. */
export async function brokerAnswers(
  brokers: string[],
  timeoutMs = 3_000,
): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'test-probe',
    brokers,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Offsets in use (each broker also takes its port+1, a 3-node cluster its
 * port..port+2 and controllers at port+100..102): producer 300, health 400,
 * faults cluster 500, security 700.
 *
 * A port for a private broker a spec starts and stops itself, `offset` above the
 * shared test broker's port, so suites run against different shared brokers
 * (KAFKA_BROKERS) never fight over the private ones either.
 */
export function privateBrokerPort(brokers: string[], offset: number): number {
  return Number(brokers[0]?.split(':')[1] ?? 9092) + offset;
}

/** A local KRaft broker run by tools/kafka/kafka.sh on its own port and state dir. */
export class LocalBroker {
  /** `env`: more kafka.sh settings, e.g. KAFKA_LOCAL_SECURITY. */
  constructor(
    readonly port: number,
    private readonly env: Record<string, string> = {},
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** True when this call started the broker; false when it was already running. */
  async start(): Promise<boolean> {
    const output = await this.script('start');
    return !output.includes('already running');
  }

  async stop(): Promise<void> {
    await this.script('stop');
  }

  private async script(command: 'start' | 'stop'): Promise<string> {
    const { stdout } = await run('bash', [SCRIPT, command], {
      env: { ...process.env, ...this.env, KAFKA_LOCAL_PORT: String(this.port) },
      timeout: 300_000,
    });
    process.stdout.write(stdout);
    return stdout;
  }
}

/**
 * Starts the local broker on the first address' port unless `brokers` already
 * answers. Returns the broker when this call started it (the caller stops it),
 * undefined when one was running, so nobody stops a broker that is not theirs.
 */
export async function ensureLocalBroker(
  brokers: string[],
): Promise<LocalBroker | undefined> {
  if (await brokerAnswers(brokers)) {
    return undefined;
  }
  const broker = new LocalBroker(Number(brokers[0]?.split(':')[1] ?? 9092));
  return (await broker.start()) ? broker : undefined;
}
