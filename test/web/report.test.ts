/**
 * The transparency report page in headless Chromium: the auditor's own
 * `custodes.transparency-report.v1` (written by services/auditor's
 * writeReport from the stand-in log) rendered as inline-SVG charts with one
 * bar per datum; the auditor's report.html served as is, sandboxed; clear
 * messages when there is no report or a malformed one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { renderReportHtml, writeReport } from '@custodes/auditor';
import type { TransparencyReport } from '@custodes/auditor';
import { REPORT_HTML_CSP } from '../../services/web/src/index';
import { accessibilityProblems, launchBrowser, newContext, screenshot, SKIP_BROWSER, SKIP_REASON } from './helpers/browser';
import type { PageWatch } from './helpers/browser';
import { populatedLog } from './helpers/scenario';
import type { Scenario } from './helpers/scenario';
import type { Served } from './helpers/world';

const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'custodes-web-report-'));
  dirs.push(dir);
  return dir;
}

describe.skipIf(SKIP_BROWSER)(`transparency report page in Chromium${SKIP_REASON}`, () => {
  let scenario: Scenario;
  let report: TransparencyReport;
  let withReport: Served;
  let withJsonOnly: Served;
  let withNothing: Served;
  let browser: Browser;
  let context: BrowserContext;
  let watch: PageWatch;
  let page: Page;

  beforeAll(async () => {
    scenario = populatedLog();
    // The real auditor, verifying the stand-in log over its public read API.
    const plain = await scenario.log.serve();
    const dir = tempDir();
    try {
      report = (await writeReport({ logUrl: plain.url, outDir: dir })).report;
    } finally {
      await plain.close();
    }
    withReport = await scenario.log.serve({ dir });
    withJsonOnly = await scenario.log.serve({ json: join(dir, 'report.json') });
    withNothing = await scenario.log.serve();
    browser = await launchBrowser();
    ({ context, watch } = await newContext(browser, [withReport.url, withJsonOnly.url, withNothing.url]));
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of [withReport, withJsonOnly, withNothing]) await s?.close();
    for (const close of closers) await close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function open(url: string): Promise<void> {
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]');
  }

  /** Bars in the chart whose caption is `caption`. */
  const bars = (caption: string) => page.locator('figure', { has: page.locator(`figcaption:text-is("${caption}")`) }).locator('svg rect.bar');

  it('the auditor found the stand-in log clean but for the planted junk leaf and the overdue unsealing', () => {
    expect(report.format).toBe('custodes.transparency-report.v1');
    expect(report.log.checkpointAccepted).toBe(true);
    expect(Object.fromEntries(report.audit.byCode.map((c) => [c.label, c.count]))).toEqual({ MALFORMED_ENTRY: 1, UNSEAL_OVERDUE: 1 });
  });

  it("renders report.json's charts as inline SVG, one bar per datum", async () => {
    await open(`${withJsonOnly.url}/report/`);
    expect(await page.locator('#report-status').textContent()).toBe('');
    const captions = await page.locator('#charts figcaption').allTextContents();
    expect(captions).toEqual([
      'Warrants logged per month',
      'Warrants by court',
      'Warrants by agency',
      'Warrant outcomes',
      'Custodian decisions',
      'Time from issue to quorum',
      'Envelopes decrypted per month',
      'Audit findings by code',
      'Sealed warrants',
    ]);
    expect(await page.locator('#charts svg[role="img"]').count()).toBe(captions.length);
    expect(await bars('Warrants logged per month').count()).toBe(report.warrants.perMonth.length);
    expect(await bars('Warrants by court').count()).toBe(report.warrants.perCourt.length);
    expect(await bars('Warrants by agency').count()).toBe(report.warrants.perAgency.length);
    expect(await bars('Warrant outcomes').count()).toBe(4);
    expect(await bars('Custodian decisions').count()).toBe(2);
    expect(await bars('Time from issue to quorum').count()).toBe(report.timeToQuorum.buckets.length);
    expect(await bars('Sealed warrants').count()).toBe(3);
    expect(await bars('Audit findings by code').count()).toBe(2);
    // Bars carry their numbers, and the longest bar is the largest count.
    const courts = bars('Warrants by court');
    expect(await courts.first().getAttribute('data-label')).toBe(report.warrants.perCourt[0]!.label);
    expect(Number(await courts.first().getAttribute('data-value'))).toBe(report.warrants.perCourt[0]!.count);
    const widths = await courts.evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('width'))));
    expect(widths[0]).toBe(Math.max(...widths));
    // The served warrant reached quorum 5 hours after issue.
    const quorum = Object.fromEntries(report.timeToQuorum.buckets.map((b) => [b.label, b.count]));
    expect(quorum['1–6 hours']).toBe(1);
    const tiles = await page.locator('#tiles').innerText();
    expect(tiles).toContain(`${report.warrants.total}\nWarrants logged`);
    expect(tiles).toContain(`${report.decryption.envelopesDecrypted}\nEnvelopes decrypted`);
    expect(await page.locator('#report-checkpoint').getAttribute('class')).toContain('ok');
    // Overdue unsealings link to the explorer's warrant history.
    const overdue = page.locator('#overdue-table a');
    expect(await overdue.count()).toBe(1);
    expect(await overdue.getAttribute('href')).toBe(`../explorer/#warrant=${scenario.overdue.warrant.id}`);
    await screenshot(page, 'report-charts');
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it("serves the auditor's report.html at /report/, sandboxed without script, and our charts at /report/charts.html", async () => {
    const res = await fetch(`${withReport.url}/report/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toBe(REPORT_HTML_CSP);
    const html = await res.text();
    expect(html).not.toMatch(/<script/i);
    await page.goto(`${withReport.url}/report/`);
    expect(await page.locator('svg').count()).toBeGreaterThan(3);
    await screenshot(page, 'report-auditor-html');
    await open(`${withReport.url}/report/charts.html`);
    expect(await bars('Warrants logged per month').count()).toBe(report.warrants.perMonth.length);
  });

  it("report.html draws long court labels inside the chart: in full, or ellipsised with the full id in a <title>", async () => {
    // Court ids are docs/PROTOCOL.md §4.2 identifiers of up to 128 characters; before
    // the fix a long one ran off the left edge of the chart.
    const medium = 'supreme-court.eastern-district:2026';
    const longest = `COURT.${'W'.repeat(117)}.last`; // wide capitals: the worst case for the width estimate
    const perCourt = [
      { label: longest, count: 3 },
      { label: medium, count: 1 },
    ];
    // Served as the web service serves report.html (its CSP lets the inline stylesheet set the 12px label font).
    const dir = tempDir();
    writeFileSync(join(dir, 'report.json'), JSON.stringify(report));
    writeFileSync(join(dir, 'report.html'), renderReportHtml({ ...report, warrants: { ...report.warrants, perCourt } }));
    const served = await scenario.log.serve({ dir });
    closers.push(() => served.close());
    await context.route(`${served.url}/**`, (route) => route.continue());
    await page.goto(`${served.url}/report/`);
    const chart = page.locator('figure', { has: page.locator('figcaption:text-is("Warrants per court")') }).locator('svg');
    const drawn = await chart.evaluate((svg) => {
      const bars = [...svg.querySelectorAll('rect.bar')].map((r) => Number(r.getAttribute('x')));
      return [...svg.querySelectorAll('text.label')].map((t) => {
        const box = (t as unknown as { getBBox(): { x: number; width: number } }).getBBox();
        const title = t.querySelector('title')?.textContent ?? null;
        const shown = [...t.childNodes].filter((n) => n.nodeType === 3 /* a text node */).map((n) => n.textContent).join('');
        return { shown, title, left: box.x, right: box.x + box.width, barLeft: Math.min(...bars) };
      });
    });
    expect(drawn).toHaveLength(2);
    for (const label of drawn) {
      expect(label.left, label.shown).toBeGreaterThanOrEqual(0);
      expect(label.right, label.shown).toBeLessThanOrEqual(label.barLeft);
    }
    expect(drawn[1]).toMatchObject({ shown: medium, title: null });
    expect(drawn[0]!.title).toBe(longest);
    expect(drawn[0]!.shown).toMatch(/^COURT\.W+…$/);
  });

  it('is reached from the explorer by its link, with the keyboard', async () => {
    await open(`${withJsonOnly.url}/explorer/`);
    await page.getByRole('link', { name: 'Transparency report' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('body[data-ready="true"]');
    expect(new URL(page.url()).pathname).toBe('/report/');
    expect(await page.locator('#charts figure').count()).toBe(9);
  });

  it('says so when there is no report, or a malformed one', async () => {
    await open(`${withNothing.url}/report/`);
    expect(await page.locator('#report-status').textContent()).toMatch(/^No report to show: .*\(NO_REPORT\)$/);
    const res = await fetch(`${withNothing.url}/report/report.json`);
    expect(res.status).toBe(404);

    const dir = tempDir();
    const broken = { ...report, warrants: { ...report.warrants, perCourt: 'lots' }, sealing: { ...report.sealing, overdue: -1 } };
    writeFileSync(join(dir, 'report.json'), JSON.stringify(broken));
    const served = await scenario.log.serve({ dir });
    try {
      await context.route(`${served.url}/**`, (route) => route.continue());
      await open(`${served.url}/report/`);
      expect(await page.locator('#report-status').textContent()).toBe(
        'This report is incomplete: warrants.perCourt is missing or not a list of { label, count }; sealing.overdue is missing or not a count.',
      );
      expect(await page.locator('#charts figcaption:text-is("Warrants by court")').count()).toBe(0);
      expect(await page.locator('#charts figure').count()).toBe(7);

      writeFileSync(join(dir, 'report.json'), JSON.stringify({ format: 'something-else' }));
      await open(`${served.url}/report/`);
      expect(await page.locator('#report-status').textContent()).toBe('report.json is not a custodes.transparency-report.v1 report (format: "something-else").');
    } finally {
      await served.close();
    }
  });

  it('made no request off its origins and raised no script or CSP error', () => {
    expect(watch.offOrigin).toEqual([]);
    expect(watch.errors).toEqual([]);
  });
});
