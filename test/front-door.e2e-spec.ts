import { connect, type Socket } from 'node:net';
import { inject } from 'vitest';
import { AnalyticsService } from '../src/consumers/analytics/analytics.service.js';
import { RealtimeService } from '../src/consumers/realtime/realtime.service.js';
import type { GroupMessageMeta } from '../src/kafka/consumer/group-message.context.js';
import { memberSource } from '../src/http/json-source.js';
import type { DemoMessage } from '../src/messages/demo-message.js';
import { TestAdmin } from './support/test-admin.js';
import { ownTopicEnv, TestApp } from './support/test-app.js';
import { uniqueName } from './support/unique.js';
import { waitFor } from './support/wait-for.js';

const P = 3;
const KEY = 'front-door-key';
const WITH_KEY = { 'x-api-key': KEY };

// Names Object.prototype has, the prototype itself, unicode and empty names,
// numbers JSON.parse would change: all data, all to arrive as sent.
const PAYLOAD =
  '{"constructor":{"prototype":{"x":1}},"toString":"t","valueOf":[1,{"__proto__":1}],' +
  '"hasOwnProperty":{"isPrototypeOf":null},"__proto__":{"polluted":true},"":"empty",' +
  '"ключ":"ü😀","big":12345678901234567890,"f":1.50,"e":1E+2}';
const HEADERS = {
  constructor: 'c',
  toString: 't',
  valueOf: 'v',
  hasOwnProperty: 'h',
  __proto__: 'p',
  '': 'empty name',
  ключ: 'ü😀',
};
const HEADERS_TEXT = `{"constructor":"c","toString":"t","valueOf":"v","hasOwnProperty":"h","__proto__":"p","":"empty name","ключ":"ü😀"}`;

