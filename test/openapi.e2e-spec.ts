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
        '/consumers/{group}/pause',
        '/consumers/{group}/resume',
        '/dashboard',
        '/dashboard/events',
        '/dead-letters',
        '/dead-letters/redrive',
        '/health',
        '/health/live',
        '/health/ready',
        '/metrics',
        '/produce',
        '/realtime/stream',
      ].sort(),
    );
    // No PRODUCE_API_KEY here: no 401 is possible, so none is listed.
    expect(Object.keys(body.paths['/produce'].post.responses).sort()).toEqual([
      '201',
      '400',
      '403',
      '413',
      '415',
      '422',
      '503',
    ]);
    expect(
      Object.keys(body.paths['/health/ready'].get.responses).sort(),
    ).toEqual(['200', '503']);
  });

  it('declares no security and no bounds it does not keep when no key is configured', async () => {
    const { text, body } = await app.get<{
      components: Record<string, unknown>;
      paths: Record<string, Record<string, { security?: unknown }>>;
    }>('/docs-json');

    expect(body.components.securitySchemes).toBeUndefined();
    for (const item of Object.values(body.paths)) {
      for (const operation of Object.values(item)) {
        expect(operation.security).toBeUndefined();
      }
    }
    // propertyNames is JSON Schema, not OpenAPI 3.0.
    expect(text).not.toContain('propertyNames');
    expect(text).toMatch(/at most 1024 UTF-8 bytes \(PRODUCE_MAX_KEY_BYTES\)/);
    expect(text).toMatch(/65536 bytes of JSON \(PRODUCE_MAX_PAYLOAD_BYTES\)/);
    expect(text).toMatch(/8192 UTF-8 bytes of names and values/);
  });
});
