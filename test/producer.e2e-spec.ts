import { inject } from 'vitest';
import type { ProduceResult } from '../src/producer/producer.service.js';
import { LocalBroker, privateBrokerPort } from './support/kafka-broker.js';
import { TestAdmin } from './support/test-admin.js';
import { TestApp } from './support/test-app.js';
import { uniqueName } from './support/unique.js';
import { waitFor } from './support/wait-for.js';

const PARTITIONS = 4;

describe('POST /produce (real broker)', () => {
  const brokers = inject('kafkaBrokers');
  let admin: TestAdmin;
  let app: TestApp;
  let topic: string;

  beforeAll(async () => {
    admin = await new TestAdmin(brokers).connect();
    topic = uniqueName('produce');
    app = await TestApp.start({
      env: {
        APP_ROLES: 'producer',
        KAFKA_BROKERS: brokers.join(','),
        KAFKA_TOPIC: topic,
        KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
        PRODUCE_MAX_MESSAGES_PER_PARTITION: '50',
      },
    });
  });

  afterAll(async () => {
    await app?.close();
    await admin.deleteTopics([topic]);
    await admin.disconnect();
  });

  it('creates the missing topic at boot with the configured partitions', async () => {
    expect(await admin.partitionCount(topic)).toBe(PARTITIONS);
  });

  it('writes messagesPerPartition records to every partition, at the offsets it reports', async () => {
    const before = await admin.endOffsets(topic);

    const answer = await app.post<ProduceResult>('/produce', {
      messagesPerPartition: 5,
      payload: { hello: 'world' },
    });

    expect(answer.status).toBe(201);
    const after = await admin.endOffsets(topic);
    for (let p = 0; p < PARTITIONS; p++) {
      expect(after[p] - before[p]).toBe(5);
    }
    expect(answer.body).toEqual({
      topic,
      total: 5 * PARTITIONS,
      partitions: Array.from({ length: PARTITIONS }, (_, p) => ({
        partition: p,
        baseOffset: String(before[p]),
        count: 5,
      })),
    });
  });

  it('writes only to the partitions asked for', async () => {
    const before = await admin.endOffsets(topic);

    const answer = await app.post<ProduceResult>('/produce', {
      partitions: [1, 3],
      messagesPerPartition: 2,
    });

    expect(answer.status).toBe(201);
    expect(answer.body.total).toBe(4);
    const after = await admin.endOffsets(topic);
    expect(after).toEqual({
      0: before[0],
      1: before[1] + 2,
      2: before[2],
      3: before[3] + 2,
    });
  });

  it('defaults to 3 records per partition with an empty body', async () => {
    const before = await admin.endOffsets(topic);

    const answer = await app.post<ProduceResult>('/produce');

    expect(answer.status).toBe(201);
    const after = await admin.endOffsets(topic);
    expect(Object.values(after).map((end, p) => end - before[p])).toEqual([
      3, 3, 3, 3,
    ]);
  });

  it.each([
    [
      'a count of zero',
      { messagesPerPartition: 0 },
      400,
      /messagesPerPartition must be at least 1/,
    ],
    [
      'a count above the max',
      { messagesPerPartition: 51 },
      400,
      /messagesPerPartition must be between 1 and 50, got 51/,
    ],
    [
      'a count of the wrong type',
      { messagesPerPartition: 'five' },
      400,
      /messagesPerPartition must be a whole number/,
    ],
    [
      'a fractional count',
      { messagesPerPartition: 1.5 },
      400,
      /messagesPerPartition must be a whole number/,
    ],
    [
      'a partition past the end',
      { partitions: [PARTITIONS] },
      400,
      /partitions must be within \[0, 3\].*got 4/,
    ],
    [
      'a negative partition',
      { partitions: [-1] },
      400,
      /partitions must be within \[0, 3\].*got -1/,
    ],
    [
      'a repeated partition',
      { partitions: [0, 0] },
      400,
      /partitions must not repeat/,
    ],
    [
      'an empty partition list',
      { partitions: [] },
      400,
      /partitions must name at least one partition/,
    ],
    [
      'partitions not an array',
      { partitions: 2 },
      400,
      /partitions must be an array/,
    ],
    [
      'an unknown field',
      { messagesPerPartiton: 2 },
      400,
      /property messagesPerPartiton should not exist/,
    ],
    ['a non-string key', { key: 7 }, 400, /key must be a string/],
    [
      'a non-string header',
      { headers: { trace: 1 } },
      400,
      /headers.trace must be a string/,
    ],
    [
      'malformed JSON',
      '{"messagesPerPartition": ',
      400,
      /request body must be a JSON object/,
    ],
    [
      'a JSON array',
      '[1,2]',
      400,
      /request body must be a JSON object, not an array/,
    ],
    [
      'a body over the limit',
      { payload: 'x'.repeat(200_000) },
      413,
      /larger than the 102400-byte limit/,
    ],
  ])(
    'answers %s with its 4xx and a message, writing nothing',
    async (_name, body, status, message) => {
      const before = await admin.endOffsets(topic);

      const answer = await app.post<{
        message: string | string[];
        statusCode: number;
      }>('/produce', body);

      expect(answer.status).toBe(status);
      expect(answer.body.statusCode).toBe(status);
      expect(String(answer.body.message)).toMatch(message);
      expect(await admin.endOffsets(topic)).toEqual(before);
    },
  );

  it('answers 415 for a body that is not JSON, writing nothing', async () => {
    const before = await admin.endOffsets(topic);

    const answer = await app.post<{ message: string }>(
      '/produce',
      'messagesPerPartition=5',
      {
        'content-type': 'application/x-www-form-urlencoded',
      },
    );

    expect(answer.status).toBe(415);
    expect(answer.body.message).toMatch(
      /send the body as JSON with content-type: application\/json/,
    );
    expect(await admin.endOffsets(topic)).toEqual(before);
  });

  it('carries key, headers and a checkable JSON value into every record', async () => {
    const before = await admin.endOffsets(topic);
    const answer = await app.post<ProduceResult>('/produce', {
      partitions: [2],
      messagesPerPartition: 2,
      key: 'order-42',
      headers: { trace: 'abc' },
      payload: { n: 1 },
    });
    expect(answer.status).toBe(201);
    expect(answer.body.partitions).toEqual([
      { partition: 2, baseOffset: String(before[2]), count: 2 },
    ]);

    const seen = (
      await admin.readRecords(
        topic,
        2,
        (r) => r.partition === 2 && r.offset >= before[2],
      )
    ).map((r) => ({
      key: r.key,
      trace: r.headers.trace,
      value: JSON.parse(r.value) as Record<string, unknown>,
    }));
    expect(
      seen.map((s) => [
        s.key,
        s.trace,
        s.value.partition,
        s.value.sequence,
        s.value.payload,
      ]),
    ).toEqual([
      ['order-42', 'abc', 2, 1, { n: 1 }],
      ['order-42', 'abc', 2, 2, { n: 1 }],
    ]);
    expect(new Set(seen.map((s) => s.value.id)).size).toBe(2);
    expect(Number.isNaN(Date.parse(String(seen[0].value.producedAt)))).toBe(
      false,
    );
  });

  it('answers concurrent requests each with the offsets of its own records', async () => {
    const before = await admin.endOffsets(topic);
    const requests = Array.from({ length: 16 }, (_, i) => ({
      key: `concurrent-${i}`,
      // Different shapes, so a wrong attribution cannot line up by chance.
      partitions: i % 2 ? [0, 1, 2, 3] : [1, 3],
      messagesPerPartition: 1 + (i % 3),
    }));

    const answers = await Promise.all(
      requests.map((body) => app.post<ProduceResult>('/produce', body)),
    );

    expect(answers.map((a) => a.status)).toEqual(requests.map(() => 201));
    const written = requests.reduce(
      (sum, r) => sum + r.partitions.length * r.messagesPerPartition,
      0,
    );
    const records = await admin.readRecords(
      topic,
      written,
      (r) => r.offset >= before[r.partition],
    );
    const keyAt = new Map(
      records.map((r) => [`${r.partition}/${r.offset}`, r.key]),
    );
    // Broker-side truth: the records at each answer's offsets are that request's own.
    answers.forEach((answer, i) => {
      const { key, partitions, messagesPerPartition } = requests[i];
      expect(answer.body.partitions.map((p) => p.partition)).toEqual(
        partitions,
      );
      for (const { partition, baseOffset, count } of answer.body.partitions) {
        expect(count).toBe(messagesPerPartition);
        for (let k = 0; k < count; k++) {
          expect(keyAt.get(`${partition}/${Number(baseOffset) + k}`)).toBe(key);
        }
      }
    });
    expect(keyAt.size).toBe(written);
  });

  it('requires X-API-Key when PRODUCE_API_KEY is set', async () => {
    const guarded = await TestApp.start({
      env: {
        APP_ROLES: 'producer',
        KAFKA_BROKERS: brokers.join(','),
        KAFKA_TOPIC: topic,
        PRODUCE_API_KEY: 's3cret',
      },
    });
    try {
      const before = await admin.endOffsets(topic);
      expect((await guarded.post('/produce', {})).status).toBe(401);
      expect(
        (await guarded.post('/produce', {}, { 'x-api-key': 'wrong' })).status,
      ).toBe(401);
      expect(await admin.endOffsets(topic)).toEqual(before);
      expect(
        (
          await guarded.post(
            '/produce',
            { messagesPerPartition: 1 },
            { 'x-api-key': 's3cret' },
          )
        ).status,
      ).toBe(201);
    } finally {
      await guarded.close();
    }
  });
});

