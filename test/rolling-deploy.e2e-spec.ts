import { inject } from 'vitest';
import type {
  ClusterView,
  GroupBandView,
} from '../src/dashboard/cluster-view.js';
import type { Browser } from 'playwright-core';
import { dashboardView } from './support/dashboard-events.js';
import { DashboardPage, launchChromium } from './support/dashboard-page.js';
import { staticMembershipUnderTest } from './support/engine.js';
import {
  GROUPS,
  type GroupName,
  Scenario,
  sessionTimeoutUnderTest,
} from './support/replica-cluster.js';
import { buildAppIfStale, ReplicaProcess } from './support/replica-process.js';
import { systemBinary } from './support/system-binary.js';
import { TestAdmin } from './support/test-admin.js';
import { waitFor } from './support/wait-for.js';

const REFRESH_MS = 300;

/** Partition → the instance id the dashboard shows owning it, per group. */
type OwnersById = Record<GroupName, Record<number, string | null>>;

function band(view: ClusterView, name: GroupName): GroupBandView {
  const group = view.groups.find((g) => g.name === name);
  if (!group) throw new Error(`no ${name} band`);
  return group;
}

function ownersById(view: ClusterView): OwnersById {
  const of = (name: GroupName) => {
    const group = band(view, name);
    return Object.fromEntries(
      group.partitions.map((p) => [
        p.partition,
        group.members.find((m) => m.memberId === p.owner)?.instanceId ?? null,
      ]),
    );
  };
  return { realtime: of('realtime'), analytics: of('analytics') };
}

/** Did the page mark a move at or after `since` (earlier ones come from the group forming)? */
function movedSince(movedAt: string | null, since: number): boolean {
  return movedAt !== null && Date.parse(movedAt) >= since;
}

/**
 * A rolling restart as the dashboard shows it, with real replica processes
 * on the real broker: the partitions of a static member that was SIGTERMed
 * are shown held for its instance id (not orphaned), with the estimated time
 * before the broker moves them, and when it comes back with the same id the
 * mark goes and they are its own again. Static membership is the platformatic
 * engine's, and the away member (epoch -2) is KIP-848's ConsumerGroupDescribe.
 */
