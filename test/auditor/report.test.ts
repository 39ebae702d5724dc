/**
 * The transparency report: numbers computed from the log alone match the
 * scenario, report.json is byte-identical across runs, and report.html is one
 * self-contained page with inline SVG charts and no external URLs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildReport, checkLeaves, renderReportHtml, writeReport } from '@custodes/auditor';
import type { TransparencyReport } from '@custodes/auditor';
import { cleanScenario, DAY, HOUR, makeKeys, ORIGIN, T0 } from './scenario';
import type { CleanScenario } from './scenario';
import { TestLogServer } from './server';

const keys = makeKeys();
let server: TestLogServer;
let clean: CleanScenario;
const dirs: string[] = [];

function outDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'custodes-report-'));
  dirs.push(dir);
  return dir;
}

const asRecord = (counts: readonly { label: string; count: number }[]) => Object.fromEntries(counts.map((c) => [c.label.split(' ')[0], c.count]));

beforeAll(async () => {
  clean = cleanScenario(keys);
  server = await new TestLogServer(keys).start();
  server.publish(clean.log.leaves());
});

afterAll(async () => {
  await server.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('audit report', () => {
  let report: TransparencyReport;
  let dir: string;

  beforeAll(async () => {
    dir = outDir();
    report = (await writeReport({ logUrl: server.url, outDir: dir })).report;
  });

  test('report.json numbers match the scenario', () => {
    const e = clean.expected;
    const onDisk = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as TransparencyReport;
    expect(onDisk).toEqual(report);
    expect(report.format).toBe('custodes.transparency-report.v1');
    expect(report.log).toMatchObject({ origin: ORIGIN, size: clean.log.size, checkpointAccepted: true });
    expect(report.asOf).toEqual({ time: T0 + 80 * DAY + HOUR, iso: '2026-03-22T01:00:00Z', source: 'latest-entry' });
    expect(report.warrants.total).toBe(e.warrants);
    expect(asRecord(report.warrants.perMonth)).toEqual(e.perMonth);
    expect(asRecord(report.warrants.perCourt)).toEqual(e.perCourt);
    expect(asRecord(report.warrants.perAgency)).toEqual(e.perAgency);
    expect(asRecord(report.warrants.outcomes)).toEqual({ approved: 3, denied: 0, pending: 1, revoked: 1 });
    expect(report.decisions.approvals).toBe(e.approvals);
    expect(report.decisions.denials).toBe(e.denials);
    expect(report.decisions.perCustodian.map((c) => [c.custodian, c.approvals, c.denials])).toEqual([
      [1, 2, 1],
      [2, 3, 1],
      [3, 3, 1],
      [4, 2, 1],
      [5, 2, 0],
    ]);
    expect(report.requests).toEqual({ total: e.requests, envelopesRequested: 6 });
    expect(report.decryption.envelopesDecrypted).toBe(e.envelopesDecrypted);
    expect(asRecord(report.decryption.perMonth)).toEqual({ '2026-01': 2, '2026-02': 4 });
    const times = [...e.timesToQuorum].sort((a, b) => a - b);
    expect(report.timeToQuorum).toMatchObject({ count: 3, medianSeconds: times[1], minSeconds: times[0], maxSeconds: times[2] });
    expect(report.timeToQuorum.buckets.map((b) => b.count)).toEqual([0, 1, 1, 1, 0]);
    expect(report.sealing).toEqual({ sealed: e.sealed, unsealed: e.unsealed, overdue: e.overdue, overdueWarrants: [] });
    expect(report.misbehavior.entries).toBe(e.misbehavior);
    expect(report.audit).toEqual({ findings: 0, byCode: [] });
  });

  test('the same log gives a byte-identical report.json (and report.html)', async () => {
    const again = outDir();
    await writeReport({ logUrl: server.url, outDir: again });
    expect(readFileSync(join(again, 'report.json'))).toEqual(readFileSync(join(dir, 'report.json')));
    expect(readFileSync(join(again, 'report.html'))).toEqual(readFileSync(join(dir, 'report.html')));
  });

  test('report.html holds the SVG charts, accessible labels, and no external URL or script', () => {
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    const svgs = html.match(/<svg role="img" aria-labelledby="[^"]+"/g) ?? [];
    expect(svgs.length).toBeGreaterThanOrEqual(9);
    for (const title of [
      'Warrants issued per month',
      'Warrants per court',
      'Warrants per agency',
      'Approvals and denials',
      'Envelopes decrypted per month',
      'Time from issue to quorum',
      'Sealed, unsealed and overdue',
    ]) {
      expect(html).toContain(`>${title}</figcaption>`);
    }
    expect(html).toContain('<desc id=');
    expect(html).not.toMatch(/https?:/i);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|src=|@import|url\(/i);
  });

  test('--as-of moves the clock: warrants past sealedUntil become overdue', async () => {
    const later = T0 + 500 * DAY;
    const r = (await writeReport({ logUrl: server.url, outDir: outDir(), asOf: later })).report;
    expect(r.asOf).toMatchObject({ time: later, source: 'given' });
    expect(r.sealing).toMatchObject({ sealed: 0, unsealed: 1, overdue: 4 });
    expect(r.sealing.overdueWarrants.map((w) => w.index)).toEqual(r.sealing.overdueWarrants.map((w) => w.index).sort((a, b) => a - b));
    expect(r.audit.byCode).toEqual([{ label: 'UNSEAL_OVERDUE', count: 4 }]);
    expect(r.warrants.expired).toBe(5);
  });

  test('long court labels are shown in full, or ellipsised with the full id in a <title> and in the table', () => {
    const { state } = checkLeaves(clean.log.leaves(), { now: clean.now });
    const built = buildReport({ audit: state, leaves: clean.log.leaves(), findings: [], checkpointAccepted: true });
    // Court ids are docs/PROTOCOL.md §4.2 identifiers: up to 128 characters.
    const medium = 'supreme-court.eastern-district:2026'; // 35 characters: fits
    const longest = `court.${'x'.repeat(117)}.last`; // 128 characters: does not
    const perCourt = [
      { label: longest, count: 2 },
      { label: medium, count: 1 },
    ];
    const html = renderReportHtml({ ...built, warrants: { ...built.warrants, perCourt } });
    const chart = /<figcaption id="[^"]+">Warrants per court<\/figcaption>.*?<\/figure>/s.exec(html)?.[0] ?? '';
    expect(chart).not.toBe('');
    const labels = [...chart.matchAll(/<text [^>]*class="label">(.*?)<\/text>/g)].map((m) => m[1]);
    expect(labels).toHaveLength(2);
    expect(labels[1]).toBe(medium);
    expect(labels[0]).toMatch(new RegExp(`^<title>${longest}</title>court\\.x+…$`));
    expect(chart).toContain(`<th scope="row">${longest}</th>`);
    // Left-aligned inside the SVG: nothing can be pushed past its left edge.
    expect(chart).not.toContain('text-anchor="end" class="label"');
  });

  test('text from the log is escaped in the page', () => {
    const { state } = checkLeaves(clean.log.leaves(), { now: clean.now });
    const built = buildReport({ audit: state, leaves: clean.log.leaves(), findings: [], checkpointAccepted: true });
    const hostile = { ...built, log: { ...built.log, origin: '<script>alert(1)</script>' } };
    const html = renderReportHtml(hostile);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;');
  });
});