describe('POST /produce when the broker is away (a broker this test owns)', () => {
  const broker = new LocalBroker(
    privateBrokerPort(inject('kafkaBrokers'), 300),
  );
  let app: TestApp;
  const topic = uniqueName('outage');

  beforeAll(async () => {
    await broker.start();
    app = await TestApp.start({
      env: {
        APP_ROLES: 'producer',
        KAFKA_BROKERS: broker.address,
        KAFKA_TOPIC: topic,
        KAFKA_TOPIC_PARTITIONS: '2',
        PRODUCE_TIMEOUT_MS: '3000',
      },
    });
  });

  afterAll(async () => {
    await app?.close();
    await broker.stop();
  });

  it('answers 503 within the produce timeout, then recovers without a restart', async () => {
    expect(
      (await app.post('/produce', { messagesPerPartition: 1 })).status,
    ).toBe(201);
    await broker.stop();

    const started = Date.now();
    const down = await app.post<{ message: string }>('/produce', {
      messagesPerPartition: 1,
    });
    const elapsed = Date.now() - started;

    expect(down.status).toBe(503);
    expect(down.body.message).toMatch(/Kafka broker unreachable/);
    expect(elapsed).toBeLessThan(3_000 + 2_000);
    console.log(`503 answered in ${elapsed} ms with the broker down`);

    await broker.start();
    const back = await waitFor(
      async () => {
        const answer = await app.post<ProduceResult>('/produce', {
          messagesPerPartition: 1,
        });
        return answer.status === 201 ? answer : undefined;
      },
      {
        timeoutMs: 60_000,
        intervalMs: 1_000,
        what: 'a 201 after the broker came back',
      },
    );
    expect(back.body.total).toBe(2);
  });
});