describe.skipIf(!staticMembershipUnderTest())(
  'the dashboard during a rolling restart of static members',
  () => {
    const brokers = inject('kafkaBrokers');
    let admin: TestAdmin;
    let s: Scenario | undefined;
    let browser: Browser | undefined;
    /** The page in a real browser too, where the machine has Chromium. */
    const chromiumPath = systemBinary('chromium', 'chromium');

    /** What the page shows held, per group: partition → note. */
    async function heldOnPage(page: DashboardPage | undefined) {
      if (!page) return undefined;
      const [realtime, analytics] = await Promise.all(
        GROUPS.map((name) => page.group(name)),
      );
      return { realtime: realtime.held, analytics: analytics.held };
    }

    beforeAll(async () => {
      await buildAppIfStale();
      admin = await new TestAdmin(brokers).connect();
    });

    afterAll(async () => {
      await browser?.close();
      await s?.dispose();
      await ReplicaProcess.killAll();
      await admin?.disconnect();
    });

    it('shows a restarting static member’s partitions held for its instance id, then owned by it again', async () => {
      s = new Scenario(admin, 4, { DASHBOARD_REFRESH_MS: String(REFRESH_MS) });
      s.printOnFailure();
      await s.createTopic();
      // The page is read on a replica that consumes nothing and is never restarted.
      const viewer = await s.spawn('viewer', { APP_ROLES: 'producer' });
      const [a, b] = await Promise.all(
        ['a', 'b'].map((id) =>
          s!.spawn(id, {
            APP_ROLES: 'realtime,analytics',
            KAFKA_GROUP_INSTANCE_ID: id,
          }),
        ),
      );
      await Promise.all([viewer, a, b].map((r) => r.ready()));
      const sessionMs = await sessionTimeoutUnderTest(admin);

      const split = await dashboardView(
        viewer.url,
        (v) =>
          GROUPS.every((name) => {
            const owners = Object.values(ownersById(v)[name]);
            return (
              band(v, name).state === 'Stable' &&
              owners.every((o) => o !== null) &&
              new Set(owners).size === 2 &&
              band(v, name).partitions.every((p) => p.heldFor === null)
            );
          }),
        'both groups split between a and b, nothing held',
      );
      const before = ownersById(split);
      console.log(`owners before: ${JSON.stringify(before)}`);
      browser = chromiumPath ? await launchChromium(chromiumPath) : undefined;
      const page = browser && (await DashboardPage.open(browser, viewer.url));

      const sigtermAt = Date.now();
      await s.stop(a, 'SIGTERM');
      const exitedMs = Date.now() - sigtermAt;
      // What the broker shows for the away member (ConsumerGroupDescribe).
      for (const name of GROUPS) {
        const group = await admin.describeGroup(s.groupIds[name]);
        const away = group.members.find((m) => m.instanceId === `a-${name}`);
        console.log(
          `${name} after a's SIGTERM (exit after ${exitedMs} ms): state ${group.state}, a-${name} epoch ${away?.memberEpoch}, partitions ${JSON.stringify(away?.assignment[s.topic])}`,
        );
      }
      const isHeld = (v: ClusterView) =>
        GROUPS.every((name) =>
          band(v, name).partitions.every(
            (p) =>
              (p.heldFor === `a-${name}`) ===
              (before[name][p.partition] === `a-${name}`),
          ),
        );
      const held = await dashboardView(
        viewer.url,
        isHeld,
        "a's partitions held",
      );
      const heldAfterMs = Date.parse(held.at) - sigtermAt;
      // The live replica reports its own instance ids, never the held one.
      const liveIds = (await b.consumers()).groups.map((g) => g.instanceId);
      for (const name of GROUPS) {
        const group = band(held, name);
        const marks = group.partitions
          .filter((p) => p.heldFor)
          .map(
            (p) =>
              `p${p.partition}: held for ${p.heldFor}, back in ${p.backInMs} ms`,
          );
        console.log(
          `${name} ${heldAfterMs} ms after SIGTERM: ${marks.join('; ')}`,
        );
        expect(liveIds).not.toContain(`a-${name}`);
        expect(liveIds).toContain(`b-${name}`);
        for (const p of group.partitions.filter((x) => x.heldFor)) {
          // Still the away member's in the broker's view: an owner, not orphaned.
          expect(p.owner).not.toBeNull();
          expect(movedSince(p.movedAt, sigtermAt)).toBe(false);
          expect(p.backInMs).toBeGreaterThan(0);
          expect(p.backInMs).toBeLessThanOrEqual(sessionMs);
        }
        const away = group.members.find((m) => m.instanceId === `a-${name}`);
        expect(away?.away?.backInMs).toBeGreaterThan(0);
      }
      if (page) {
        const notes = await waitFor(
          async () => {
            const shown = await heldOnPage(page);
            return (
              GROUPS.every(
                (name) =>
                  Object.keys(shown?.[name] ?? {}).length ===
                    Object.values(before[name]).filter((o) => o === `a-${name}`)
                      .length &&
                  Object.entries(shown?.[name] ?? {}).every(
                    ([p, note]) =>
                      before[name][Number(p)] === `a-${name}` &&
                      new RegExp(`^held for a-${name}, back in \\d+ s$`).test(
                        note,
                      ),
                  ),
              ) && shown
            );
          },
          {
            timeoutMs: 5_000,
            intervalMs: 100,
            what: "the page marks a's partitions held",
          },
        );
        console.log(`page: ${JSON.stringify(notes)}`);
        await page.screenshot('rolling-deploy-held');
      }
      // The estimate counts down with the broker's session timer.
      const later = await dashboardView(
        viewer.url,
        (v) =>
          isHeld(v) && Date.parse(v.at) >= Date.parse(held.at) + REFRESH_MS,
        'a later held view',
      );
      const heldP = (v: ClusterView) =>
        band(v, 'realtime').partitions.find((p) => p.heldFor)?.backInMs ?? 0;
      expect(heldP(later)).toBeLessThan(heldP(held));

      // Back under the same instance id (a new process, a new member id).
      const a2 = await s.spawn('a2', {
        APP_ROLES: 'realtime,analytics',
        KAFKA_GROUP_INSTANCE_ID: 'a',
      });
      await a2.ready();
      const backView = await a2.consumers();
      const memberIdOf = (name: GroupName) =>
        backView.groups.find((g) => g.name === name)?.memberId;
      const returned = await dashboardView(
        viewer.url,
        (v) =>
          GROUPS.every((name) =>
            band(v, name).partitions.every(
              (p) =>
                p.heldFor === null &&
                (before[name][p.partition] !== `a-${name}` ||
                  p.owner === memberIdOf(name)),
            ),
          ),
        'a back, nothing held',
      );
      console.log(
        `a back as a2 ${Date.parse(returned.at) - sigtermAt} ms after SIGTERM (session ${sessionMs} ms)`,
      );
      expect(ownersById(returned)).toEqual(before);
      if (page) {
        await waitFor(
          async () => {
            const shown = await heldOnPage(page);
            return GROUPS.every(
              (name) => Object.keys(shown?.[name] ?? {}).length === 0,
            );
          },
          {
            timeoutMs: 5_000,
            intervalMs: 100,
            what: 'no held mark on the page',
          },
        );
        expect(page.problems).toEqual([]);
      }
      for (const name of GROUPS) {
        // Not a move (the same instance id under a new member id), not a departure.
        expect(
          band(returned, name).partitions.filter((p) =>
            movedSince(p.movedAt, sigtermAt),
          ),
        ).toEqual([]);
        expect(
          band(returned, name).departed.map((m) => m.instanceId),
        ).not.toContain(`a-${name}`);
      }
    });
  },
);
