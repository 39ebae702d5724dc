/**
 * Headless Chromium for the browser tests, through playwright-core and the
 * system's Debian Chromium (playwright's own browser download does not work
 * here). Under CI=true a missing Chromium fails the tests (.ci/run installs
 * it); elsewhere the browser tests are skipped with the reason in their
 * names and a loud warning.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CUSTODES_CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM_PATH);
const IN_CI = process.env.CI === 'true';

/** True when the browser tests must be skipped (no Chromium, not in CI). */
export const SKIP_BROWSER = !HAVE_CHROMIUM && !IN_CI;
/** Appended to test names so a skip says why. */
export const SKIP_REASON = SKIP_BROWSER ? ` [SKIPPED: no Chromium at ${CHROMIUM_PATH}; apt-get install -y chromium]` : '';

if (SKIP_BROWSER) {
  console.warn(
    `\n!!! ${'='.repeat(70)}\n!!! Browser tests SKIPPED: Chromium is not installed at ${CHROMIUM_PATH}.\n` +
      `!!! Install it with: apt-get update && apt-get install -y chromium\n` +
      `!!! (under CI=true these tests fail instead of skipping)\n!!! ${'='.repeat(70)}\n`,
  );
}

export const SCREENSHOT_DIR = join(import.meta.dirname, '../../../artifacts/screenshots');

/** Launches headless Chromium with no background network and a fresh profile (playwright makes one per launch). */
export async function launchBrowser(): Promise<Browser> {
  if (!HAVE_CHROMIUM) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}; CI=true requires it (apt-get update && apt-get install -y chromium)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** What a page did that a test should see: errors, CSP violations, requests off the page's origin. */
export interface PageWatch {
  readonly errors: string[];
  readonly offOrigin: string[];
}

/**
 * A context whose pages may talk only to `allowed` origins: anything else is
 * aborted and recorded (the pages must work with no external network).
 */
export async function newContext(browser: Browser, allowed: readonly string[]): Promise<{ context: BrowserContext; watch: PageWatch }> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const watch: PageWatch = { errors: [], offOrigin: [] };
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (allowed.some((origin) => url.startsWith(`${origin}/`))) return route.continue();
    watch.offOrigin.push(url);
    return route.abort();
  });
  context.on('page', (page) => watchPage(page, watch));
  return { context, watch };
}

function watchPage(page: Page, watch: PageWatch): void {
  page.on('pageerror', (err) => watch.errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // Failed fetches the test provokes on purpose (401, 400) are logged by Chromium as errors: keep only script and CSP errors.
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (/Failed to load resource: the server responded with a status of (4\d\d)/.test(text)) return;
    watch.errors.push(`console: ${text}`);
  });
}

/** Saves a full-page screenshot to artifacts/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * `expect.poll` with a timeout fit for a loaded machine (vitest's default is
 * 1 s; four Chromium pages and their servers can take longer under load).
 */
export function poll<T>(fn: () => Promise<T> | T) {
  return expect.poll(fn, { timeout: 15_000, interval: 50 });
}

/** Opens the explorer's Epochs panel on the log at `url`, loads it, and waits until its status says how it went. */
export async function showEpochs(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/explorer/#epochs`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.locator('#epochs-load').click();
  await poll(() => page.locator('#epochs-status').getAttribute('class')).toMatch(/ok|bad|warn/);
}

/**
 * A small accessibility audit of what is on the page now: every visible form
 * control has a label, every button and link an accessible name, every chart
 * (svg role=img) a title, ids are unique, and nothing clickable is a div.
 */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  // A string, evaluated in the page: the root tsconfig has no DOM types.
  return (await page.evaluate(`(() => {
    const problems = [];
    const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
    const name = (el) => (el.getAttribute('aria-label') || el.textContent || '').trim();
    for (const el of document.querySelectorAll('input, select, textarea')) {
      if (visible(el) && el.labels.length === 0 && !el.getAttribute('aria-label')) problems.push('unlabelled ' + el.tagName.toLowerCase() + '#' + el.id);
    }
    for (const el of document.querySelectorAll('button, a[href]')) {
      if (visible(el) && !name(el)) problems.push('nameless ' + el.tagName.toLowerCase() + ' ' + el.outerHTML.slice(0, 60));
    }
    for (const el of document.querySelectorAll('svg[role="img"]')) {
      const ids = (el.getAttribute('aria-labelledby') || '').split(' ').filter(Boolean);
      if (!ids.length || !ids.every((id) => document.getElementById(id)?.textContent?.trim())) problems.push('untitled chart');
    }
    const seen = new Set();
    for (const el of document.querySelectorAll('[id]')) {
      if (seen.has(el.id)) problems.push('duplicate id ' + el.id);
      seen.add(el.id);
    }
    for (const el of document.querySelectorAll('div[onclick], span[onclick], div[role="button"], span[role="button"]')) problems.push('clickable ' + el.tagName.toLowerCase());
    return problems;
  })()`)) as string[];
}
