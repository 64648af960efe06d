// The site in a real browser: Debian's headless Chromium, driven by
// playwright-core (which never downloads a browser of its own). Skipped,
// with a note, where /usr/bin/chromium is not installed. (Code that runs in
// the page is passed as a string: the project's types do not include the DOM.)
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveSite } from '../../runner/render/index.ts';
import { copyFixtures, fixtureLessons, realLessons } from './helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log(`Skipping the browser tests: ${CHROMIUM} is not installed (apt-get install chromium).`);

/** Where the screenshots go, to be looked at by a person. */
export const SHOTS_DIR = join(tmpdir(), 'workbook-render-screenshots');

describe.skipIf(!hasChromium)('the site in headless Chromium', () => {
  let context: BrowserContext;
  let profile: string;
  const servers: { url: string; close(): Promise<void>; log: string[] }[] = [];

  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), 'workbook-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 900 },
    });
  });

  afterAll(async () => {
    await context?.close();
    for (const s of servers) await s.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  async function serve(lessonsDir: string) {
    const log: string[] = [];
    const site = await serveSite({
      lessonsDir,
      port: 0,
      statePath: join(lessonsDir, '..', 'no-such-state.json'),
      log: (l) => log.push(l),
    });
    const entry = { ...site, log };
    servers.push(entry);
    expect(
      log.filter((l) => l.startsWith('render error')),
      'the lessons must render',
    ).toEqual([]);
    return entry;
  }

  /** A new tab that records everything that went wrong while it was open. */
  async function watchedPage(origin: string): Promise<{ page: Page; problems: string[] }> {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`script error: ${e.message}`));
    page.on(
      'requestfailed',
      (r) =>
        !r.url().endsWith('/__workbook/events') &&
        problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`),
    );
    page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`));
    page.on(
      'request',
      (r) =>
        !r.url().startsWith(origin) &&
        !r.url().startsWith('data:') &&
        problems.push(`fetched from outside: ${r.url()}`),
    );
    return { page, problems };
  }

  for (const [name, dir] of [
    ['the fixture lessons', fixtureLessons],
    ['the real lessons', realLessons],
  ] as const) {
    it(`loads every page of ${name} with no console error, no failed request and nothing from outside`, async () => {
      const site = await serve(dir);
      const { page, problems } = await watchedPage(site.url);
      await page.goto(site.url);
      const lessons = await page.$$eval('.lesson-card h2 a', (as) => as.map((a) => (a as { href: string }).href));
      expect(lessons.length).toBeGreaterThan(0);
      for (const url of lessons) {
        await page.goto(url);
        expect(await page.locator('main h1').count(), url).toBe(1);
      }
      expect(problems).toEqual([]);
      await page.close();
    });

    it(`fits a phone's screen (375 px) without sideways scrolling, for ${name}`, async () => {
      const site = await serve(dir);
      const { page } = await watchedPage(site.url);
      await page.setViewportSize({ width: 375, height: 800 });
      await page.goto(site.url);
      const pages = [
        site.url,
        ...(await page.$$eval('.lesson-card h2 a', (as) => as.map((a) => (a as { href: string }).href))),
      ];
      for (const url of pages) {
        await page.goto(url);
        const overflow = await page.evaluate<number>(
          'document.documentElement.scrollWidth - document.documentElement.clientWidth',
        );
        expect(overflow, `${url} is wider than the phone`).toBeLessThanOrEqual(0);
      }
      await page.close();
    });
  }

  for (const [name, dir, slug] of [
    ['the fixture lessons', fixtureLessons, 'fixtures'],
    ['the real lessons', realLessons, 'lessons'],
  ] as const) {
    it(`follows the navigation of ${name}: index, each lesson by "Next", back to the contents`, async () => {
      const site = await serve(dir);
      const { page, problems } = await watchedPage(site.url);
      await page.goto(site.url);
      const titles = await page.$$eval('.lesson-card h2 a', (as) => as.map((a) => a.textContent ?? ''));
      await page.click('.lesson-card h2 a');
      for (const [i, title] of titles.entries()) {
        await expect.poll(() => page.title()).toContain(title);
        if (i < titles.length - 1) await page.click('a[rel="next"]');
      }
      await page.click('.pager-next');
      await expect.poll(() => page.url()).toBe(`${site.url}index.html`);
      // A task link on the index lands on the task's heading.
      await page.click('.tasks a');
      expect(new URL(page.url()).hash).toBe('#task-1');
      await expect.poll(() => page.locator('#task-1').isVisible()).toBe(true);
      expect(problems).toEqual([]);
      await page.close();
    });

    it(`opens a hint of ${name} with one click, and one hint at a time`, async () => {
      const site = await serve(dir);
      const { page } = await watchedPage(site.url);
      await page.goto(`${site.url}index.html`);
      await page.click('.lesson-card h2 a');
      const hints = page.locator('details.hint');
      expect(await hints.count()).toBeGreaterThan(1);
      const first = hints.nth(0);
      expect(await first.evaluate((d) => (d as { open: boolean }).open)).toBe(false);
      expect(await first.locator('.hint-body').isVisible()).toBe(false);
      await first.locator('summary').click();
      expect(await first.evaluate((d) => (d as { open: boolean }).open)).toBe(true);
      expect(await first.locator('.hint-body').isVisible()).toBe(true);
      expect(await hints.nth(1).evaluate((d) => (d as { open: boolean }).open)).toBe(false);
      // A link to a hint (the runner may print one) opens it.
      const anchor = await hints.nth(1).locator('.hint-body').getAttribute('id');
      expect(anchor).toMatch(/^task-\d+-hint-\d+$/);
      await page.goto(`${page.url().split('#')[0]}#${anchor}`);
      await expect.poll(() => hints.nth(1).evaluate((d) => (d as { open: boolean }).open)).toBe(true);
      await page.close();
    });

    it(`shows ${name} in the light and dark themes (screenshots saved for a person to look at)`, async () => {
      const site = await serve(dir);
      const { page } = await watchedPage(site.url);
      mkdirSync(SHOTS_DIR, { recursive: true });
      await page.goto(site.url);
      await page.click('.lesson-card h2 a');
      await page.locator('details.hint summary').first().click();
      const backgrounds: string[] = [];
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        backgrounds.push(await page.evaluate<string>('getComputedStyle(document.body).backgroundColor'));
        // Two screens per theme (the opening, and the first task's hints)
        // rather than the whole page: lessons are long.
        await page.evaluate('window.scrollTo(0, 0)');
        await page.screenshot({ path: join(SHOTS_DIR, `${slug}-lesson-${scheme}.png`) });
        await page.locator('details.hint').first().scrollIntoViewIfNeeded();
        await page.evaluate('window.scrollBy(0, 250)');
        await page.screenshot({ path: join(SHOTS_DIR, `${slug}-lesson-${scheme}-hints.png`) });
      }
      await page.setViewportSize({ width: 375, height: 800 });
      await page.screenshot({ path: join(SHOTS_DIR, `${slug}-lesson-phone-dark.png`) });
      await page.emulateMedia({ colorScheme: 'light' });
      await page.goto(site.url);
      await page.screenshot({ path: join(SHOTS_DIR, `${slug}-index-phone-light.png`) });
      expect(backgrounds).toEqual(['rgb(251, 250, 247)', 'rgb(22, 24, 29)']);
      console.log(`Screenshots of the site: ${SHOTS_DIR}`);
      await page.close();
    });
  }

  it('reloads the open page when a lesson file changes (serve mode)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'workbook-live-'));
    try {
      const lessons = copyFixtures(root);
      const site = await serve(lessons);
      const { page, problems } = await watchedPage(site.url);
      // The server holds the page's event stream once the response's headers arrive.
      const listening = page.waitForResponse((r) => r.url().endsWith('/__workbook/events'), { timeout: 5000 });
      await page.goto(`${site.url}01-echo.html`);
      await listening;
      const readme = join(lessons, '01-echo', 'README.md');
      writeFileSync(readme, readFileSync(readme, 'utf8').replace('# Lesson 01: Echo', '# Lesson 01: Echo, edited'));
      await expect.poll(() => page.locator('main h1').textContent(), { timeout: 8000 }).toBe('Lesson 01: Echo, edited');
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
