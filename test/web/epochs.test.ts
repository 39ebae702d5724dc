/**
 * The explorer's epoch timeline (docs/PROTOCOL.md §3.8) in headless Chromium
 * against a stand-in log whose genesis proposes a 2-of-3 epoch: a first DKG
 * session blamed and aborted, a second one that succeeds and its `epoch`
 * entry, which the page verifies itself (lib/dkgEpochs.js). Then a log whose
 * epoch entry's group key is not the recovery data's: refused, not active.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { bytesToBase64 } from '@custodes/shared/crypto';
import { epochEntry, runDkg } from '../auditor/dkgScenario';
import { launchBrowser, newContext, screenshot, showEpochs, SKIP_BROWSER, SKIP_REASON } from './helpers/browser';
import type { PageWatch } from './helpers/browser';
import { dkgStandInLog, dkgWorld } from './helpers/dkgLog';
import type { Served } from './helpers/world';

const NOW = Math.floor(Date.now() / 1000);

describe.skipIf(SKIP_BROWSER)(`explorer epoch timeline in Chromium${SKIP_REASON}`, () => {
  const dkg = runDkg(2, 3);
  const world = dkgWorld(dkg, NOW);
  const good = epochEntry(dkg, NOW - 200, { session: randomUUID() });
  let served: Served[] = [];
  let browser: Browser;
  let context: BrowserContext;
  let watch: PageWatch;
  let page: Page;
  let good_: Served;
  let bad_: Served;

  beforeAll(async () => {
    good_ = await dkgStandInLog(world, dkg, good, NOW).serve();
    bad_ = await dkgStandInLog(world, dkg, { ...good, groupKey: good.commitments[1]! }, NOW).serve();
    served = [good_, bad_];
    browser = await launchBrowser();
    ({ context, watch } = await newContext(browser, served.map((s) => s.url)));
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of served) await s.close();
  });

  it('shows the proposal, the aborted session with who blamed whom, and the activation verified in the browser', async () => {
    await showEpochs(page, good_.url);
    expect(await page.locator('#epochs-status').textContent()).toBe("✓ 1 epoch(s) from 17 entries that hash to the checkpoint's root; current epoch: 1.");
    const epoch = page.locator('section.epoch[data-epoch="1"]');
    expect(await epoch.locator('h3').textContent()).toBe('Epoch 1: active (DKG) — current');
    const sessions = epoch.locator('li.dkg-session');
    expect(await sessions.count()).toBe(2);
    const failed = await sessions.nth(0).innerText();
    expect(failed).toContain('3/3 commits, 0/3 reveals, no aggregate, 0/3 CertEq signatures');
    expect(failed).toContain('Entry 4: privacy-authority blamed civil-liberties-ngo');
    expect(failed).toContain('Entry 5: aborted (blame); blamed: civil-liberties-ngo');
    const ok = await sessions.nth(1).innerText();
    expect(ok).toContain('3/3 commits, 3/3 reveals, aggregate at entry 12, 3/3 CertEq signatures');
    const activation = await page.locator('#epoch-1-activation').innerText();
    expect(activation).toContain('Activated by entry 16');
    expect(activation).toContain('certificate verified here');
    expect(await page.locator('#epoch-1-activation code').getAttribute('title')).toBe(good.groupKey);
    // The entry list decodes the DKG's entries too.
    const entries = await page.locator('#entries-table').innerText();
    expect(entries).toContain('Epoch 1 active: key made by DKG');
    expect(entries).toContain('DKG epoch 1: abort (coordinator)');
    expect(entries).toContain('DKG epoch 1: certeq by civil-liberties-ngo (custodian 3)');
    expect(watch.errors).toEqual([]);
    await screenshot(page, 'explorer-epochs');
  });

  it('refuses an epoch entry whose group key is not the recovery data’s: the epoch stays proposed', async () => {
    await showEpochs(page, bad_.url);
    expect(await page.locator('section.epoch[data-epoch="1"] h3').textContent()).toBe('Epoch 1: proposed, not active — current');
    expect(await page.locator('section.epoch[data-epoch="1"]').innerText()).toContain('Entry 16: an epoch entry refused here (GROUP_KEY_MISMATCH); it activates nothing');
    expect(await page.locator('#epoch-1-activation').count()).toBe(0);
  });

  it('shows nothing when the entries served do not hash to the checkpoint', async () => {
    await page.route('**/log/v1/entries*', async (route) => {
      const answer = await route.fetch();
      const body = (await answer.json()) as { start: number; entries: string[] };
      const last = body.entries.length - 1;
      if (last >= 0) body.entries[last] = bytesToBase64(new TextEncoder().encode('{"type":"dkg"}'));
      await route.fulfill({ response: answer, json: body });
    });
    try {
      await showEpochs(page, good_.url);
      expect(await page.locator('#epochs-status').textContent()).toBe("✗ The 17 entries served do not hash to the checkpoint's root: nothing shown.");
      expect(await page.locator('section.epoch').count()).toBe(0);
    } finally {
      await page.unroute('**/log/v1/entries*');
    }
  });
});
