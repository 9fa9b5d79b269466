import { randomBytes, randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { inject } from 'vitest';
import { deadLetterTopicName } from '../src/kafka/kafka.constants.js';
import { encodeDemoMessage } from '../src/messages/demo-message.js';
import type { ConsumersView } from '../src/consumers/consumers.controller.js';
import { TestAdmin } from './support/test-admin.js';
import { appEnv, TestApp } from './support/test-app.js';
import { uniqueName } from './support/unique.js';
import { waitFor } from './support/wait-for.js';

const P = 3;

function demoValue(partition: number): string {
  return encodeDemoMessage({
    id: randomUUID(),
    partition,
    sequence: 1,
    producedAt: new Date().toISOString(),
    payload: null,
  });
}

describe('records any other producer may write (real broker): handled or dead-lettered, the service unharmed', () => {
  const brokers = inject('kafkaBrokers');
  const topic = uniqueName('strange');
  const [realtime, analytics] = [uniqueName('rt'), uniqueName('an')];
  let admin: TestAdmin;
  let app: TestApp;

  beforeAll(async () => {
    admin = await new TestAdmin(brokers).connect();
    app = await TestApp.start({
      env: {
        ...appEnv({
          brokers,
          topic,
          partitions: P,
          realtime: realtime,
          analytics: analytics,
        }),
      },
    });
    await app.untilJoined();
  });

  afterAll(async () => {
    await app.close();
    await admin.deleteTopics([
      topic,
      deadLetterTopicName(topic, realtime),
      deadLetterTopicName(topic, analytics),
    ]);
    await admin.disconnect();
  });

  it('handles 3,000-header, huge-key and repeated-header records, dead-letters binary and empty values, and keeps the event loop and /health/live responsive', async () => {
    const manyHeaders = Object.fromEntries(
      Array.from({ length: 3_000 }, (_, i) => [`h${i}`, `v${i}`]),
    );
    const producer = admin.producer();
    await producer.connect();

    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    let probing = true;
    let slowestLiveMs = 0;
    let liveFailures = 0;
    const probe = (async () => {
      while (probing) {
        const started = performance.now();
        const answer = await app.get('/health/live');
        slowestLiveMs = Math.max(slowestLiveMs, performance.now() - started);
        liveFailures += answer.status === 200 ? 0 : 1;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();

    try {
      for (let partition = 0; partition < P; partition++) {
        await producer.send({
          topic,
          messages: [
            { partition, value: demoValue(partition), headers: manyHeaders },
            {
              partition,
              key: 'k'.repeat(500_000),
              value: demoValue(partition),
            },
            {
              partition,
              value: demoValue(partition),
              headers: {
                same: Array.from({ length: 1_000 }, (_, i) => `v${i}`),
              },
            },
            { partition, value: randomBytes(2_048) },
            { partition, value: null },
          ],
        });
      }
      await waitFor(() => admin.caughtUp(realtime, topic), {
        what: 'realtime committed every record',
        timeoutMs: 60_000,
      });
      await waitFor(() => admin.caughtUp(analytics, topic), {
        what: 'analytics committed every record',
        timeoutMs: 60_000,
      });
    } finally {
      probing = false;
      await probe;
      loop.disable();
      await producer.disconnect();
    }

    const p99 = loop.percentile(99) / 1e6;
    const max = loop.max / 1e6;
    console.log(
      `event-loop delay while consuming: p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms; slowest /health/live ${slowestLiveMs.toFixed(0)} ms`,
    );
    // Before the decoding fix, these records blocked the loop for ~7.6 s.
    expect(max).toBeLessThan(1_500);
    expect(slowestLiveMs).toBeLessThan(2_000);
    expect(liveFailures).toBe(0);

    const view = (await app.get<ConsumersView>('/consumers')).body;
    for (const group of view.groups) {
      expect(group.status).toBe('joined');
      expect(group.crash).toBeNull();
      expect([group.processed, group.deadLettered]).toEqual([3 * P, 2 * P]);
    }
    for (const group of [realtime, analytics]) {
      const dead = await admin.readRecords(
        deadLetterTopicName(topic, group),
        2 * P,
      );
      expect(dead).toHaveLength(2 * P);
    }
  });
});
