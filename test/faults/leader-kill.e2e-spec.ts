import type { Admin } from 'kafkajs';
import {
  createTopicOnEveryNode,
  faultsCluster,
  signalNode,
} from '../support/cluster-faults.js';
import { brokerAnswers } from '../support/kafka-broker.js';
import {
  TaggedLoad,
  expectNoLoss,
  settleAndCheck,
  formatReport,
} from '../support/loss-checker.js';
import { Scenario } from '../support/replica-cluster.js';
import { buildAppIfStale } from '../support/replica-process.js';
import { TestAdmin } from '../support/test-admin.js';
import { waitFor } from '../support/wait-for.js';

const { ports: PORTS, brokers, cluster } = faultsCluster();
const TIMEOUT_MS = 3_000;

const sigkillNode = (port: number) => signalNode(port, 'SIGKILL');

describe('a 3-node cluster, RF 3, min.insync.replicas=2, under ~20 produce requests/s', () => {
  let admin: TestAdmin;
  let raw: Admin;
  let scenario: Scenario;

  beforeAll(async () => {
    await Promise.all([cluster.start(), buildAppIfStale()]);
    admin = await new TestAdmin(brokers).connect();
    raw = admin.kafka.admin();
    await raw.connect();
  });

  afterAll(async () => {
    await scenario?.dispose();
    await raw?.disconnect();
    await admin?.disconnect();
    await cluster.stop();
  });

  it('SIGKILL of the leader of partition 0: nothing acknowledged lost or duplicated, both groups handle every record, the node rejoins', async () => {
    scenario = new Scenario(admin, 3, { KAFKA_TOPIC_REPLICATION_FACTOR: '3' });
    scenario.printOnFailure();
    await createTopicOnEveryNode(raw, scenario.topic);
    const [replica] = await scenario.start('r1');
    const load = new TaggedLoad(() => replica, 'leader-kill', 20);
    await waitFor(() => load.acknowledged >= 60, { what: '3 s of load' });

    const meta = await admin.kafka
      .admin()
      .fetchTopicMetadata({ topics: [scenario.topic] });
    const leaderId =
      meta.topics[0]?.partitions.find((p) => p.partitionId === 0)?.leader ?? 1;
    const killedPort = PORTS[leaderId - 1];
    const killedAt = Date.now();
    sigkillNode(killedPort);
    const ackedAtKill = load.acknowledged;
    // The cluster's own part of the outage: until partition 0 has a new leader.
    const elected = waitFor(
      async () => {
        const m = await raw.fetchTopicMetadata({ topics: [scenario.topic] });
        const leader = m.topics[0]?.partitions.find(
          (p) => p.partitionId === 0,
        )?.leader;
        return leader !== undefined && leader >= 0 && leader !== leaderId
          ? Date.now() - killedAt
          : undefined;
      },
      { timeoutMs: 60_000, what: 'a new leader of partition 0' },
    );
    await waitFor(() => load.acknowledged >= ackedAtKill + 100, {
      timeoutMs: 60_000,
      what: '100 more acknowledged requests after the kill',
    });
    const electedMs = await elected;
    const restartedAt = Date.now();
    await cluster.start(); // starts only the node that is not running
    const startMs = Date.now() - restartedAt;
    await waitFor(() => load.acknowledged >= ackedAtKill + 160, {
      timeoutMs: 60_000,
    });
    const attempts = await load.stop();

    // The restarted node is back in every partition's in-sync replicas.
    await waitFor(
      async () => {
        const m = await admin.kafka
          .admin()
          .fetchTopicMetadata({ topics: [scenario.topic] });
        return m.topics[0]?.partitions.every((p) => p.isr.includes(leaderId));
      },
      { timeoutMs: 60_000, what: `node ${leaderId} back in every ISR` },
    );
    const { report, stalls } = await settleAndCheck(
      admin,
      scenario,
      attempts,
      60_000,
    );
    console.log(
      `leader kill (node ${leaderId}, port ${killedPort}) at +${killedAt - attempts[0].startedAt} ms:\n${formatReport(report)}\n` +
        `  new leader of partition 0 elected ${electedMs} ms after the kill (the cluster's broker session timeout)\n` +
        `  produce error window ${load.errorWindowMs()} ms (${load.failures().length} non-2xx: ${[...new Set(load.failures().map((f) => f.status))].join(',')}), ` +
        `consume stall realtime ${stalls[0]} ms / analytics ${stalls[1]} ms, killed node restarted in ${startMs} ms`,
    );

    expectNoLoss(report, Object.values(scenario.groupIds));
    expect(await brokerAnswers([`127.0.0.1:${killedPort}`])).toBe(true);
  });

  it('two of three nodes SIGKILLed: POST /produce answers 503 (outcome unknown) within the timeout; both restarted: flows again without a service restart, checker clean', async () => {
    await scenario?.dispose();
    scenario = new Scenario(admin, 3, {
      KAFKA_TOPIC_REPLICATION_FACTOR: '3',
      PRODUCE_TIMEOUT_MS: String(TIMEOUT_MS),
    });
    scenario.printOnFailure();
    await createTopicOnEveryNode(raw, scenario.topic);
    const [replica] = await scenario.start('r2');
    const load = new TaggedLoad(() => replica, 'below-isr', 20);
    await waitFor(() => load.acknowledged >= 60, { what: '3 s of load' });

    const downAt = Date.now();
    sigkillNode(PORTS[1]);
    sigkillNode(PORTS[2]);
    const failed = await waitFor(
      () => load.failures().find((f) => f.startedAt > downAt + 1_000),
      { timeoutMs: 30_000, what: 'a failed produce after both kills' },
    );
    // Readiness through the outage, sampled on every poll: it must turn 503
    // and stay there (no flapping), naming the partitions without a leader.
    const readiness: { status: number; body: unknown }[] = [];
    await waitFor(
      async () => {
        readiness.push(await replica.get('/health/ready'));
        return load.failures().length >= 40 && readiness.length >= 10;
      },
      { timeoutMs: 30_000, what: '40 failed produce requests' },
    );
    const firstDown = readiness.findIndex((r) => r.status === 503);
    const ready = readiness[readiness.length - 1];
    const answersDuringOutage = load.attempts.filter(
      (a) => a.startedAt > downAt + 1_000,
    );

    const restartedAt = Date.now();
    await cluster.start(); // starts the two nodes that are not running
    const ackedAtRestart = load.acknowledged;
    const firstAckAfter = await waitFor(
      () =>
        load.attempts.find(
          (a) => a.status === 201 && a.startedAt > restartedAt,
        ),
      { timeoutMs: 90_000, what: 'a 201 after the restart' },
    );
    await waitFor(() => load.acknowledged >= ackedAtRestart + 100, {
      timeoutMs: 60_000,
    });
    const attempts = await load.stop();
    const { report } = await settleAndCheck(admin, scenario, attempts, 90_000);
    console.log(
      `below min ISR (2 of 3 nodes down ${restartedAt - downAt} ms):\n${formatReport(report)}\n` +
        `  503 after ${failed.answeredAt - failed.startedAt} ms: ${JSON.stringify(failed.body)}\n` +
        `  readiness during the outage: ${readiness.map((r) => r.status).join(' ')}; last ${JSON.stringify(ready.body)}\n` +
        `  produce error window ${load.errorWindowMs()} ms, first 201 ${firstAckAfter.answeredAt - restartedAt} ms after the restart began`,
    );

    expect(failed.status).toBe(503);
    expect(JSON.stringify(failed.body)).toMatch(/may have been written/);
    // Answered within the produce timeout (plus the HTTP round trip on a busy machine).
    for (const a of answersDuringOutage) {
      expect(a.status).not.toBe(0);
      expect(a.status).not.toBe(500);
      expect(a.answeredAt - a.startedAt).toBeLessThan(TIMEOUT_MS + 2_000);
    }
    expect(firstDown).toBeGreaterThanOrEqual(0);
    expect(readiness.slice(firstDown).map((r) => r.status)).not.toContain(200);
    expect(JSON.stringify(ready.body)).toMatch(
      /"kafka-topic":\{[^}]*"status":"down"/,
    );
    expect(replica.alive).toBe(true);
    expectNoLoss(report, Object.values(scenario.groupIds));
  });
});
