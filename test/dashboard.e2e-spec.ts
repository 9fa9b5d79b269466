/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { inject } from 'vitest';
import type { Browser } from 'playwright-core';
import {
  DashboardPage,
  type GroupOnPage,
  launchChromium,
} from './support/dashboard-page.js';
import { parseMetrics, sampleValue } from './support/metrics-text.js';
import {
  GROUPS,
  Scenario,
  SESSION_TIMEOUT_MS,
  TAKEOVER_MARGIN_MS,
} from './support/replica-cluster.js';
import { buildAppIfStale, ReplicaProcess } from './support/replica-process.js';
import { systemBinary } from './support/system-binary.js';
import { TestAdmin } from './support/test-admin.js';
import { waitFor } from './support/wait-for.js';

const chromiumPath = systemBinary('chromium', 'chromium');
const P = 4;
const REFRESH_MS = 500;
const WINDOW_MS = 3_000;
// A read: end offsets, describeGroups, the committed offsets of each of the two groups.
const REQUESTS_PER_READ = 4;

describe.skipIf(!chromiumPath)(
  'GET /dashboard in a real browser (Chromium)',
  () => {
    const brokers = inject('kafkaBrokers');
    let admin: TestAdmin;
    let scenario: Scenario;
    let browser: Browser;
    let front: ReplicaProcess;
    let page: DashboardPage;
    const pages: DashboardPage[] = [];

    /** The partitions the page shows `memberId` owning. */
    function ownedBy(group: GroupOnPage, memberId: string): number[] {
      return Object.entries(group.owners)
        .filter(([, owner]) => owner === memberId)
        .map(([partition]) => Number(partition));
    }

    /** Member id of each replica in a group, from the replica's own /consumers. */
    async function memberIds(group: string, replicas: ReplicaProcess[]) {
      return Promise.all(
        replicas.map(async (r) => {
          const view = await r.consumers();
          return view.groups.find((g) => g.name === group)?.memberId ?? '';
        }),
      );
    }

    async function metric(name: string): Promise<number> {
      const text = await (await fetch(`${front.url}/metrics`)).text();
      return sampleValue(parseMetrics(text), name) ?? NaN;
    }
    const dashboardRequests = () =>
      metric('nkg_dashboard_broker_requests_total');

    /** Broker requests per second made for the dashboard over a measured window. */
    async function requestRate(windowMs: number): Promise<number> {
      const before = await dashboardRequests();
      const started = Date.now();
      await new Promise((resolve) => setTimeout(resolve, windowMs)); // the window is what is measured
      return (
        ((await dashboardRequests()) - before) /
        ((Date.now() - started) / 1_000)
      );
    }

    beforeAll(async () => {
      await buildAppIfStale();
      admin = await new TestAdmin(brokers).connect();
      scenario = new Scenario(admin, P, {
        DASHBOARD_REFRESH_MS: String(REFRESH_MS),
      });
      await scenario.createTopic();
      [front] = await scenario.start('A');
      await waitFor(() => scenario.completeSplit(), {
        what: 'A owns every partition',
      });
      browser = await launchChromium(chromiumPath ?? 'chromium');
      page = await DashboardPage.open(browser, front.url);
      pages.push(page);
    });

    afterAll(async () => {
      for (const p of pages) {
        await p.close().catch(() => undefined);
      }
      await browser?.close();
      await ReplicaProcess.killAll();
      await admin.deleteTopics([scenario.topic]);
      await admin.disconnect();
    });

    afterEach(() => {
      // Every page of every step: no console error, no page error.
      expect(pages.flatMap((p) => p.problems)).toEqual([]);
    });

    it('shows both groups, every partition, one member owning all of each group', async () => {
      for (const group of GROUPS) {
        const [memberId] = await memberIds(group, [front]);
        const onPage = await waitFor(
          async () => {
            const g = await page.group(group);
            return Object.values(g.owners).every((o) => o === memberId)
              ? g
              : undefined;
          },
          { what: `${group} owned by A on the page` },
        );
        expect(Object.keys(onPage.owners).map(Number)).toEqual([0, 1, 2, 3]);
        expect(onPage.members).toEqual([memberId]);
      }
      await page.screenshot('dashboard-one-member');
    });

    it('produces from its form, then shows both groups back at lag 0 and status OK', async () => {
      await page.page.fill('#per-partition', '2');
      await page.page.click('#produce-form button');
      await page.page.waitForFunction(() =>
        /8 records written/.test(
          document.querySelector('#produce-result')?.textContent ?? '',
        ),
      );
      const shown = await waitFor(
        async () => {
          const ends = await page.endOffsets();
          const lags = await Promise.all(GROUPS.map((g) => page.group(g)));
          return ends.every((end) => end === 2) &&
            lags.every((g) => Object.values(g.lag).every((lag) => lag === 0))
            ? lags
            : undefined;
        },
        { what: 'end offsets 2 and lag 0 on the page' },
      );
      expect(shown.map((g) => Object.values(g.lag))).toEqual([
        [0, 0, 0, 0],
        [0, 0, 0, 0],
      ]);
      expect(
        shown.map((g) => [g.groupStatus, ...Object.values(g.status)]),
      ).toEqual([
        ['OK', 'OK', 'OK', 'OK', 'OK'],
        ['OK', 'OK', 'OK', 'OK', 'OK'],
      ]);
      for (const group of Object.values(scenario.groupIds)) {
        expect(await admin.caughtUp(group, scenario.topic)).toBe(true);
      }
    });

    it("shows each group's dead-letter count, the one GET /dead-letters gives", async () => {
      for (const group of GROUPS) {
        const answer = (await (
          await fetch(`${front.url}/dead-letters?group=${group}`)
        ).json()) as { count: number };
        const shown = await waitFor(
          async () => {
            const count = await page.deadLetterCount(group);
            return count === answer.count ? String(count) : undefined;
          },
          { what: `${group}'s dead-letter count on the page` },
        );
        expect(Number(shown)).toBe(answer.count);
      }
    });

    it('costs the broker no more with ten viewers than with one', async () => {
      const one = await requestRate(WINDOW_MS);
      for (let i = 0; i < 9; i++) {
        pages.push(await DashboardPage.open(browser, front.url));
      }
      expect(await metric('nkg_dashboard_viewers')).toBe(10);
      const ten = await requestRate(WINDOW_MS);
      console.log(
        `dashboard broker requests/s: 1 viewer ${one.toFixed(1)}, 10 viewers ${ten.toFixed(1)}`,
      );
      expect(one).toBeGreaterThan(0);
      // One read per refresh whatever the number of pages: the two windows may
      // differ by the reads that straddle their edges, never by a factor of ten.
      const jitter = (2 * REQUESTS_PER_READ) / (WINDOW_MS / 1_000);
      expect(ten).toBeLessThanOrEqual(one + jitter);
      for (const extra of pages.splice(1)) {
        await extra.close();
      }
    });

    it('shows a second replica splitting each group, then the partitions back on one member after its SIGTERM', async () => {
      const [second] = await scenario.start('B');
      await waitFor(() => scenario.completeSplit(), { what: 'A and B split' });
      for (const group of GROUPS) {
        const ids = await memberIds(group, [front, second]);
        const onPage = await waitFor(
          async () => {
            const g = await page.group(group);
            const owners = new Set(Object.values(g.owners));
            return owners.size === 2 && ids.every((id) => owners.has(id))
              ? g
              : undefined;
          },
          { what: `${group} split between A and B on the page` },
        );
        expect(onPage.members.sort()).toEqual([...ids].sort());
      }
      await page.screenshot('dashboard-two-members');

      const [aRealtime] = await memberIds('realtime', [front]);
      const [bRealtime] = await memberIds('realtime', [second]);
      const ownedByB = ownedBy(await page.group('realtime'), bRealtime);
      expect(ownedByB).toHaveLength(P / 2);
      const stopped = Date.now();
      await scenario.stop(second, 'SIGTERM');
      const back = await waitFor(
        async () => {
          const g = await page.group('realtime');
          return Object.values(g.owners).every((o) => o === aRealtime) &&
            g.departed.includes(bRealtime)
            ? g
            : undefined;
        },
        { what: 'realtime back on A, B shown leaving', timeoutMs: 15_000 },
      );
      console.log(
        `page shows the handover ${Date.now() - stopped} ms after SIGTERM`,
      );
      // Each partition B had is shown as moved (others may show earlier moves).
      expect(back.moved).toEqual(expect.arrayContaining(ownedByB));
    });

    it("shows a SIGKILLed replica's partitions moved after the session timeout", async () => {
      const [third] = await scenario.start('C');
      await waitFor(() => scenario.completeSplit(), { what: 'A and C split' });
      const [cAnalytics] = await memberIds('analytics', [third]);
      const [aAnalytics] = await memberIds('analytics', [front]);
      const ownedByC = await waitFor(
        async () => {
          const owned = ownedBy(await page.group('analytics'), cAnalytics);
          return owned.length === P / 2 ? owned : undefined;
        },
        { what: 'C owning half the partitions on the page' },
      );
      const killed = Date.now();
      await scenario.stop(third, 'SIGKILL');
      const moved = await waitFor(
        async () => {
          const g = await page.group('analytics');
          return Object.values(g.owners).every((o) => o === aAnalytics) &&
            g.departed.includes(cAnalytics)
            ? g
            : undefined;
        },
        {
          what: 'analytics back on A after the session timeout',
          timeoutMs: SESSION_TIMEOUT_MS + TAKEOVER_MARGIN_MS + 10_000,
        },
      );
      const elapsed = Date.now() - killed;
      console.log(
        `page shows the takeover ${elapsed} ms after SIGKILL (session timeout ${SESSION_TIMEOUT_MS} ms)`,
      );
      expect(elapsed).toBeGreaterThanOrEqual(SESSION_TIMEOUT_MS - 1_000);
      expect(moved.moved).toEqual(expect.arrayContaining(ownedByC));
      await page.screenshot('dashboard-after-kill');
    });

    it('reads at phone width and reaches the form with the keyboard', async () => {
      const phone = await DashboardPage.open(browser, front.url, {
        width: 390,
        height: 844,
      });
      pages.push(phone);
      const [pageWidth, viewport] = await phone.page.evaluate(() => [
        document.documentElement.scrollWidth,
        window.innerWidth,
      ]);
      expect(pageWidth).toBeLessThanOrEqual(viewport);
      await phone.screenshot('dashboard-phone');
      let focused = '';
      for (let i = 0; i < 10 && focused !== 'Produce'; i++) {
        await phone.page.keyboard.press('Tab');
        focused = await phone.page.evaluate(
          () => document.activeElement?.textContent ?? '',
        );
      }
      expect(focused).toBe('Produce');
    });
  },
);
