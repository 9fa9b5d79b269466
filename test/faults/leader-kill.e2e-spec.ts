import type { Admin } from 'kafkajs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  LocalBroker,
  brokerAnswers,
  privateBrokerPort,
} from '../support/kafka-broker.js';
import {
  TaggedLoad,
  checkHistory,
  formatReport,
  longestStallMs,
} from '../support/loss-checker.js';
import { Scenario } from '../support/replica-cluster.js';
import { REPO_ROOT, buildAppIfStale } from '../support/replica-process.js';
import { TestAdmin } from '../support/test-admin.js';
import { waitFor } from '../support/wait-for.js';

// A private 3-node cluster (KAFKA_LOCAL_NODES=3) 500 above the shared test broker.
const BASE = privateBrokerPort(
  (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  500,
);
const PORTS = [BASE, BASE + 1, BASE + 2];
const cluster = new LocalBroker(BASE, { KAFKA_LOCAL_NODES: '3' });
const brokers = PORTS.map((p) => `127.0.0.1:${p}`);

function sigkillNode(port: number): void {
  const pid = Number(
    readFileSync(join(REPO_ROOT, '.kafka', String(port), 'broker.pid'), 'utf8'),
  );
  process.kill(pid, 'SIGKILL');
}

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
    await raw.createTopics({
      topics: [
        { topic: scenario.topic, numPartitions: 3, replicationFactor: 3 },
      ],
      waitForLeaders: true,
    });
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
    await waitFor(() => load.acknowledged >= ackedAtKill + 100, {
      timeoutMs: 60_000,
      what: '100 more acknowledged requests after the kill',
    });
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
    const groupIds = Object.values(scenario.groupIds);
    for (const g of groupIds) {
      await waitFor(() => admin.caughtUp(g, scenario.topic), {
        timeoutMs: 60_000,
        what: `${g} caught up`,
      });
    }
    const ends = await admin.endOffsets(scenario.topic);
    const total = Object.values(ends).reduce((a, b) => a + b, 0);
    const records = await admin.readRecords(scenario.topic, total);
    const journals = scenario.journals();
    const report = checkHistory(attempts, records, journals, groupIds);
    const stalls = groupIds.map((g) => longestStallMs(journals, g));
    console.log(
      `leader kill (node ${leaderId}, port ${killedPort}) at +${killedAt - attempts[0].startedAt} ms:\n${formatReport(report)}\n` +
        `  produce error window ${load.errorWindowMs()} ms (${load.failures().length} non-2xx: ${[...new Set(load.failures().map((f) => f.status))].join(',')}), ` +
        `consume stall realtime ${stalls[0]} ms / analytics ${stalls[1]} ms, killed node restarted in ${startMs} ms`,
    );

    expect(report.lost).toEqual([]);
    expect(report.duplicated).toEqual([]);
    for (const g of groupIds) {
      expect(report.groups[g]?.never).toEqual([]);
      expect(report.groups[g]?.unknown).toEqual([]);
    }
    expect(await brokerAnswers([`127.0.0.1:${killedPort}`])).toBe(true);
  });
});
