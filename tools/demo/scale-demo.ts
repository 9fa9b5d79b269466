/**
 * npm run demo:scale — consumer groups with real processes, for a person to watch:
 * 3 replicas share a 6-partition topic in two groups; one is killed (SIGKILL);
 * the others take its partitions after the session timeout, and nothing is lost.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLocalBroker } from '../../test/support/kafka-broker.js';
import {
  buildAppIfStale,
  ReplicaProcess,
} from '../../test/support/replica-process.js';
import { TestAdmin } from '../../test/support/test-admin.js';
import { waitFor } from '../../test/support/wait-for.js';

const PARTITIONS = 6;
const PER_PARTITION = 50;
const GROUPS = ['realtime', 'analytics'] as const;
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const say = (line = '') => console.log(line);

async function main(): Promise<void> {
  say('Building the service (dist/) if src/ changed ...');
  await buildAppIfStale();
  say(
    `Using the broker at ${brokers.join(',')} (started with tools/kafka/kafka.sh if none answers) ...`,
  );
  const startedBroker = await ensureLocalBroker(brokers);
  const suffix = randomUUID().slice(0, 8);
  const topic = `scale-demo-${suffix}`;
  const groupIds = {
    realtime: `demo-realtime-${suffix}`,
    analytics: `demo-analytics-${suffix}`,
  };
  const dir = mkdtempSync(join(tmpdir(), 'scale-demo-'));
  const admin = await new TestAdmin(brokers).connect();
  try {
    say(
      `Topic ${topic} (${PARTITIONS} partitions), groups ${groupIds.realtime} and ${groupIds.analytics}`,
    );
    await admin.createTopic(topic, PARTITIONS);
    const env: Record<string, string> = {
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC: topic,
      REALTIME_GROUP_ID: groupIds.realtime,
      ANALYTICS_GROUP_ID: groupIds.analytics,
      ...pick('CONSUMER_SESSION_TIMEOUT_MS', 'CONSUMER_HEARTBEAT_INTERVAL_MS'),
    };
    say('Starting 3 replicas ...');
    const replicas = await Promise.all(
      ['replica-1', 'replica-2', 'replica-3'].map((name) =>
        ReplicaProcess.start({ name, dir, env }),
      ),
    );
    await waitForSplit(replicas);
    let produced = await produce(replicas[0]);
    await waitForAll(replicas, groupIds, produced);
    await printTable('Who owns which partitions', replicas);

    const victim = replicas[2];
    say(
      `\nKilling ${victim.name} (pid ${victim.pid}) with SIGKILL: no goodbye to the group ...`,
    );
    const killedAt = Date.now();
    await victim.stop('SIGKILL');
    produced += await produce(replicas[0]);
    const survivors = replicas.filter((r) => r.alive);
    await waitForSplit(survivors, 60_000);
    say(
      `Survivors took over all partitions ${Date.now() - killedAt} ms after the kill (session timeout: ${env.CONSUMER_SESSION_TIMEOUT_MS ?? '10000'} ms).`,
    );
    await waitForAll(replicas, groupIds, produced);
    await printTable('After the crash', survivors);
    printCounts(replicas, groupIds, produced);

    say(
      '\nStopping the survivors (SIGTERM: drain, commit, leave the group) ...',
    );
    await Promise.all(survivors.map((r) => r.stop('SIGTERM')));
  } finally {
    await ReplicaProcess.killAll();
    await admin.deleteTopics([
      topic,
      ...Object.values(groupIds).map((g) => `${topic}.${g}.dlq`),
    ]);
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
    if (startedBroker) {
      say('Stopping the broker this demo started ...');
      await startedBroker.stop();
    }
  }
}

function pick(...names: string[]): Record<string, string> {
  return Object.fromEntries(
    names.flatMap((n) => (process.env[n] ? [[n, process.env[n]]] : [])),
  );
}

async function produce(via: ReplicaProcess): Promise<number> {
  const { status, body } = await via.post<{ total: number }>('/produce', {
    messagesPerPartition: PER_PARTITION,
  });
  if (status !== 201)
    throw new Error(
      `POST /produce answered ${status}: ${JSON.stringify(body)}`,
    );
  say(`Produced ${body.total} records through ${via.name}.`);
  return body.total;
}

/** Every live replica has joined both groups and each partition has exactly one owner. */
async function waitForSplit(
  replicas: ReplicaProcess[],
  timeoutMs = 30_000,
): Promise<void> {
  await waitFor(
    async () => {
      const views = await Promise.all(replicas.map((r) => r.consumers()));
      return GROUPS.every((name) => {
        const groups = views.map((v) => v.groups.find((g) => g.name === name));
        const owned = groups.flatMap((g) => g?.assignedPartitions ?? []);
        return (
          groups.every((g) => g?.status === 'joined') &&
          owned.length === PARTITIONS &&
          new Set(owned).size === PARTITIONS
        );
      });
    },
    { timeoutMs, what: 'every partition to have one owner per group' },
  );
}

/** Every produced record is in the journals of both groups. */
async function waitForAll(
  replicas: ReplicaProcess[],
  groupIds: Record<string, string>,
  produced: number,
): Promise<void> {
  await waitFor(
    () =>
      Object.values(groupIds).every(
        (g) => distinctIds(replicas, g).size >= produced,
      ),
    {
      timeoutMs: 60_000,
      what: `both groups to handle ${produced} records`,
    },
  );
}

function distinctIds(replicas: ReplicaProcess[], groupId: string): Set<string> {
  return new Set(
    replicas
      .flatMap((r) => r.journal())
      .filter((e) => e.group === groupId)
      .map((e) => e.id),
  );
}

async function printTable(
  title: string,
  replicas: ReplicaProcess[],
): Promise<void> {
  say(`\n${title}:`);
  const rows = await Promise.all(
    replicas.map(async (r) => {
      const { groups } = await r.consumers();
      const cell = (name: string) => {
        const g = groups.find((x) => x.name === name);
        return `[${(g?.assignedPartitions ?? []).join(',')}] processed ${g?.processed ?? 0}`;
      };
      return {
        replica: r.name,
        pid: r.pid,
        port: r.port,
        realtime: cell('realtime'),
        analytics: cell('analytics'),
      };
    }),
  );
  console.table(rows);
}

function printCounts(
  replicas: ReplicaProcess[],
  groupIds: Record<string, string>,
  produced: number,
): void {
  say(
    `\nPer group, over all replicas' journals (${produced} records produced):`,
  );
  const rows = Object.entries(groupIds).map(([name, groupId]) => {
    const handled = replicas
      .flatMap((r) => r.journal())
      .filter((e) => e.group === groupId).length;
    const distinct = distinctIds(replicas, groupId).size;
    return {
      group: name,
      handled,
      distinct,
      missing: produced - distinct,
      duplicates: handled - distinct,
    };
  });
  console.table(rows);
  say(
    'Duplicates can only be the records the killed replica handled but had not committed yet.',
  );
}

process.once('SIGINT', () => {
  void ReplicaProcess.killAll().finally(() => process.exit(130));
});

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  void ReplicaProcess.killAll().finally(() => process.exit(1));
});
