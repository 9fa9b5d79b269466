import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { REPO_ROOT } from './support/repo-root.js';
import { TestAdmin } from './support/test-admin.js';
import { appEnv, TestApp } from './support/test-app.js';
import { uniqueName } from './support/unique.js';

const ST = join(REPO_ROOT, 'tools/schemathesis/.venv/bin/st');
const KEY = 'schemathesis-key';

function schemathesis(): string | undefined {
  if (existsSync(ST)) {
    return ST;
  }
  if (process.env.CI === 'true') {
    throw new Error(
      `${ST} is missing under CI=true: .ci/run must run tools/schemathesis/setup.sh (needs python3-venv)`,
    );
  }
  console.log(
    'skipped: schemathesis not installed; run bash tools/schemathesis/setup.sh (needs the Debian package python3-venv)',
  );
  return undefined;
}

const st = schemathesis();

describe.skipIf(!st)(
  'schemathesis against the OpenAPI document (real broker)',
  () => {
    const brokers = inject('kafkaBrokers');
    const topic = uniqueName('fuzz');
    let app: TestApp;

    beforeAll(async () => {
      app = await TestApp.start({
        env: {
          ...appEnv({
            brokers,
            topic,
            partitions: 3,
            realtime: uniqueName('rt'),
            analytics: uniqueName('an'),
          }),
          PRODUCE_API_KEY: KEY,
        },
      });
    });

    afterAll(async () => {
      await app.close();
      const admin = await new TestAdmin(brokers).connect();
      await admin.deleteTopics([topic]);
      await admin.disconnect();
    });

    it('finds no server error and no schema mismatch', async () => {
      const args = [
        '--config-file',
        join(REPO_ROOT, 'tools/schemathesis/schemathesis.toml'),
        'run',
        `${app.url}/docs-json`,
        '--checks',
        'all',
        // Every phase, the stateful one (sequences of calls) included.
        '--phases',
        'examples,coverage,fuzzing,stateful',
        '--max-examples',
        '300',
        '--seed',
        '20261125',
        '--request-timeout',
        '10',
        '--no-color',
        // No example database: every run is the same seeded run, not a replay of old ones.
        '--generation-database=none',
        '-H',
        `X-API-Key: ${KEY}`,
        // Server-Sent Event streams never end: nothing to fuzz there.
        '--exclude-path',
        '/realtime/stream',
        '--exclude-path',
        '/dashboard/events',
      ];
      const run = await promisify(execFile)(st ?? 'st', args, {
        timeout: 270_000,
        maxBuffer: 16 * 1024 * 1024,
      }).catch(
        (error: { stdout?: string; stderr?: string; code?: number }) => ({
          stdout: error.stdout ?? '',
          stderr: `${error.stderr ?? ''} (exit ${error.code})`,
        }),
      );
      const summary = run.stdout
        .split('\n')
        .filter((line) => /generated|passed|failure|❌/.test(line));
      console.log(`schemathesis: ${summary.join(' | ')}`);
      if (/❌/.test(run.stdout)) {
        console.log(run.stdout.slice(-6_000)); // the failures, with their curl reproducers
      }
      expect(run.stderr).not.toMatch(/exit [1-9]/);
      expect(run.stdout).toMatch(/(\d+) generated, \1 passed/);
      expect(run.stdout).not.toMatch(/❌/);
      // Every route's cases, stateful sequences included: over 2 minutes on
      // two cores since the pause and dead-letter routes came.
    }, 300_000);
  },
);