/** A raw HTTP/1.1 request whose socket the test controls (e.g. never reads). */
function openStream(url: string, path: string): Promise<Socket> {
  const { port } = new URL(url);
  const socket = connect(Number(port), '127.0.0.1');
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: ${KEY}\r\nAccept: text/event-stream\r\n\r\n`,
  );
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** The status line of what a socket got first. */
function firstLine(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.includes('\r\n')) {
        socket.off('data', onData);
        resolve(text.split('\r\n')[0]);
      }
    };
    socket.on('data', onData);
  });
}

describe('the front door keeps what clients send (real broker)', () => {
  const brokers = inject('kafkaBrokers');
  const topic = uniqueName('door');
  let admin: TestAdmin;
  let app: TestApp;
  let producerOnly: TestApp;
  const handled: {
    group: string;
    message: DemoMessage;
    meta: GroupMessageMeta;
  }[] = [];

  beforeAll(async () => {
    admin = await new TestAdmin(brokers).connect();
    const env = { ...ownTopicEnv(brokers, topic, P), PRODUCE_API_KEY: KEY };
    app = await TestApp.start({ env });
    // A second replica that only produces: its Idempotency-Key memory is its own.
    producerOnly = await TestApp.start({
      env: { ...env, APP_ROLES: 'producer' },
    });
    const realtime = app.app.get(RealtimeService);
    const analytics = app.app.get(AnalyticsService);
    const handle = realtime.handle.bind(realtime);
    const record = analytics.record.bind(analytics);
    vi.spyOn(realtime, 'handle').mockImplementation((message, meta) => {
      handled.push({ group: 'realtime', message, meta });
      return handle(message, meta);
    });
    vi.spyOn(analytics, 'record').mockImplementation((message, meta) => {
      handled.push({ group: 'analytics', message, meta });
      record(message, meta);
    });
  });

  afterAll(async () => {
    await producerOnly?.close();
    await app?.close();
    await admin.deleteTopics([topic]);
    await admin.disconnect();
  });

  it('carries payload and headers with prototype, unicode and empty names into the topic and both handlers as sent', async () => {
    const body = `{"partitions":[1],"messagesPerPartition":1,"key":"k-1","headers":${HEADERS_TEXT},"payload":${PAYLOAD}}`;
    const answer = await app.post<{ partitions: { baseOffset: string }[] }>(
      '/produce',
      body,
      WITH_KEY,
    );
    expect(answer.status).toBe(201);
    const [stored] = await admin.readRecords(topic, 1, (r) => r.key === 'k-1');
    // The broker's copy: the payload's text byte for byte, big numbers and all.
    expect(memberSource(stored.value, 'payload')).toBe(PAYLOAD);

    const seen = await waitFor(
      () => {
        const mine = handled.filter((h) => h.meta.key === 'k-1');
        return mine.length >= 2 ? mine : undefined;
      },
      { what: 'both handlers got the record' },
    );
    expect(seen.map((h) => h.group).sort()).toEqual(['analytics', 'realtime']);
    for (const { message, meta } of seen) {
      // What a handler can see of the text: every name and value JSON.parse keeps.
      expect(JSON.stringify(message.payload)).toBe(
        JSON.stringify(JSON.parse(PAYLOAD)),
      );
      expect(Object.hasOwn(message.payload as object, '__proto__')).toBe(true);
      expect(Object.getPrototypeOf(message.payload)).toBe(Object.prototype);
      const own = Object.fromEntries(
        Object.entries(meta.headers).filter(([k]) => k !== 'idempotency-key'),
      );
      expect(JSON.stringify(own)).toBe(JSON.stringify(HEADERS));
    }
  });

  it('accepts what the document allows: a __proto__ key inside an array payload', async () => {
    const answer = await app.post(
      '/produce',
      '{"partitions":[0],"messagesPerPartition":1,"key":"k-2","payload":[{"__proto__":1}]}',
      WITH_KEY,
    );
    expect(answer.status).toBe(201);
    const [stored] = await admin.readRecords(topic, 1, (r) => r.key === 'k-2');
    expect(memberSource(stored.value, 'payload')).toBe('[{"__proto__":1}]');
  });

  it('lets a page of the same origin write, and answers 403 to another site', async () => {
    const sameSite = await app.post('/produce', '{"partitions":[0]}', {
      ...WITH_KEY,
      'sec-fetch-site': 'same-origin',
      origin: app.url,
    });
    expect(sameSite.status).toBe(201);
  });

  it('refuses an Idempotency-Key reused with another body (422), replays the same body, and writes nothing for either', async () => {
    const post = (payload: unknown, target = app) =>
      target.post<{ partitions: unknown }>(
        '/produce',
        { partitions: [2], messagesPerPartition: 2, payload },
        { ...WITH_KEY, 'idempotency-key': 'order-7' },
      );
    const first = await post({ amount: 10 });
    expect(first.status).toBe(201);
    const after = await admin.endOffsets(topic);

    const other = await post({ amount: 99 });
    expect(other.status).toBe(422);
    expect(other.text).toMatch(/already used with a different request/);

    const retry = await fetch(`${app.url}/produce`, {
      method: 'POST',
      headers: {
        ...WITH_KEY,
        'content-type': 'application/json',
        'idempotency-key': 'order-7',
      },
      body: JSON.stringify({
        partitions: [2],
        messagesPerPartition: 2,
        payload: { amount: 10 },
      }),
    });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.json()).toEqual(first.body);
    expect(await admin.endOffsets(topic)).toEqual(after);
  });

  it('makes concurrent requests with one key write once and share the answer', async () => {
    const before = await admin.endOffsets(topic);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        app.post(
          '/produce',
          { partitions: [0], messagesPerPartition: 3 },
          { ...WITH_KEY, 'idempotency-key': 'burst-1' },
        ),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    const after = await admin.endOffsets(topic);
    expect(after[0] - before[0]).toBe(3);
  });

  it('has each group handle once the records a retry on another replica wrote again', async () => {
    const request = { partitions: [1], messagesPerPartition: 4, key: 'k-3' };
    const headers = { ...WITH_KEY, 'idempotency-key': 'retry-elsewhere' };
    const stream = await fetch(`${app.url}/realtime/stream`, {
      headers: WITH_KEY,
    });
    const events: string[] = [];
    const chunks = stream.body!.getReader();
    const reading = (async () => {
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await chunks.read();
        if (done) return;
        events.push(decoder.decode(value));
      }
    })().catch(() => undefined);

    expect((await app.post('/produce', request, headers)).status).toBe(201);
    // Another replica has not seen the key: it writes the records again.
    const again = await producerOnly.post('/produce', request, headers);
    expect(again.status).toBe(201);
    const stored = await admin.readRecords(topic, 8, (r) => r.key === 'k-3');
    const ids = stored.map((r) => (JSON.parse(r.value) as { id: string }).id);
    expect(ids).toHaveLength(8);
    expect(new Set(ids).size).toBe(4);

    const analyticsSeen = await waitFor(
      () => {
        const mine = handled.filter(
          (h) => h.group === 'analytics' && h.meta.key === 'k-3',
        );
        return mine.length === 8 ? mine : undefined;
      },
      { what: 'analytics got both copies' },
    );
    expect(analyticsSeen).toHaveLength(8);
    const summary = await app.get<{
      byKey: Record<string, number>;
      repeatsIgnored: number;
    }>('/analytics');
    expect(summary.status).toBe(401);
    const counted = await app.request<{ byKey: Record<string, number> }>(
      'GET',
      '/analytics',
      undefined,
      WITH_KEY,
    );
    expect(counted.body.byKey['k-3']).toBe(4);
    await waitFor(
      () =>
        handled.filter((h) => h.group === 'realtime' && h.meta.key === 'k-3')
          .length === 8,
      { what: 'realtime got both copies' },
    );
    await waitFor(() => events.join('').match(/"key":"k-3"/g)?.length === 4, {
      what: 'the stream shows each of the 4 ids',
    });
    expect(
      ids.every((id) => events.join('').split(`"id":"${id}"`).length === 2),
    ).toBe(true);
    await chunks.cancel();
    await reading;
  });
});

describe('event streams are bounded and behind the key (real broker)', () => {
  const brokers = inject('kafkaBrokers');
  const topic = uniqueName('sse');
  let admin: TestAdmin;
  let app: TestApp;

  beforeAll(async () => {
    admin = await new TestAdmin(brokers).connect();
    app = await TestApp.start({
      env: {
        ...ownTopicEnv(brokers, topic, P),
        PRODUCE_API_KEY: KEY,
        SSE_MAX_STREAMS: '2',
        SSE_MAX_BUFFERED_BYTES: '65536',
        PRODUCE_MAX_PAYLOAD_BYTES: '200000',
        HTTP_BODY_LIMIT_BYTES: '300000',
      },
    });
  });

  afterAll(async () => {
    await app?.close();
    await admin.deleteTopics([topic]);
    await admin.disconnect();
  });

  it('answers 401 for the record stream without the key', async () => {
    const stranger = await fetch(`${app.url}/realtime/stream`);
    expect(stranger.status).toBe(401);
    await stranger.body?.cancel();
  });

  it('refuses streams past SSE_MAX_STREAMS (503) and drops a reader that never reads, keeping the others', async () => {
    const stalled = await openStream(app.url, '/realtime/stream');
    expect(await firstLine(stalled)).toBe('HTTP/1.1 200 OK');
    stalled.pause(); // never reads again

    const reader = await openStream(app.url, '/realtime/stream');
    expect(await firstLine(reader)).toBe('HTTP/1.1 200 OK');
    let readerBytes = 0;
    reader.on('data', (chunk: Buffer) => (readerBytes += chunk.length));

    /** Status of one more stream (closed at once when it was let in). */
    const oneMore = async () => {
      const answer = await fetch(`${app.url}/realtime/stream`, {
        headers: WITH_KEY,
      });
      await answer.body?.cancel();
      return answer;
    };
    const third = await oneMore();
    expect(third.status).toBe(503);
    expect(third.headers.get('retry-after')).toBe('5');

    // ~0.9 MB of events per request until the server drops the stalled
    // reader and its slot is free again (the kernel's socket buffers take
    // some first); bounded at 60 requests.
    const payload = 'x'.repeat(150_000);
    let freed = false;
    for (let i = 0; i < 60 && !freed; i++) {
      const sent = await app.post(
        '/produce',
        { messagesPerPartition: 2, payload },
        WITH_KEY,
      );
      expect(sent.status).toBe(201);
      await waitFor(() => readerBytes > (i + 1) * 6 * 150_000, {
        what: `the reading client keeps up (request ${i + 1}, ${readerBytes} bytes read)`,
      });
      freed = (await oneMore()).status === 200;
      console.log(
        `after ${i + 1} requests: ${Math.round(readerBytes / 1e6)} MB read, stalled reader ${freed ? 'dropped' : 'still open'}`,
      );
    }
    expect(freed).toBe(true);
    expect(reader.destroyed).toBe(false);
    stalled.destroy();
    reader.destroy();
  });
});