describe('topic provisioning races', () => {
  const brokers = inject('kafkaBrokers');

  it('lets two instances boot at once on a missing topic: both up, one topic', async () => {
    const topic = uniqueName('race');
    const env = {
      APP_ROLES: 'producer',
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC: topic,
      KAFKA_TOPIC_PARTITIONS: '5',
    };
    const admin = await new TestAdmin(brokers).connect();
    const apps = await Promise.all([
      TestApp.start({ env }),
      TestApp.start({ env }),
    ]);
    try {
      expect(await admin.partitionCount(topic)).toBe(5);
      for (const instance of apps) {
        expect(
          (
            await instance.post<ProduceResult>('/produce', {
              messagesPerPartition: 1,
            })
          ).status,
        ).toBe(201);
      }
      expect(Object.values(await admin.endOffsets(topic))).toEqual([
        2, 2, 2, 2, 2,
      ]);
    } finally {
      await Promise.all(apps.map((instance) => instance.close()));
      await admin.deleteTopics([topic]);
      await admin.disconnect();
    }
  });

  it('uses an existing topic as it is, even with fewer partitions than configured', async () => {
    const topic = uniqueName('existing');
    const admin = await new TestAdmin(brokers).connect();
    await admin.createTopic(topic, 2);
    const instance = await TestApp.start({
      env: {
        APP_ROLES: 'producer',
        KAFKA_BROKERS: brokers.join(','),
        KAFKA_TOPIC: topic,
        KAFKA_TOPIC_PARTITIONS: '6',
      },
    });
    try {
      const answer = await instance.post<ProduceResult>('/produce', {});
      expect(answer.status).toBe(201);
      expect(answer.body.partitions.map((p) => p.partition)).toEqual([0, 1]);
      expect(await admin.partitionCount(topic)).toBe(2);
    } finally {
      await instance.close();
      await admin.deleteTopics([topic]);
      await admin.disconnect();
    }
  });
});
