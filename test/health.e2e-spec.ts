import { Injectable } from '@nestjs/common';
import { KafkaJSNonRetriableError } from 'kafkajs';
import { inject } from 'vitest';
import { KafkaProducer } from '../src/kafka/client/kafka-producer.port.js';
import { DeadLetterPublisher } from '../src/kafka/consumer/dead-letter.publisher.js';
import { GroupConsumerRegistry } from '../src/kafka/consumer/group-consumer.registry.js';
import { LocalBroker, privateBrokerPort } from './support/kafka-broker.js';
import { openHandles } from './support/open-handles.js';
import { TestAdmin } from './support/test-admin.js';
import { TestApp } from './support/test-app.js';
import { uniqueName } from './support/unique.js';
import { waitFor } from './support/wait-for.js';

interface IndicatorDetails {
  status: 'up' | 'down';
  message?: string;
  groupId?: string;
  state?: string;
  assignedPartitions?: number[];
  lag?: Record<string, number> | null;
}

interface HealthBody {
  status: 'ok' | 'error';
  info: Record<string, IndicatorDetails>;
  error: Record<string, IndicatorDetails>;
  details: Record<string, IndicatorDetails>;
}

describe('GET /health on a healthy replica', () => {
  const brokers = inject('kafkaBrokers');
  const topic = uniqueName('health');
  const [realtime, analytics] = [uniqueName('rt'), uniqueName('an')];
  let app: TestApp;
  let admin: TestAdmin;

  beforeAll(async () => {
    admin = await new TestAdmin(brokers).connect();
    app = await TestApp.start({
      env: {
        KAFKA_BROKERS: brokers.join(','),
        KAFKA_TOPIC: topic,
        KAFKA_TOPIC_PARTITIONS: '3',
        REALTIME_GROUP_ID: realtime,
        ANALYTICS_GROUP_ID: analytics,
      },
    });
  });

  afterAll(async () => {
    await app.close();
    await admin.deleteTopics([topic]);
    await admin.disconnect();
  });

  it('answers 200 naming the broker, the producer and each group with its partitions and lag', async () => {
    expect(
      (await app.post('/produce', { messagesPerPartition: 2 })).status,
    ).toBe(201);
    await waitFor(() => admin.caughtUp(realtime, topic), {
      what: 'realtime caught up',
    });
    await waitFor(() => admin.caughtUp(analytics, topic), {
      what: 'analytics caught up',
    });

    for (const path of ['/health', '/health/ready']) {
      const answer = await app.get<HealthBody>(path);
      expect(answer.status).toBe(200);
      expect(answer.body.status).toBe('ok');
      expect(Object.keys(answer.body.details)).toEqual([
        'shutdown',
        'kafka-broker',
        'kafka-topic',
        'producer',
        'realtime',
        'analytics',
      ]);
      expect(answer.body.details['kafka-topic']).toMatchObject({
        status: 'up',
        topic,
        partitions: 3,
      });
      expect(answer.body.details.realtime).toMatchObject({
        status: 'up',
        groupId: realtime,
        state: 'joined',
        assignedPartitions: [0, 1, 2],
        lag: { 0: 0, 1: 0, 2: 0 },
      });
      expect(answer.body.details.analytics).toMatchObject({
        groupId: analytics,
        assignedPartitions: [0, 1, 2],
      });
    }
    const live = await app.get<HealthBody>('/health/live');
    expect(live.status).toBe(200);
    expect(Object.keys(live.body.details)).toEqual(['realtime', 'analytics']);
  });

  it('serves 1000 health checks without opening sockets or handles', async () => {
    const brokerPort = Number(brokers[0].split(':')[1]);
    // Every consumer of the app has its connections: the groups' redrive
    // readers join in the background and are not in /consumers (a socket one
    // of them opened during the checks once failed this test in CI).
    const registry = app.app.get(GroupConsumerRegistry);
    await waitFor(
      () => registry.transports().every((s) => s.state.status === 'joined'),
      { what: 'every group and redrive reader joined' },
    );
    // Nor are the producer's spare sessions (kafkajs), set up in the
    // background after a first send.
    await app.app.get(KafkaProducer).settled();
    await app.get('/health');
    const before = openHandles(brokerPort);

    for (let i = 0; i < 1000; i++) {
      expect((await app.get('/health')).status).toBe(200);
    }

    const after = openHandles(brokerPort);
    console.log(
      `handles before/after 1000 checks: ${JSON.stringify(before)} / ${JSON.stringify(after)}`,
    );
    expect(after.brokerSockets).toBe(before.brokerSockets);
    // The HTTP client's own keep-alive pool may vary by a few sockets, never by hundreds.
    expect(after.total - before.total).toBeLessThan(10);
  });
});

