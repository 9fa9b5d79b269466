import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalBroker, privateBrokerPort } from '../support/kafka-broker.js';
import {
  TaggedLoad,
  expectNoLoss,
  settleAndCheck,
  formatReport,
} from '../support/loss-checker.js';
import { Scenario } from '../support/replica-cluster.js';
import { REPO_ROOT, buildAppIfStale } from '../support/replica-process.js';
import { TestAdmin } from '../support/test-admin.js';
import { waitFor } from '../support/wait-for.js';

// A private single broker (the default mode) 650 above the shared test broker (the 3-node cluster uses 500-502, its controllers 600-602).
const PORT = privateBrokerPort(
  (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  650,
);
const broker = new LocalBroker(PORT);

describe('the default single broker SIGKILLed and restarted under ~20 produce requests/s', () => {
  let admin: TestAdmin;
  let scenario: Scenario;

  beforeAll(async () => {
    await Promise.all([broker.start(), buildAppIfStale()]);
    admin = await new TestAdmin([broker.address]).connect();
  });

  afterAll(async () => {
    await scenario?.dispose();
    await admin?.disconnect();
    await broker.stop();
  });

  it('loses nothing acknowledged, each group handles every record, readiness comes back by itself', async () => {
    scenario = new Scenario(admin, 3);
    scenario.printOnFailure();
    await scenario.createTopic();
    const [replica] = await scenario.start('single');
    const load = new TaggedLoad(() => replica, 'single-kill', 20);
    await waitFor(() => load.acknowledged >= 60, { what: '3 s of load' });

    const pid = Number(
      readFileSync(
        join(REPO_ROOT, '.kafka', String(PORT), 'broker.pid'),
        'utf8',
      ),
    );
    process.kill(pid, 'SIGKILL');
    await waitFor(
      async () => (await replica.get('/health/ready')).status === 503,
      { timeoutMs: 30_000, what: 'readiness 503 while the broker is down' },
    );
    const restartedAt = Date.now();
    await broker.start();
    const brokerUpMs = Date.now() - restartedAt;
    await waitFor(
      async () => (await replica.get('/health/ready')).status === 200,
      { timeoutMs: 90_000, what: 'readiness 200 again' },
    );
    const readyMs = Date.now() - restartedAt;
    const ackedAtReady = load.acknowledged;
    await waitFor(() => load.acknowledged >= ackedAtReady + 60, {
      timeoutMs: 60_000,
    });
    const attempts = await load.stop();
    const { report, stalls } = await settleAndCheck(
      admin,
      scenario,
      attempts,
      90_000,
    );
    console.log(
      `single broker kill:\n${formatReport(report)}\n` +
        `  produce error window ${load.errorWindowMs()} ms, consume stall realtime ${stalls[0]} ms / analytics ${stalls[1]} ms, ` +
        `broker up ${brokerUpMs} ms after restart began, readiness 200 after ${readyMs} ms (${readyMs - brokerUpMs} ms after the broker answered)`,
    );

    expect(replica.alive).toBe(true);
    expectNoLoss(report, Object.values(scenario.groupIds));
  });
});
