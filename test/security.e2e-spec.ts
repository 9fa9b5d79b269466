import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { ConsumersView } from '../src/consumers/consumers.controller.js';
import { deadLetterTopicName } from '../src/kafka/kafka.constants.js';
import { privateBrokerPort } from './support/kafka-broker.js';
import { buildAppIfStale, REPO_ROOT } from './support/replica-process.js';
import { SecureBroker } from './support/secure-broker.js';
import { TestAdmin } from './support/test-admin.js';
import { TestApp } from './support/test-app.js';
import { uniqueName } from './support/unique.js';
import { waitFor } from './support/wait-for.js';
import { engineEnv } from './support/engine.js';

const P = 2;

interface Exit {
  code: number | null;
  output: string;
  elapsedMs: number;
}

/** Runs `node dist/main.js` with exactly `env` until it exits (bounded), all output kept. */
function runToExit(
  env: Record<string, string>,
  timeoutMs = 40_000,
): Promise<Exit> {
  const started = Date.now();
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      LOG_FORMAT: 'json',
      ...engineEnv(),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, elapsedMs: Date.now() - started });
    }),
  );
}

function fatalLines(output: string): string[] {
  return output.split('\n').filter((line) => line.includes('"level":"fatal"'));
}

describe('a secured cluster: SASL_SSL, SCRAM-SHA-512 and least-privilege ACLs (local secure broker)', () => {
  const secure = new SecureBroker(
    privateBrokerPort(inject('kafkaBrokers'), 700),
  );
  const dir = mkdtempSync(join(tmpdir(), 'secure-'));
  let admin: TestAdmin;

  const names = () => ({
    topic: uniqueName('secure'),
    groups: [uniqueName('rt'), uniqueName('an')],
  });
  const appEnv = ({ topic, groups }: ReturnType<typeof names>) => ({
    ...secure.serviceEnv,
    KAFKA_TOPIC: topic,
    KAFKA_TOPIC_PARTITIONS: String(P),
    REALTIME_GROUP_ID: groups[0],
    ANALYTICS_GROUP_ID: groups[1],
  });

  beforeAll(async () => {
    const started = Date.now();
    await secure.start();
    console.log(
      `secure broker (CA, certificates, SCRAM users, ACLs) ready in ${Date.now() - started} ms`,
    );
    admin = await new TestAdmin(
      [secure.address],
      secure.adminOptions(),
    ).connect();
    await buildAppIfStale();
  });

  afterAll(async () => {
    await admin?.disconnect();
    await secure.stop();
  });

  it('produces, consumes in both groups and dead-letters with only the documented ACLs; health is green', async () => {
    const run = names();
    await secure.acls(run);
    const app = await TestApp.start({ env: appEnv(run) });
    try {
      expect(
        (await app.post('/produce', { messagesPerPartition: 2 })).status,
      ).toBe(201);
      const producer = admin.producer();
      await producer.connect();
      await producer.send({
        topic: run.topic,
        messages: [{ partition: 0, value: 'not json' }],
      });
      await producer.disconnect();
      for (const group of run.groups) {
        await waitFor(() => admin.caughtUp(group, run.topic), {
          what: `${group} committed everything over SASL_SSL`,
        });
        const dead = await admin.readRecords(
          deadLetterTopicName(run.topic, group),
          1,
        );
        expect(dead[0].value).toBe('not json');
      }
      const health = await app.get<{ status: string }>('/health');
      expect(health.status).toBe(200);
      expect(health.body.status).toBe('ok');
      const view = (await app.get<ConsumersView>('/consumers')).body;
      expect(view.groups.map((g) => [g.processed, g.deadLettered])).toEqual([
        [2 * P, 1],
        [2 * P, 1],
      ]);
      for (const path of ['/health', '/consumers', '/docs-json', '/metrics']) {
        expect((await app.get(path)).text).not.toContain(
          secure.servicePassword,
        );
      }
    } finally {
      await app.close();
    }
  });

  it('refuses a wrong password with one clear line and exit 1, printing neither password', async () => {
    const wrong = 'wrong-Pa55word-that-must-not-leak';
    const file = join(dir, 'wrong.password');
    writeFileSync(file, `${wrong}\n`);
    const exit = await runToExit({
      ...appEnv(names()),
      KAFKA_SASL_PASSWORD_FILE: file,
      LOG_LEVEL: 'verbose',
    });
    console.log(`wrong password: exit ${exit.code} after ${exit.elapsedMs} ms`);
    expect(exit.code).toBe(1);
    expect(exit.elapsedMs).toBeLessThan(20_000);
    expect(fatalLines(exit.output)).toHaveLength(1);
    expect(fatalLines(exit.output)[0]).toMatch(
      /refused the credentials: SASL SCRAM-SHA-512 as user \\"svc\\" failed/,
    );
    expect(exit.output).not.toContain(wrong);
    expect(exit.output).not.toContain(secure.servicePassword);
  });

  it('without Create on a topic that does not exist: exits 1 with one line naming the grant, not an unreachable broker', async () => {
    const run = names();
    await secure.acls(run, { without: ['CREATE:TOPIC'] });
    const exit = await runToExit(appEnv(run));
    console.log(`no Create ACL: exit ${exit.code} after ${exit.elapsedMs} ms`);
    expect(exit.code).toBe(1);
    expect(exit.elapsedMs).toBeLessThan(20_000);
    expect(fatalLines(exit.output)).toHaveLength(1);
    expect(fatalLines(exit.output)[0]).toMatch(
      new RegExp(
        `not authorized to use topic ${run.topic} .*as user \\\\"svc\\\\".*--operation Create --topic ${run.topic}`,
      ),
    );
    expect(exit.output).not.toMatch(/unreachable|Is the broker running/);
  });

  it('never gets ready as a plaintext client of the TLS listener, nor with another CA: a clear line each', async () => {
    const fast = {
      KAFKA_CONNECTION_TIMEOUT_MS: '1000',
      KAFKA_REQUEST_TIMEOUT_MS: '1500',
    };
    const plaintext = await runToExit({
      ...appEnv(names()),
      ...fast,
      KAFKA_SSL: 'false',
      KAFKA_SSL_CA_FILE: '',
    });
    expect(plaintext.code).toBe(1);
    expect(plaintext.output).not.toContain('listening on');
    expect(fatalLines(plaintext.output)[0]).toMatch(
      /If its listener uses TLS, set KAFKA_SSL=true/,
    );

    const otherCa = join(dir, 'other-ca.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=another CA',
        '-keyout',
        join(dir, 'other-ca.key'),
        '-out',
        otherCa,
      ],
      { stdio: 'ignore' },
    );
    const untrusted = await runToExit({
      ...appEnv(names()),
      ...fast,
      KAFKA_SSL_CA_FILE: otherCa,
    });
    expect(untrusted.code).toBe(1);
    expect(untrusted.output).not.toContain('listening on');
    expect(fatalLines(untrusted.output)[0]).toMatch(
      /TLS to Kafka at .* failed: the broker's certificate is not trusted/,
    );
    console.log(
      `plaintext client: exit after ${plaintext.elapsedMs} ms; other CA: exit after ${untrusted.elapsedMs} ms`,
    );
  });

  it('without Read on its groups: readiness 503 naming what to grant, liveness up, then consumes once granted, no restart', async () => {
    const run = names();
    await secure.acls(run, { without: ['READ:GROUP'] });
    const app = await TestApp.start({ env: appEnv(run) });
    try {
      const refused = await waitFor(
        async () => {
          const ready = await app.get<{
            error: Record<string, { message?: string }>;
          }>('/health/ready');
          const message = ready.body.error?.analytics?.message ?? '';
          return ready.status === 503 && message.includes('not authorized')
            ? message
            : undefined;
        },
        { what: 'readiness 503 naming the group ACL' },
      );
      expect(refused).toMatch(
        new RegExp(
          `not authorized to Read group ${run.groups[1]}: grant it with kafka-acls.sh .*--operation Read --group ${run.groups[1]}`,
        ),
      );
      expect((await app.get('/health/live')).status).toBe(200);

      await secure.acls(run);
      const granted = Date.now();
      await waitFor(
        async () => (await app.get('/health/ready')).status === 200,
        {
          what: 'ready once the ACL is granted',
          timeoutMs: 70_000,
        },
      );
      console.log(
        `ready ${Date.now() - granted} ms after the group ACL was granted`,
      );
      expect(
        (await app.post('/produce', { messagesPerPartition: 1 })).status,
      ).toBe(201);
      for (const group of run.groups) {
        await waitFor(() => admin.caughtUp(group, run.topic), {
          what: `${group} consumes`,
        });
      }
    } finally {
      await app.close();
    }
  });

  it('without Write on the topic: POST /produce answers 503 naming it, and nothing is written', async () => {
    const run = names();
    await secure.acls(run);
    const app = await TestApp.start({ env: appEnv(run) });
    try {
      await secure.acls(run, { without: ['WRITE:TOPIC'], remove: true });
      const before = await admin.endOffsets(run.topic);
      const answer = await waitFor(
        async () => {
          const post = await app.post<{ message: string }>('/produce', {});
          return post.status === 503 ? post : undefined;
        },
        { what: 'produce refused' },
      );
      expect(answer.body.message).toMatch(
        new RegExp(
          `not authorized to Write to topic ${run.topic}: grant it with kafka-acls.sh .*--operation Write --topic ${run.topic}. Nothing was written.`,
        ),
      );
      expect(await admin.endOffsets(run.topic)).toEqual(before);
    } finally {
      await app.close();
    }
  });
});
