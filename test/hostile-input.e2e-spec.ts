import { request } from 'node:http';
import { connect } from 'node:net';
import { inject } from 'vitest';
import { TestAdmin } from './support/test-admin.js';
import { appEnv, TestApp } from './support/test-app.js';
import { uniqueName } from './support/unique.js';

const P = 3;
const KEY = 'hostile-test-key';

/**
 * One request with node:http (which sends any method and any header, Origin
 * and Sec-Fetch-Site included, and any bytes), answer parsed as JSON.
 */
async function rawRequest(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<{ status: number; body: { message: unknown }; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(text) as { message: unknown },
          text,
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
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
  body?: string | Buffer;
  headers?: Record<string, string>;
  status: number;
  message: RegExp;
}

const LONG = 'n'.repeat(60_000);

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
  ...['toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf'].map((name) => ({
    name: `${name} key (a name Object.prototype has)`,
    body: `{"${name}":1}`,
    status: 400,
    message: new RegExp(`^property ${name} should not exist$`),
  })),
  {
    name: 'a header value that is not a string, under a prototype name',
    body: '{"headers":{"hasOwnProperty":1}}',
    status: 400,
    message: /^headers\.hasOwnProperty must be a string$/,
  },
  {
    name: 'the reserved idempotency-key header in the body',
    body: '{"headers":{"Idempotency-Key":"x"}}',
    status: 400,
    message: /send it as the Idempotency-Key HTTP header/,
  },
  {
    name: 'a lone surrogate in the key',
    body: '{"key":"card-\\ud800"}',
    status: 400,
    message: /key must be valid Unicode/,
  },
  {
    name: 'a lone surrogate in a header value',
    body: '{"headers":{"h":"\\udfff"}}',
    status: 400,
    message: /headers\.h must be valid Unicode/,
  },
  {
    name: 'bytes that are not UTF-8',
    body: Buffer.from([
      0x7b, 0x22, 0x6b, 0x65, 0x79, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d,
    ]),
    status: 400,
    message: /^request body must be JSON encoded as UTF-8$/,
  },
  {
    name: 'JSON in another charset',
    body: Buffer.from('{}', 'utf16le'),
    headers: { 'content-type': 'application/json; charset=utf-16le' },
    status: 415,
    message: /^request body must be JSON encoded as UTF-8$/,
  },
  {
    name: 'a 60,000-character field name (answered bounded)',
    body: `{"${LONG}":1}`,
    status: 400,
    message: /^property "n{64}"… \(60000 characters\) should not exist$/,
  },
  {
    name: 'a 60,000-character header name (answered bounded)',
    body: `{"headers":{"${LONG}":1}}`,
    status: 400,
    message: /^headers\."n{64}"… \(60000 characters\) must be a string$/,
  },
  {
    name: '10,000 partitions out of range (answered bounded)',
    body: JSON.stringify({
      partitions: Array.from({ length: 10_000 }, (_, i) => i + P),
    }),
    status: 400,
    message: /got 3, 4, 5, 6, 7 and 9995 more$/,
  },
  {
    name: 'a 10,000-character content type (answered bounded)',
    body: 'x',
    headers: { 'content-type': `text/${'p'.repeat(10_000)}` },
    status: 415,
    message: /\(got "text\/p{59}"… \(10005 characters\)\)$/,
  },
  {
    name: 'a 10,000-character unknown path (answered bounded)',
    method: 'GET',
    path: `/${'x'.repeat(10_000)}?secret=query-text`,
    status: 404,
    message: /^no route GET "\/x{63}"… \(10001 characters\)$/,
  },
  {
    name: 'a cross-site form post (no body, text/plain)',
    headers: {
      origin: 'http://evil.example',
      'content-type': 'text/plain',
      'sec-fetch-site': 'cross-site',
    },
    status: 403,
    message: /^cross-site writes are refused .*HTTP_ALLOWED_ORIGINS$/,
  },
  {
    name: 'a cross-site fetch that says only its Origin',
    body: '{}',
    headers: { origin: 'http://evil.example' },
    status: 403,
    message: /cross-site writes are refused \(Origin "http:\/\/evil.example"/,
  },
  {
    name: 'a sandboxed page (Origin: null)',
    body: '{}',
    headers: { origin: 'null' },
    status: 403,
    message: /cross-site writes are refused/,
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
    async ({
      method = 'POST',
      path = '/produce',
      body,
      headers = {},
      status,
      message,
    }) => {
      const before = await admin.endOffsets(topic);
      const answer = await rawRequest(
        app.url,
        method,
        path,
        {
          'x-api-key': KEY,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body,
      );
      expect(answer.status).toBe(status);
      const text = [answer.body.message].flat().join('; ');
      expect(text).toMatch(message);
      // Bounded: an answer never grows with what was sent.
      expect(answer.text.length).toBeLessThan(1_000);
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

  it('keeps record data and the detailed views behind the API key, says so in the document, and the probes free of cluster and member ids', async () => {
    for (const path of [
      '/health',
      '/consumers',
      '/analytics',
      '/dead-letters?group=realtime',
    ]) {
      expect((await app.get(path)).status).toBe(401);
      expect(
        (await app.request('GET', path, undefined, { 'x-api-key': KEY }))
          .status,
      ).toBe(200);
    }
    const docs = await app.get<{
      paths: Record<string, Record<string, { security?: unknown }>>;
    }>('/docs-json');
    const secured = Object.entries(docs.body.paths)
      .flatMap(([path, item]) =>
        Object.entries(item)
          .filter(([, operation]) => operation.security !== undefined)
          .map(([method]) => `${method.toUpperCase()} ${path}`),
      )
      .sort();
    expect(
      (await app.post('/dead-letters/redrive', { group: 'realtime', upTo: 0 }))
        .status,
    ).toBe(401);
    expect(secured).toEqual([
      'GET /analytics',
      'GET /consumers',
      'GET /dead-letters',
      'GET /health',
      'GET /realtime/stream',
      'POST /consumers/{group}/pause',
      'POST /consumers/{group}/resume',
      'POST /dead-letters/redrive',
      'POST /produce',
    ]);
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
