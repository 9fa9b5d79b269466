import { inject } from 'vitest';
import { TestAdmin } from './support/test-admin.js';
import { TestApp } from './support/test-app.js';
import { uniqueName } from './support/unique.js';

describe('OpenAPI docs', () => {
  const brokers = inject('kafkaBrokers');
  const topic = uniqueName('docs');
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start({
      env: {
        KAFKA_BROKERS: brokers.join(','),
        KAFKA_TOPIC: topic,
        KAFKA_TOPIC_PARTITIONS: '1',
        REALTIME_GROUP_ID: uniqueName('rt'),
        ANALYTICS_GROUP_ID: uniqueName('an'),
      },
    });
  });

  afterAll(async () => {
    await app.close();
    const admin = await new TestAdmin(brokers).connect();
    await admin.deleteTopics([topic]);
    await admin.disconnect();
  });

  it('serves the UI at /docs', async () => {
    const answer = await app.get('/docs');

    expect(answer.status).toBe(200);
    expect(answer.text).toContain('swagger-ui');
  });

  it('lists every route with its answers, including the error answers of POST /produce', async () => {
    const { status, body } = await app.get<{
      paths: Record<
        string,
        Record<string, { responses: Record<string, unknown> }>
      >;
    }>('/docs-json');

    expect(status).toBe(200);
    expect(Object.keys(body.paths).sort()).toEqual(
      [
        '/analytics',
        '/consumers',
        '/dashboard',
        '/dashboard/events',
        '/health',
        '/health/live',
        '/health/ready',
        '/metrics',
        '/produce',
        '/realtime/stream',
      ].sort(),
    );
    expect(Object.keys(body.paths['/produce'].post.responses).sort()).toEqual([
      '201',
      '400',
      '401',
      '413',
      '415',
      '503',
    ]);
    expect(
      Object.keys(body.paths['/health/ready'].get.responses).sort(),
    ).toEqual(['200', '503']);
  });
});
