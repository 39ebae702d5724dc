/**
 * The explorer from a static mirror alone (docs/PROTOCOL.md §9.9): a tlog-tiles
 * copy of the stand-in log and the explorer's pages served by Debian's nginx,
 * no coordinator anywhere, opened as `/explorer/?tiles=..`. It shows the
 * checkpoint with verified signatures under the registry read from the log,
 * pages entries from bundles, proves an entry with a proof computed from hash
 * tiles, and assembles a warrant's history, each entry proved; a tampered
 * hash tile fails the proof.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { bytesToBase64 } from '@custodes/shared/crypto';
import { PAGE_CSP, PUBLIC_DIR } from '../../services/web/src/index';
import { writeTiles } from '../mirror/helpers';
import { NGINX_SKIP_REASON, SKIP_NGINX, startNginx, type Nginx } from '../mirror/nginx';
import { launchBrowser, newContext, poll, screenshot, SKIP_BROWSER, SKIP_REASON } from './helpers/browser';
import type { PageWatch } from './helpers/browser';
import { populatedLog, type Scenario } from './helpers/scenario';

describe.skipIf(SKIP_BROWSER || SKIP_NGINX)(`the explorer on an nginx mirror, no coordinator${SKIP_REASON}${NGINX_SKIP_REASON}`, () => {
  let scenario: Scenario;
  let dir: string;
  let nginx: Nginx;
  let browser: Browser;
  let context: BrowserContext;
  let watch: PageWatch;
  let page: Page;

  beforeAll(async () => {
    scenario = populatedLog();
    dir = mkdtempSync(join(tmpdir(), 'custodes-explorer-mirror-'));
    writeTiles(dir, scenario.log.leaves, scenario.log.note);
    nginx = await startNginx(dir, { publicDir: PUBLIC_DIR, csp: PAGE_CSP });
    browser = await launchBrowser();
    ({ context, watch } = await newContext(browser, [nginx.url]));
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await nginx?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(hash = ''): Promise<void> {
    await page.goto(`${nginx.url}/explorer/?tiles=..${hash}`);
    await page.waitForSelector('body[data-ready="true"]');
  }

  it('verifies the checkpoint under the registry it reads from the log', async () => {
    await open();
    const { log, world } = scenario;
    await poll(() => page.locator('#checkpoint-size').textContent()).toBe(String(log.checkpointSize));
    expect(await page.locator('#checkpoint-root').textContent()).toBe(bytesToBase64(log.root()));
    expect(await page.locator('#checkpoint-status').textContent()).toBe(`Cosigned by ${world.custodians.length} of ${world.custodians.length} custodians (auditors require 2); signatures verified here.`);
    expect(await page.locator('#cosigners .badge.ok').count()).toBe(1 + world.custodians.length);
    const rows = page.locator('#entries-table tbody tr');
    await poll(() => rows.count()).toBe(20);
    await screenshot(page, 'explorer-mirror-checkpoint');
  });

  it('proves an entry with a proof computed from the hash tiles', async () => {
    await open();
    const index = scenario.approvalIndex;
    await page.getByLabel('Entry index to prove').fill(String(index));
    await page.getByRole('button', { name: 'Fetch and check proof' }).click();
    await poll(() => page.locator('#proof-result').textContent()).toBe(`✓ Inclusion verified: entry ${index} is in the checkpoint of size ${scenario.log.checkpointSize}.`);
  });

  it("assembles a warrant's history from the log itself, each entry proved", async () => {
    await open();
    await page.getByLabel('Warrant ID').fill(scenario.served.warrant.id);
    await page.getByRole('button', { name: 'Find in the log' }).click();
    await poll(() => page.locator('#warrant-status').textContent()).toMatch(/^Warrant .*: 2 approval\(s\), 1 denial\(s\); quorum is 2; sealed until/);
    const text = await page.locator('#warrant-body').innerText();
    expect(text).toContain('Approvals and denials (3)');
    expect(text).toContain('Completed decryptions (1)');
    expect(text).not.toContain(scenario.revoked.warrant.id);
  });

  it('a tampered hash tile fails the proof', async () => {
    const size = scenario.log.checkpointSize;
    const path = join(dir, `tile/0/000${size < 256 ? `.p/${size}` : ''}`);
    const original = readFileSync(path);
    const bytes = Buffer.from(original);
    bytes[(scenario.approvalIndex ^ 1) * 32]! ^= 1; // the approval's sibling leaf hash
    writeFileSync(path, bytes);
    try {
      await open();
      await page.getByLabel('Entry index to prove').fill(String(scenario.approvalIndex));
      await page.getByRole('button', { name: 'Fetch and check proof' }).click();
      await poll(() => page.locator('#proof-result').textContent()).toBe('✗ Inclusion NOT verified: the proof leads to a different root than the checkpoint.');
    } finally {
      writeFileSync(path, original);
    }
  });

  it('made no request off the mirror and raised no script or CSP error', () => {
    expect(watch.offOrigin).toEqual([]);
    expect(watch.errors).toEqual([]);
  });
});
