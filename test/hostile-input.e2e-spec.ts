import { request } from 'node:http';
import { connect } from 'node:net';
import { inject } from 'vitest';
import { TestAdmin } from './support/test-admin.js';
import { appEnv, TestApp } from './support/test-app.js';
import { uniqueName } from './support/unique.js';

const P = 3;
const KEY = 'hostile-test-key';

/** One request with node:http (which sends any method), answer parsed as JSON. */
async function rawRequest(
  url: string,
  method: string,
  path: string,
): Promise<{ status: number; body: { message: unknown } }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(text) as { message: unknown },
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Nested arrays `depth` levels deep, built without recursion. */
function nested(depth: number): string {
  return `{"payload":${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

interface Case {
  name: string;
  method?: string;
  path?: string;
  body?: string;
  status: number;
  message: RegExp;
}

const CASES: Case[] = [
  {
    name: '3,000 headers',
    body: JSON.stringify({
      headers: Object.fromEntries(
        Array.from({ length: 3_000 }, (_, i) => [`h${i}`, 'v']),
      ),
    }),
    status: 400,
    message: /at most 32 entries \(PRODUCE_MAX_HEADERS\), got 3000/,
  },
  {
    name: 'header bytes over the limit',
    body: JSON.stringify({ headers: { big: 'x'.repeat(9_000) } }),
    status: 400,
    message: /at most 8192 bytes .*PRODUCE_MAX_HEADER_BYTES/,
  },
  {
    name: 'nesting 1,500 levels deep',
    body: nested(1_500),
    status: 400,
    message: /deeper than 32 levels \(HTTP_MAX_JSON_DEPTH\)/,
  },
  {
    name: 'headers: null',
    body: '{"headers":null}',
    status: 400,
    message: /headers must be an object/,
  },
  {
    name: 'messagesPerPartition: null',
    body: '{"messagesPerPartition":null}',
    status: 400,
    message: /messagesPerPartition must be a whole number/,
  },
  {
    name: '__proto__ key',
    body: '{"__proto__":{"polluted":true}}',
    status: 400,
    message: /property __proto__ should not exist/,
  },
  {
    name: 'constructor key',
    body: '{"constructor":{"prototype":{}}}',
    status: 400,
    message: /property constructor should not exist/,
  },
  {
    name: 'a batch over the broker limit',
    body: JSON.stringify({
      messagesPerPartition: 20,
      payload: 'x'.repeat(60_000),
    }),
    status: 413,
    message: /over PRODUCE_MAX_BATCH_BYTES \(900000/,
  },
  {
    name: 'more records than PRODUCE_MAX_RECORDS',
    body: '{"messagesPerPartition":40}',
    status: 400,
    message:
      /would write 120 records; at most 100 per request \(PRODUCE_MAX_RECORDS\)/,
  },
  {
    name: 'a key over PRODUCE_MAX_KEY_BYTES',
    body: JSON.stringify({ key: 'é'.repeat(600) }),
    status: 400,
    message:
      /key must be at most 1024 bytes \(PRODUCE_MAX_KEY_BYTES\), got 1200/,
  },
  {
    name: 'a payload over PRODUCE_MAX_PAYLOAD_BYTES',
    body: JSON.stringify({ payload: 'x'.repeat(70_000) }),
    status: 400,
    message: /payload must be at most 65536 bytes/,
  },
  {
    name: 'malformed JSON (never echoed)',
    body: '{"secret-token-123": ',
    status: 400,
    message: /^request body must be a JSON object \(valid JSON\)$/,
  },
  {
    name: 'TRACE /produce',
    method: 'TRACE',
    status: 405,
    message: /\/produce answers POST only/,
  },
  {
    name: 'GET /produce',
    method: 'GET',
    status: 405,
    message: /\/produce answers POST only/,
  },
  {
    name: '/PRODUCE',
    path: '/PRODUCE',
    body: '{}',
    status: 404,
    message: /did you mean \/produce\?/,
  },
  {
    name: '/produce/',
    path: '/produce/',
    body: '{}',
    status: 404,
    message: /did you mean \/produce\?/,
  },
];

describe('hostile requests (real broker): a clear 4xx, nothing written, the service unharmed', () => {
  const brokers = inject('kafkaBrokers');
  const topic = uniqueName('hostile');
  let app: TestApp;
  let admin: TestAdmin;

  beforeAll(async () => {
    admin = await new TestAdmin(brokers).connect();
    app = await TestApp.start({
      env: {
        ...appEnv({
          brokers,
          topic,
          partitions: P,
          realtime: uniqueName('rt'),
          analytics: uniqueName('an'),
        }),
        PRODUCE_API_KEY: KEY,
        PRODUCE_MAX_RECORDS: '100',
        HTTP_REQUEST_TIMEOUT_MS: '2000',
      },
    });
  });

  afterAll(async () => {
    await app.close();
    await admin.deleteTopics([topic]);
    await admin.disconnect();
  });

  it.each(CASES)(
    '$name → $status',
    async ({ method = 'POST', path = '/produce', body, status, message }) => {
      const before = await admin.endOffsets(topic);
      const answer =
        method === 'TRACE'
          ? await rawRequest(app.url, method, path) // fetch() refuses TRACE
          : await app.request<{ message: unknown }>(method, path, body, {
              'x-api-key': KEY,
            });
      expect(answer.status).toBe(status);
      const text = [answer.body.message].flat().join('; ');
      expect(text).toMatch(message);
      expect(text).not.toMatch(/Error\b|at .*\.js|kafkajs/);
      expect(await admin.endOffsets(topic)).toEqual(before);
      // Unharmed: the next good request is served.
      expect((await app.get('/health/live')).status).toBe(200);
    },
  );

  it('writes the documented default for a request with no body: 3 records to every partition', async () => {
    const before = await admin.endOffsets(topic);
    const answer = await fetch(`${app.url}/produce`, {
      method: 'POST',
      headers: { 'x-api-key': KEY },
    });
    expect(answer.status).toBe(201);
    const after = await admin.endOffsets(topic);
    for (let p = 0; p < P; p++) {
      expect(after[p] - before[p]).toBe(3);
    }
    const docs = await app.get<{
      paths: Record<string, { post: { requestBody?: { required?: boolean } } }>;
    }>('/docs-json');
    expect(docs.body.paths['/produce'].post.requestBody?.required).toBe(false);
  });

  it('sends security headers and no X-Powered-By', async () => {
    const answer = await fetch(`${app.url}/health/live`);
    expect(answer.headers.get('x-powered-by')).toBeNull();
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('x-frame-options')).toBe('DENY');
    expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
    expect(answer.headers.get('content-security-policy')).toContain(
      "default-src 'none'",
    );
  });

  it('keeps the detailed views behind the API key and the probes free of cluster and member ids', async () => {
    for (const path of ['/health', '/consumers']) {
      expect((await app.get(path)).status).toBe(401);
      expect(
        (await app.request('GET', path, undefined, { 'x-api-key': KEY }))
          .status,
      ).toBe(200);
    }
    const detailed = await app.request('GET', '/health', undefined, {
      'x-api-key': KEY,
    });
    expect(detailed.text).toContain('clusterId');
    for (const path of ['/health/ready', '/health/live']) {
      const probe = await app.get(path);
      expect(probe.status).toBe(200);
      expect(probe.text).not.toMatch(
        /clusterId|controller|memberId|127\.0\.0\.1/,
      );
    }
  });

  it('cuts off a client that never finishes its request body', async () => {
    const { port } = new URL(app.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const started = Date.now();
    socket.write(
      'POST /produce HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"messages',
    );
    const reply = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.once('close', () => resolve(text));
    });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1_500);
    expect(elapsed).toBeLessThan(10_000);
    expect(reply).toMatch(/^HTTP\/1.1 408/);
  });
});
