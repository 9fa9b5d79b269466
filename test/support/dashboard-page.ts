/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { REPO_ROOT } from './repo-root.js';

/** Screenshots of the browser tests (git-ignored). */
export const SCREENSHOTS = join(REPO_ROOT, 'test-output');

/** Headless Chromium from the machine (Debian's package), never a downloaded browser. */
export async function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    // Root in CI has no user namespace sandbox to offer.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}

/** What the page shows for one group: the owner member id of each partition, lag and its status. */
export interface GroupOnPage {
  owners: Record<number, string>;
  lag: Record<number, number>;
  /** Lag status per partition, and the group's (worst) in `groupStatus`. */
  status: Record<number, string>;
  groupStatus: string;
  members: string[];
  departed: string[];
  moved: number[];
  /** Partition → its "held for <instance id>, back in N s" note, while it waits for a static member. */
  held: Record<number, string>;
}

/** The /dashboard page in a browser tab, read the way a person reads it: from the DOM. */
export class DashboardPage {
  readonly problems: string[] = [];

  private constructor(readonly page: Page) {
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') {
        this.problems.push(`console ${message.type()}: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) =>
      this.problems.push(`page error: ${error.message}`),
    );
  }

  static async open(
    browser: Browser,
    url: string,
    viewport = { width: 1280, height: 800 },
  ): Promise<DashboardPage> {
    const page = await browser.newPage({ viewport });
    const dashboard = new DashboardPage(page);
    await page.goto(`${url}/dashboard`);
    await page.waitForSelector('[data-owner]');
    return dashboard;
  }

  async group(name: string): Promise<GroupOnPage> {
    return this.page.evaluate((group) => {
      const all = (selector: string) => [
        ...document.querySelectorAll<HTMLElement>(selector),
      ];
      return {
        owners: Object.fromEntries(
          all(`[data-owner][data-group="${group}"]`).map((cell) => [
            Number(cell.dataset.partition),
            cell.dataset.owner ?? '',
          ]),
        ),
        lag: Object.fromEntries(
          all(`[data-lag-group="${group}"]`).map((cell) => [
            Number(cell.dataset.lagPartition),
            Number(cell.textContent),
          ]),
        ),
        status: Object.fromEntries(
          all(`[data-status-group="${group}"]`).map((cell) => [
            Number(cell.dataset.statusPartition),
            cell.textContent ?? '',
          ]),
        ),
        groupStatus:
          document.querySelector(`[data-group-status="${group}"]`)
            ?.textContent ?? '',
        members: all(`li[data-member][data-group="${group}"]`).map(
          (li) => li.dataset.member ?? '',
        ),
        departed: all(`li[data-departed][data-group="${group}"]`).map(
          (li) => li.dataset.departed ?? '',
        ),
        moved: all(`[data-owner][data-group="${group}"] [data-moved]`).map(
          (note) => Number(note.dataset.moved),
        ),
        held: Object.fromEntries(
          all(`[data-owner][data-group="${group}"] [data-held]`).map((note) => [
            Number(note.dataset.held),
            note.textContent ?? '',
          ]),
        ),
      };
    }, name);
  }

  /** The dead-letter count the page shows for a group (null until shown). */
  async deadLetterCount(group: string): Promise<number | null> {
    const text = await this.page
      .locator(`[data-dead-count="${group}"]`)
      .textContent({ timeout: 1_000 })
      .catch(() => null);
    return text === null ? null : Number(text);
  }

  async endOffsets(): Promise<number[]> {
    return this.page.$$eval('[data-end]', (cells) =>
      cells.map((cell) => Number(cell.textContent)),
    );
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const path = join(SCREENSHOTS, `${name}.png`);
    await this.page.screenshot({ path, fullPage: true });
    return path;
  }

  async close(): Promise<void> {
    await this.page.close();
  }
}
