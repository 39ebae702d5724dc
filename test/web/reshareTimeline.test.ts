/**
 * The explorer's Epochs panel on a reshare (docs/PROTOCOL.md §3.9) in headless
 * Chromium: a stand-in log whose genesis lists a dealer epoch 1 (2 of 3, real
 * shares) and proposes epoch 2 as its reshare without custodian 2; the
 * reshare's `epoch` entry, which the page verifies itself (lib/reshare.js:
 * certificate, each dealing against epoch 1's public shares, the unchanged
 * group key); then each old custodian's `share-destroyed` statement. A second
 * log destroys a share before the reshare is logged and keys the reshare to
 * another group key: both refused, epoch 1 stays the current one.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { bytesToBase64, bytesToHex, encodePoint, mulBase } from '@custodes/shared/crypto';
import { epochFromReshare, hostpubkeyGen } from '@custodes/shared/dkg';
import { signRecord, signRegistry } from '@custodes/shared/records';
import type { EpochEntry, RegistryEntry, ShareDestroyedEntry } from '@custodes/shared/records';
import { completeReshare, dealAll, dealerEpoch, forgeRecovery, paramsFor } from '../dkg/reshareFixture';
import { launchBrowser, newContext, screenshot, showEpochs, SKIP_BROWSER, SKIP_REASON } from './helpers/browser';
import type { PageWatch } from './helpers/browser';
import { makeWorld, StandInLog } from './helpers/world';
import type { Served, World } from './helpers/world';

const NOW = Math.floor(Date.now() / 1000);

describe.skipIf(SKIP_BROWSER)(`explorer epochs panel on a reshare in Chromium${SKIP_REASON}`, () => {
  const base = makeWorld(NOW);
  const old = dealerEpoch(1, 2, 3);
  const hosts = new Map([1, 3].map((i) => [i, Uint8Array.from(randomBytes(32))] as const));
  const session = randomUUID();
  const params = paramsFor(old, 2, 2, hosts, session);
  const reshared = completeReshare(params, hosts, dealAll(params, old, [1, 3]));
  const e1 = base.registry.epochs[0]!;
  let genesis: RegistryEntry = {
    ...base.registry,
    epochs: [
      { ...e1, groupKey: bytesToHex(old.groupKey), commitments: old.commitments.map(bytesToHex) },
      {
        epoch: 2,
        threshold: 2,
        total: 2,
        reshareOf: 1,
        custodians: e1.custodians.filter((c) => c.index !== 2).map((c) => ({ ...c, hostKey: bytesToHex(hostpubkeyGen(hosts.get(c.index)!)) })),
      },
    ],
    signatures: [],
  };
  for (const c of base.custodians) genesis = signRegistry(genesis, c.index, c.secretKey);
  const world: World = { ...base, registry: genesis };

  const entryOf = (recovery: Uint8Array): EpochEntry => {
    const k = epochFromReshare(recovery);
    return { type: 'epoch', epoch: 2, session, groupKey: k.groupKey, commitments: [...k.commitments], recoveryData: bytesToBase64(recovery), time: NOW - 300 };
  };
  const destroyed = (i: number, time: number): ShareDestroyedEntry => {
    const body = { type: 'share-destroyed' as const, epoch: 1, successor: 2, custodian: i, time };
    return { ...body, signature: signRecord(body, 'share-destroyed', world.custodians[i - 1]!.secretKey) };
  };

  let served: Served[] = [];
  let browser: Browser;
  let context: BrowserContext;
  let watch: PageWatch;
  let page: Page;
  let good: Served;
  let bad: Served;

  beforeAll(async () => {
    const g = new StandInLog(world, NOW);
    g.append(entryOf(reshared.recoveryData));
    for (const i of [1, 2, 3]) g.append(destroyed(i, NOW - 200 + i));
    g.publish();
    const otherY = { ...params, groupKey: encodePoint(mulBase(4242n)) };
    const b = new StandInLog(world, NOW);
    b.append(destroyed(2, NOW - 400));
    b.append({ ...entryOf(reshared.recoveryData), recoveryData: bytesToBase64(forgeRecovery(otherY, hosts, dealAll(otherY, old, [1, 3]))) });
    b.publish();
    good = await g.serve();
    bad = await b.serve();
    served = [good, bad];
    browser = await launchBrowser();
    ({ context, watch } = await newContext(browser, served.map((s) => s.url)));
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of served) await s.close();
  });

  it('shows the reshare verified in the browser, epoch 1 superseded, and each old custodian’s destruction', async () => {
    await showEpochs(page, good.url);
    expect(await page.locator('#epochs-status').textContent()).toBe("✓ 2 epoch(s) from 5 entries that hash to the checkpoint's root; current epoch: 2.");
    expect(await page.locator('section.epoch[data-epoch="2"] h3').textContent()).toBe('Epoch 2: active (reshare of epoch 1) — current');
    const activation = await page.locator('#epoch-2-activation').innerText();
    expect(activation).toContain('Activated by entry 1');
    expect(activation).toContain('reshare of epoch 1 dealt by custodians 1, 3');
    expect(activation).toContain('each dealing against the old public shares and the unchanged group key verified here');
    expect(await page.locator('#epoch-2-activation code').getAttribute('title')).toBe(bytesToHex(old.groupKey));
    const epoch1 = page.locator('section.epoch[data-epoch="1"]');
    expect(await epoch1.locator('h3').textContent()).toBe('Epoch 1: superseded by epoch 2');
    expect(await page.locator('#epoch-1-superseded').innerText()).toContain('Entry 1: its key moved to epoch 2');
    const destructions = await epoch1.locator('li.destroyed').allInnerTexts();
    expect(destructions.map((t) => t.split(' (')[0])).toEqual(['Entry 2: court-registry destroyed its share', 'Entry 3: privacy-authority destroyed its share', 'Entry 4: civil-liberties-ngo destroyed its share']);
    expect(await epoch1.innerText()).not.toContain('No share-destroyed statement yet');
    const entries = await page.locator('#entries-table').innerText();
    expect(entries).toContain('Share destroyed: privacy-authority (custodian 2) of epoch 1');
    expect(watch.errors).toEqual([]);
    await screenshot(page, 'explorer-epochs-reshare');
  });

  it('refuses a destruction before the reshare and a reshare keyed to another group key: epoch 1 stays current', async () => {
    await showEpochs(page, bad.url);
    expect(await page.locator('#epochs-status').textContent()).toBe("✓ 2 epoch(s) from 3 entries that hash to the checkpoint's root; current epoch: 1.");
    expect(await page.locator('section.epoch[data-epoch="2"] h3').textContent()).toBe('Epoch 2: proposed, not active');
    expect(await page.locator('section.epoch[data-epoch="2"]').innerText()).toContain('Entry 2: an epoch entry refused here (GROUP_KEY_CHANGED); it activates nothing');
    const epoch1 = page.locator('section.epoch[data-epoch="1"]');
    expect(await epoch1.locator('h3').textContent()).toBe('Epoch 1: active (dealer) — current');
    expect(await epoch1.innerText()).toContain('Entry 1: a share-destroyed statement refused here (NOT_SUPERSEDED)');
    expect(await epoch1.locator('li.destroyed').count()).toBe(0);
    expect(await page.locator('#epoch-2-activation').count()).toBe(0);
  });
});
