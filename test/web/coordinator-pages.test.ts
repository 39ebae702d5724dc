/**
 * The pages a person finds from a service's own address (issue #21): `/` of
 * the coordinator opens the explorer, `/` of a custodian its console, and the
 * explorer's "Transparency report" link leads to a report the coordinator
 * serves (`coordinator start --report-dir`, written by `audit watch
 * --report-dir`), not to NO_REPORT. Real services, Chromium, screenshots.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startRealCluster } from '../../scripts/src/cluster/in-process';
import type { RealCluster } from '../../scripts/src/cluster/in-process';
import { custodesAsync } from '../cli/run';
import { launchBrowser, newContext, poll, screenshot, SKIP_BROWSER, SKIP_REASON } from './helpers/browser';
import type { PageWatch } from './helpers/browser';

describe.skipIf(SKIP_BROWSER)(`the pages reached from each service's address${SKIP_REASON}`, { timeout: 180_000 }, () => {
  const reportDir = join(mkdtempSync(join(tmpdir(), 'custodes-report-')), 'report');
  let cluster: RealCluster;
  let browser: Browser;
  let context: BrowserContext;
  let watch: PageWatch;
  let page: Page;

  beforeAll(async () => {
    cluster = await startRealCluster({
      origin: 'custodes.web-test/pages',
      tempPrefix: 'web-pages',
      threshold: 2,
      total: 3,
      names: { custodian: (i) => `custodian-${i}`, court: 'District Court', agency: 'Agency One' },
      nodeInit: () => ({ dev: true }),
      custodian: { logLevel: 'silent' },
      coordinator: { reportDir },
    });
    browser = await launchBrowser();
    ({ context, watch } = await newContext(browser, [cluster.coordinatorUrl, ...cluster.nodes.map((n) => n.url)]));
    page = await context.newPage();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await cluster?.close();
  });

  it("the coordinator's address opens the explorer", async () => {
    await page.goto(`${cluster.coordinatorUrl}/`);
    await page.waitForSelector('body[data-ready="true"]');
    expect(new URL(page.url()).pathname).toBe('/explorer/');
    expect(await page.locator('h1').textContent()).toBe('Custodes public log');
    await screenshot(page, 'coordinator-root-explorer');
  });

  it("a custodian's address opens its console", async () => {
    await page.goto(`${cluster.nodes[0]!.url}/`);
    await page.waitForSelector('body[data-ready="true"]');
    expect(new URL(page.url()).pathname).toBe('/console/');
    expect(await page.locator('h1').textContent()).toBe('Custodian console');
    await screenshot(page, 'custodian-root-console');
  });

  it("the explorer's Transparency report link shows the report the coordinator serves once an auditor has written it", async () => {
    const before = await fetch(`${cluster.coordinatorUrl}/report/report.json`);
    expect(before.status).toBe(404);
    const run = await custodesAsync(['audit', 'watch', '--log', cluster.coordinatorUrl, '--once', '--report-dir', reportDir]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^audit: round 1: log size \d+ \(\+\d+ new\), 0 new finding\(s\)$/m);

    await page.goto(`${cluster.coordinatorUrl}/explorer/`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.getByRole('link', { name: 'Transparency report' }).click();
    await poll(() => new URL(page.url()).pathname).toBe('/report/');
    const text = await page.locator('body').innerText();
    expect(text).not.toContain('NO_REPORT');
    expect(text).toMatch(/Transparency report/i);
    const json = (await (await fetch(`${cluster.coordinatorUrl}/report/report.json`)).json()) as { format: string };
    expect(json.format).toBe('custodes.transparency-report.v1');
    await screenshot(page, 'coordinator-report');
  });

  it('raised no script or CSP error and made no request off its origins', () => {
    expect(watch.errors).toEqual([]);
    expect(watch.offOrigin).toEqual([]);
  });
});
