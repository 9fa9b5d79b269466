import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { RealtimeService } from '../src/consumers/realtime/realtime.service.js';
import type { DeadLetterEntry } from '../src/dead-letters/dead-letter-entry.js';
import {
  deadLetterTopicName,
  redriveGroupId,
  redriveLedgerTopicName,
  redriveTopicName,
} from '../src/kafka/kafka.constants.js';
import {
  ALWAYS_POISON,
  FailingRealtimeService,
  POISON,
} from './support/failing-realtime.js';
import { DashboardPage, launchChromium } from './support/dashboard-page.js';
import { systemBinary } from './support/system-binary.js';
import { TestAdmin } from './support/test-admin.js';
import { appEnv, TestApp } from './support/test-app.js';
import { uniqueName } from './support/unique.js';
import { waitFor } from './support/wait-for.js';

const KEY = 'redrive-key';
const chromiumPath = systemBinary('chromium', 'chromium');
const AUTH = { 'x-api-key': KEY };

interface Page {
  count: number;
  entries: DeadLetterEntry[];
  nextBefore: string | null;
}
interface Answer {
  redriveId: string | null;
  sent: number;
  skipped: number;
  failed: number;
  records: { dlqOffset: string; outcome: string }[];
}

describe('dead letters: inspect and redrive (real broker)', () => {
  const brokers = inject('kafkaBrokers');
  const topic = uniqueName('redrive');
  const realtime = uniqueName('rt');
  const analytics = uniqueName('an');
  const journal = join(
    mkdtempSync(join(tmpdir(), 'redrive-')),
    'handled.jsonl',
  );
  const dlq = deadLetterTopicName(topic, realtime);
  const redriveTopic = redriveTopicName(topic, realtime);
  let admin: TestAdmin;
  let app: TestApp;

  /** Every handling the journal recorded: group → record id → times. */
  function handled(): Map<string, Map<string, number>> {
    const groups = new Map<string, Map<string, number>>();
    if (!existsSync(journal)) return groups;
    for (const line of readFileSync(journal, 'utf8').split('\n')) {
      if (!line) continue;
      const { group, id } = JSON.parse(line) as { group: string; id: string };
      const ids = groups.get(group) ?? new Map<string, number>();
      ids.set(id, (ids.get(id) ?? 0) + 1);
      groups.set(group, ids);
    }
    return groups;
  }

  const list = async (query: string) =>
    app.request<Page>('GET', `/dead-letters?${query}`, undefined, AUTH);
  const redrive = async (body: object) =>
    app.post<Answer>('/dead-letters/redrive', body, AUTH);
  const count = async () => (await list('group=realtime')).body.count;

  beforeAll(async () => {
    admin = await new TestAdmin(brokers).connect();
    FailingRealtimeService.fixed = false;
    app = await TestApp.start({
      env: {
        ...appEnv({ brokers, topic, partitions: 2, realtime, analytics }),
        CONSUMER_MAX_RETRIES: '1',
        CONSUMER_RETRY_BACKOFF_MS: '20',
        CONSUMER_JOURNAL_FILE: journal,
        PRODUCE_API_KEY: KEY,
      },
      override: (builder) =>
        builder
          .overrideProvider(RealtimeService)
          .useClass(FailingRealtimeService),
    });
    await app.untilJoined(AUTH);
  });

  afterAll(async () => {
    await app?.close();
    await admin.deleteTopics([
      topic,
      dlq,
      deadLetterTopicName(topic, analytics),
      redriveTopic,
      redriveTopicName(topic, analytics),
      redriveLedgerTopicName(topic),
    ]);
    await admin.deleteGroups([
      realtime,
      analytics,
      redriveGroupId(realtime),
      redriveGroupId(analytics),
    ]);
    await admin.disconnect();
  });

  it('lists dead letters with reasons, redrives them to realtime only, once, and returns a record that fails again with its history', async () => {
    // 4 poisoned records (fixable), 1 that always fails, 6 clean ones.
    const produce = async (body: object) =>
      expect((await app.post('/produce', body, AUTH)).status).toBe(201);
    await produce({ messagesPerPartition: 2, payload: POISON });
    await produce({
      messagesPerPartition: 1,
      partitions: [0],
      payload: ALWAYS_POISON,
    });
    await produce({ messagesPerPartition: 3 });

    await waitFor(async () => (await count()) === 5, {
      timeoutMs: 60_000,
      what: 'five dead letters for realtime',
    });
    await waitFor(() => (handled().get(analytics)?.size ?? 0) === 11, {
      what: 'analytics handled all 11 records',
    });
    await waitFor(() => (handled().get(realtime)?.size ?? 0) === 6, {
      what: 'realtime handled the 6 clean records',
    });

    // GET: newest first, reasons from the publisher's headers, paged.
    const all = (await list('group=realtime&limit=50')).body;
    expect(all.entries.map((e) => e.dlqOffset)).toEqual([
      '4',
      '3',
      '2',
      '1',
      '0',
    ]);
    expect(all.nextBefore).toBeNull();
    for (const entry of all.entries) {
      expect(entry).toMatchObject({
        dlqPartition: 0,
        topic,
        attempts: 2,
        totalAttempts: 2,
        reason: { errorClass: 'Error' },
        history: [],
        redriven: null,
      });
      expect(entry.reason.message).toMatch(/^refusing /);
      expect(entry.firstFailedAt).toBe(entry.lastFailedAt);
      expect([0, 1]).toContain(entry.partition);
    }
    const first = (await list('group=realtime&limit=2')).body;
    expect(first.entries.map((e) => e.dlqOffset)).toEqual(['4', '3']);
    expect(first.nextBefore).toBe('3');
    const second = (await list(`group=${realtime}&limit=2&before=3`)).body;
    expect(second.entries.map((e) => e.dlqOffset)).toEqual(['2', '1']);
    expect((await list('group=analytics')).body.count).toBe(0);

    // Refusals that say what to fix.
    const unknown = await list('group=nobody');
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain(realtime);
    expect((await list('group=realtime&limit=501')).status).toBe(400);
    expect((await list('group=realtime&before=x')).status).toBe(400);
    expect((await redrive({ group: 'realtime', offsets: [99] })).status).toBe(
      404,
    );
    expect((await redrive({ group: 'realtime', offsets: [-1] })).status).toBe(
      400,
    );
    expect(
      (await redrive({ group: 'realtime', offsets: [1], upTo: 2 })).status,
    ).toBe(400);
    expect((await redrive({ group: 'realtime' })).status).toBe(400);
    expect((await redrive({ group: 'nobody', upTo: 1 })).status).toBe(404);

    // A dry run writes nothing.
    const dry = await redrive({ group: 'realtime', upTo: 4, dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({
      sent: 0,
      skipped: 0,
      failed: 0,
      redriveId: null,
    });
    expect(dry.body.records.map((r) => r.outcome)).toEqual(
      Array(5).fill('would-send'),
    );
    expect(await admin.endOffsets(redriveTopic)).toEqual({ 0: 0 });
    expect(
      (await list('group=realtime')).body.entries.every((e) => !e.redriven),
    ).toBe(true);

    // The fix is deployed; the dead letters go back to realtime.
    FailingRealtimeService.fixed = true;
    const poisoned = [...handled().get(analytics)!.keys()].filter(
      (id) => !handled().get(realtime)?.has(id),
    );
    expect(poisoned).toHaveLength(5);
    const sent = await redrive({ group: 'realtime', upTo: 4 });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ sent: 5, skipped: 0, failed: 0 });

    // Four are handled now; the fifth fails again and returns with its history.
    await waitFor(async () => (await count()) === 6, {
      timeoutMs: 60_000,
      what: 'the record that fails again back in the dead-letter topic',
    });
    await waitFor(
      () => admin.caughtUp(redriveGroupId(realtime), redriveTopic),
      {
        what: 'the redrive group committed every redriven record',
      },
    );
    const rt = handled().get(realtime)!;
    const rtRedrive = handled().get(redriveGroupId(realtime))!;
    const fixedIds = poisoned.filter((id) => rtRedrive.has(id));
    expect(fixedIds).toHaveLength(4);
    for (const id of poisoned) {
      expect((rt.get(id) ?? 0) + (rtRedrive.get(id) ?? 0)).toBe(
        fixedIds.includes(id) ? 1 : 0,
      );
      expect(handled().get(analytics)!.get(id)).toBe(1);
    }
    expect(handled().has(redriveGroupId(analytics))).toBe(false);

    const after = (await list('group=realtime')).body;
    const again = after.entries[0];
    expect(again.dlqOffset).toBe('5');
    expect(again.topic).toBe(topic);
    expect(again.attempts).toBe(2);
    expect(again.totalAttempts).toBe(4);
    expect(again.history).toHaveLength(1);
    expect(again.history[0]).toMatchObject({ redriveId: sent.body.redriveId });
    const original = after.entries.find(
      (e) => e.dlqOffset === again.history[0].dlqOffset,
    )!;
    expect([original.partition, original.offset]).toEqual([
      again.partition,
      again.offset,
    ]);
    expect(again.firstFailedAt).toBe(original.lastFailedAt);
    expect(again.redriven).toBeNull();
    for (const entry of after.entries.slice(1)) {
      expect(entry.redriven?.redriveId).toBe(sent.body.redriveId);
    }

    // Asking again sends nothing: every one is skipped.
    const ends = await admin.endOffsets(redriveTopic);
    const twice = await redrive({ group: 'realtime', upTo: 4 });
    expect(twice.body).toMatchObject({ sent: 0, skipped: 5, failed: 0 });
    expect(await admin.endOffsets(redriveTopic)).toEqual(ends);

    // The one that failed again can be redriven again later.
    const later = await redrive({ group: 'realtime', offsets: [5] });
    expect(later.body).toMatchObject({ sent: 1, skipped: 0 });
    await waitFor(async () => (await count()) === 7, {
      timeoutMs: 60_000,
      what: 'the third failure back in the dead-letter topic',
    });
    const third = (await list('group=realtime&limit=1')).body.entries[0];
    expect(third.history.map((h) => h.dlqOffset)).toEqual([
      again.history[0].dlqOffset,
      '5',
    ]);
    expect(third.totalAttempts).toBe(6);
  });

  it.skipIf(!chromiumPath)(
    "shows the group's dead-letter count and reasons on /dashboard, and its redrive button redrives with the API key",
    async () => {
      const browser = await launchChromium(chromiumPath ?? 'chromium');
      try {
        const page = await DashboardPage.open(browser, app.url);
        await page.page.fill('#api-key', KEY);
        await page.page.dispatchEvent('#api-key', 'change');
        const before = await count();
        await waitFor(
          async () => (await page.deadLetterCount('realtime')) === before,
          { what: `the page showing ${before} dead letters for realtime` },
        );
        expect(
          await page.page
            .locator('[data-dead-reason="realtime"]')
            .first()
            .textContent(),
        ).toMatch(/Error: refusing /);
        await page.page.click('[data-redrive="realtime"]');
        await page.page.waitForFunction(() =>
          /realtime: 1 sent, \d+ skipped/.test(
            document.querySelector('#redrive-result')?.textContent ?? '',
          ),
        );
        // The one record that always fails is back, once more.
        await waitFor(
          async () => (await page.deadLetterCount('realtime')) === before + 1,
          { timeoutMs: 60_000, what: 'the page showing the new dead letter' },
        );
        expect(page.problems).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );
});
