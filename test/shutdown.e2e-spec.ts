import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { encodeDemoMessage } from '../src/messages/demo-message.js';
import {
  buildAppIfStale,
  type JournalEntry,
  ReplicaProcess,
} from './support/replica-process.js';
import { TestAdmin } from './support/test-admin.js';
import { uniqueName } from './support/unique.js';
import { waitFor } from './support/wait-for.js';
import { engineEnv } from './support/engine.js';

/**
 * A group's commits on each of 3 partitions are exactly what it journaled:
 * everything handled is committed, and nothing is committed that it did not
 * handle (no gaps below the commit).
 */
function expectCommittedExactlyHandled(
  handled: JournalEntry[],
  committed: Record<number, number>,
): void {
  for (let partition = 0; partition < 3; partition++) {
    const offsets = handled
      .filter((l) => l.partition === partition)
      .map((l) => Number(l.offset));
    expect(Math.max(-1, ...offsets) + 1).toBe(
      Math.max(0, committed[partition]),
    );
    expect(offsets).toEqual(
      Array.from({ length: offsets.length }, (_, i) => i),
    );
  }
}

/** Real `node dist/main.js` processes: signals, exit codes and stdout are the point here. */
describe('a replica process (real broker)', () => {
  const brokers = inject('kafkaBrokers');
  const dir = mkdtempSync(join(tmpdir(), 'shutdown-'));
  let admin: TestAdmin;

  beforeAll(async () => {
    await buildAppIfStale();
    admin = await new TestAdmin(brokers).connect();
  });

  afterAll(async () => {
    await ReplicaProcess.killAll();
    await admin.disconnect();
  });

  /** Both groups, no producer, a 10 s shutdown budget; `readinessDelayMs` before the drain. */
  function startConsumerReplica(
    name: string,
    topic: string,
    realtime: string,
    analytics: string,
    readinessDelayMs: number,
  ): Promise<ReplicaProcess> {
    return ReplicaProcess.start({
      name: uniqueName(name),
      dir,
      env: {
        APP_ROLES: 'realtime,analytics',
        KAFKA_BROKERS: brokers.join(','),
        KAFKA_TOPIC: topic,
        REALTIME_GROUP_ID: realtime,
        ANALYTICS_GROUP_ID: analytics,
        SHUTDOWN_TIMEOUT_MS: '10000',
        SHUTDOWN_READINESS_DELAY_MS: String(readinessDelayMs),
      },
    });
  }

  it('on SIGTERM mid-stream: readiness 503 first, exits within the timeout, commits cover all it processed', async () => {
    const topic = uniqueName('sigterm');
    const [realtime, analytics] = [uniqueName('rt'), uniqueName('an')];
    await admin.createTopic(topic, 3);
    const replica = await startConsumerReplica(
      'draining',
      topic,
      realtime,
      analytics,
      1500,
    );
    const producer = admin.producer();
    await producer.connect();
    // Steady production while the replica is told to stop: bounded in count and time.
    let producing = true;
    let sent = 0;
    const production = (async () => {
      for (let batch = 0; producing && batch < 400; batch++) {
        await producer.send({
          topic,
          messages: Array.from({ length: 3 }, (_, partition) => ({
            partition,
            value: encodeDemoMessage({
              id: `${batch}-${partition}`,
              partition,
              sequence: batch,
              producedAt: new Date().toISOString(),
              payload: null,
            }),
          })),
        });
        sent += 3;
      }
    })();
    try {
      await waitFor(() => replica.journal().length >= 60, {
        what: 'records flowing through both groups',
      });

      const exit = replica.stop('SIGTERM');
      const readiness = await waitFor(
        async () => {
          const answer = await replica.get<{ error?: Record<string, unknown> }>(
            '/health/ready',
          );
          return answer.status === 503 ? answer : undefined;
        },
        {
          timeoutMs: 5_000,
          intervalMs: 50,
          what: 'readiness 503 while draining',
        },
      );
      expect(readiness.body.error).toHaveProperty('shutdown');
      const { code, signal, elapsedMs } = await exit;
      producing = false;
      await production;
      console.log(
        `SIGTERM → exit in ${elapsedMs} ms (code ${code}, signal ${signal}); ${sent} records sent meanwhile`,
      );

      expect(code === 0 || signal === 'SIGTERM').toBe(true);
      expect(elapsedMs).toBeLessThan(10_000 + 5_000);

      const lines = replica.journal();
      for (const group of [realtime, analytics]) {
        const committed = await admin.committedOffsets(group, topic);
        const handled = lines.filter((l) => l.group === group);
        expect(handled.length).toBeGreaterThan(0);
        expectCommittedExactlyHandled(handled, committed);
      }
      expect(replica.logs()).toMatch(/left group/);
    } finally {
      producing = false;
      await production.catch(() => undefined);
      await producer.disconnect();
      await admin.deleteTopics([
        topic,
        `${topic}.${realtime}.dlq`,
        `${topic}.${analytics}.dlq`,
      ]);
    }
  });

  it('on SIGTERM in the middle of a large fetched batch: stops between records and commits exactly what it journaled', async () => {
    const topic = uniqueName('midbatch');
    const [realtime, analytics] = [uniqueName('rt'), uniqueName('an')];
    const perPartition = 20_000;
    await admin.createTopic(topic, 3);
    // A backlog written first: each fetch hands over a batch of thousands of records.
    const producer = admin.producer();
    await producer.connect();
    for (let from = 0; from < perPartition; from += 2_000) {
      await producer.send({
        topic,
        messages: Array.from({ length: 3 * 2_000 }, (_, i) => {
          const partition = i % 3;
          const sequence = from + Math.floor(i / 3);
          return {
            partition,
            value: encodeDemoMessage({
              id: `${partition}-${sequence}`,
              partition,
              sequence,
              producedAt: new Date().toISOString(),
              payload: null,
            }),
          };
        }),
      });
    }
    await producer.disconnect();
    const replica = await startConsumerReplica(
      'midbatch',
      topic,
      realtime,
      analytics,
      0,
    );
    try {
      // SIGTERM as soon as both groups handle records (a substring check of
      // the young journal: parsing it on every poll would let it drain first).
      await waitFor(
        () => {
          const text = existsSync(replica.journalFile)
            ? readFileSync(replica.journalFile, 'utf8')
            : '';
          return text.includes(realtime) && text.includes(analytics);
        },
        { intervalMs: 5, what: 'the backlog flowing through both groups' },
      );
      const { code, signal, elapsedMs } = await replica.stop('SIGTERM');
      expect(code === 0 || signal === 'SIGTERM').toBe(true);

      const lines = replica.journal();
      const summary: string[] = [];
      for (const group of [realtime, analytics]) {
        const committed = await admin.committedOffsets(group, topic);
        const handled = lines.filter((l) => l.group === group);
        // Stopped inside the backlog, not after it.
        expect(handled.length).toBeLessThan(3 * perPartition);
        expectCommittedExactlyHandled(handled, committed);
        summary.push(`${group}: ${handled.length} handled and committed`);
      }
      console.log(
        `SIGTERM mid-batch → exit in ${elapsedMs} ms; ${summary.join('; ')} (of ${3 * perPartition})`,
      );
    } finally {
      await admin.deleteTopics([
        topic,
        `${topic}.${realtime}.dlq`,
        `${topic}.${analytics}.dlq`,
      ]);
    }
  });

  it("logs one JSON object per line with LOG_FORMAT=json, the client library's lines included", async () => {
    const topic = uniqueName('jsonlogs');
    const replica = await ReplicaProcess.start({
      name: uniqueName('json'),
      dir,
      env: {
        KAFKA_BROKERS: brokers.join(','),
        KAFKA_TOPIC: topic,
        KAFKA_TOPIC_PARTITIONS: '1',
        REALTIME_GROUP_ID: uniqueName('rt'),
        ANALYTICS_GROUP_ID: uniqueName('an'),
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'log',
      },
    });
    try {
      expect(
        (await replica.post('/produce', { messagesPerPartition: 1 })).status,
      ).toBe(201);
      await replica.stop('SIGTERM');

      const lines = replica
        .logs()
        .split('\n')
        .filter((line) => line.trim() !== '');
      expect(lines.length).toBeGreaterThan(10);
      const entries = lines.map((line) => {
        try {
          return JSON.parse(line) as {
            level: string;
            context?: string;
            message: unknown;
          };
        } catch {
          throw new Error(`not a JSON line: ${line}`);
        }
      });
      expect(entries.every((e) => typeof e.level === 'string')).toBe(true);
      const kafkajs = entries.filter((e) => e.context === 'kafkajs');
      if (engineEnv().KAFKA_CLIENT === 'platformatic') {
        // @platformatic/kafka logs nothing of its own (only through DEBUG=).
        expect(kafkajs).toEqual([]);
      } else {
        expect(kafkajs.length).toBeGreaterThan(0);
        expect(
          kafkajs.some(
            (e) =>
              (e.message as { namespace?: string }).namespace === 'Consumer',
          ),
        ).toBe(true);
      }
      expect(
        entries.some(
          (e) =>
            e.context === 'Bootstrap' &&
            String(e.message).includes('listening on'),
        ),
      ).toBe(true);
    } finally {
      await admin.deleteTopics([topic]);
    }
  });
});