describe('health through a broker outage (a broker this test owns)', () => {
  const broker = new LocalBroker(
    privateBrokerPort(inject('kafkaBrokers'), 400),
  );
  const topic = uniqueName('outage');
  const [realtime, analytics] = [uniqueName('rt'), uniqueName('an')];
  let app: TestApp;
  let admin: TestAdmin;

  beforeAll(async () => {
    await broker.start();
    admin = await new TestAdmin([broker.address]).connect();
    app = await TestApp.start({
      env: {
        KAFKA_BROKERS: broker.address,
        KAFKA_TOPIC: topic,
        KAFKA_TOPIC_PARTITIONS: '2',
        REALTIME_GROUP_ID: realtime,
        ANALYTICS_GROUP_ID: analytics,
        HEALTH_BROKER_TIMEOUT_MS: '1500',
        PRODUCE_TIMEOUT_MS: '2000',
      },
    });
  });

  afterAll(async () => {
    await app?.close();
    await admin.disconnect().catch(() => undefined);
    await broker.stop();
  });

  it('turns readiness 503 naming the broker, keeps liveness 200, and recovers with no restart', async () => {
    await waitFor(async () => (await app.get('/health/ready')).status === 200, {
      what: 'ready before the outage',
    });
    await admin.disconnect();
    await broker.stop();

    const stoppedAt = Date.now();
    const down = await waitFor(
      async () => {
        const answer = await app.get<HealthBody>('/health/ready');
        return answer.status === 503 ? answer : undefined;
      },
      { timeoutMs: 15_000, what: 'readiness 503' },
    );
    console.log(
      `readiness 503 ${Date.now() - stoppedAt} ms after the broker stopped`,
    );
    expect(down.body.error['kafka-broker']).toMatchObject({ status: 'down' });
    expect(down.body.error['kafka-broker'].message).toMatch(
      /Kafka broker unreachable|timed out|Connection|ECONNREFUSED/,
    );
    // Policy: a broker outage is not something a restart fixes.
    expect((await app.get('/health/live')).status).toBe(200);

    await broker.start();
    const startedAt = Date.now();
    await waitFor(async () => (await app.get('/health/ready')).status === 200, {
      timeoutMs: 90_000,
      intervalMs: 500,
      what: 'readiness 200 after the broker came back',
    });
    console.log(
      `readiness 200 again ${Date.now() - startedAt} ms after the broker restarted`,
    );

    await admin.connect();
    expect(
      (await app.post('/produce', { messagesPerPartition: 3 })).status,
    ).toBe(201);
    await waitFor(() => admin.caughtUp(realtime, topic), {
      timeoutMs: 60_000,
      what: 'realtime consuming again',
    });
    await waitFor(() => admin.caughtUp(analytics, topic), {
      timeoutMs: 60_000,
      what: 'analytics consuming again',
    });
  });
});

/** Dead-lettering fails for good for the realtime group only: its consumer crashes without restart. */
@Injectable()
class BrokenDeadLetters extends DeadLetterPublisher {
  static brokenGroup = '';

  override async publish(
    ...args: Parameters<DeadLetterPublisher['publish']>
  ): Promise<void> {
    if (args[0] === BrokenDeadLetters.brokenGroup) {
      throw new KafkaJSNonRetriableError(
        'dead-letter topic is not writable (injected)',
      );
    }
    return super.publish(...args);
  }
}

describe('health of a consumer that crashed for good', () => {
  const brokers = inject('kafkaBrokers');
  const topic = uniqueName('crash');
  const [realtime, analytics] = [uniqueName('rt'), uniqueName('an')];

  it('turns liveness and readiness 503 naming the crashed group; the other group stays up', async () => {
    BrokenDeadLetters.brokenGroup = realtime;
    const admin = await new TestAdmin(brokers).connect();
    const app = await TestApp.start({
      env: {
        KAFKA_BROKERS: brokers.join(','),
        KAFKA_TOPIC: topic,
        KAFKA_TOPIC_PARTITIONS: '2',
        REALTIME_GROUP_ID: realtime,
        ANALYTICS_GROUP_ID: analytics,
      },
      override: (builder) =>
        builder
          .overrideProvider(DeadLetterPublisher)
          .useClass(BrokenDeadLetters),
    });
    const producer = admin.producer();
    try {
      await waitFor(
        async () => (await app.get('/health/ready')).status === 200,
        { what: 'ready' },
      );
      await producer.connect();
      await producer.send({
        topic,
        messages: [{ partition: 0, value: 'not json' }],
      });

      const live = await waitFor(
        async () => {
          const answer = await app.get<HealthBody>('/health/live');
          return answer.status === 503 ? answer : undefined;
        },
        { what: 'liveness 503' },
      );
      expect(Object.keys(live.body.error)).toEqual(['realtime']);
      expect(live.body.error.realtime.message).toBe(
        `consumer of group ${realtime} crashed and will not restart`,
      );
      expect(live.body.info.analytics).toMatchObject({ status: 'up' });

      const ready = await app.get<HealthBody>('/health');
      expect(ready.status).toBe(503);
      expect(ready.body.error.realtime.message).toMatch(
        /crashed: .*dead-letter topic is not writable/,
      );
      expect(ready.body.info.analytics).toMatchObject({
        status: 'up',
        state: 'joined',
      });
      // Nothing was committed past the record that could not be dead-lettered.
      expect((await admin.committedOffsets(realtime, topic))[0]).toBe(-1);
      await waitFor(() => admin.caughtUp(analytics, topic), {
        what: 'analytics past the malformed record',
      });
    } finally {
      await producer.disconnect();
      await app.close();
      await admin.deleteTopics([
        topic,
        `${topic}.${analytics}.dlq`,
        `${topic}.${realtime}.dlq`,
      ]);
      await admin.disconnect();
    }
  });
});
