/**
 * Retired epochs in the explorer (docs/PROTOCOL.md §3.10): the browser port of
 * judgeRetired (lib/rules.js) agrees with the shared rule on every code, and
 * the Epochs panel, in headless Chromium against a stand-in log whose registry
 * update retired epoch 1, shows the date, each statement it verified itself,
 * who has not announced yet, and a forged statement refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { hexToBytes } from '@custodes/shared/crypto';
import { signRecord, signRegistry } from '@custodes/shared/records';
import type { RegistryEntry, RetiredEntry } from '@custodes/shared/records';
import { judgeRetired } from '@custodes/shared/rules';
import { launchBrowser, newContext, poll, SKIP_BROWSER, SKIP_REASON } from './helpers/browser';
import type { PageWatch } from './helpers/browser';
import { loadRules } from './helpers/lib';
import { makeWorld, StandInLog } from './helpers/world';
import type { Served, World } from './helpers/world';

const NOW = Math.floor(Date.now() / 1000);
const RETIRED_AT = NOW - 3600;
const world = makeWorld(NOW);

/** Registry update 1: epoch 1 retires at RETIRED_AT; signed by every custodian. */
function retiringUpdate(w: World): RegistryEntry {
  let update: RegistryEntry = { ...w.registry, sequence: 1, time: NOW - 7200, epochs: w.registry.epochs.map((e) => ({ ...e, retireAfter: RETIRED_AT })), signatures: [] };
  for (const c of w.custodians) update = signRegistry(update, c.index, c.secretKey);
  return update;
}
const update = retiringUpdate(world);

function statement(custodian: number, time: number, epoch = 1, secretKey = world.custodians[custodian - 1]?.secretKey ?? world.custodians[0]!.secretKey): RetiredEntry {
  const body = { type: 'retired' as const, epoch, custodian, time };
  return { ...body, signature: signRecord(body, 'retired', hexToBytes(secretKey, 32)) };
}

describe('the explorer’s judgeRetired agrees with the shared rule', () => {
  const cases: [string, RetiredEntry, RegistryEntry][] = [
    ['valid', statement(2, RETIRED_AT), update],
    ['UNKNOWN_EPOCH', statement(2, RETIRED_AT, 5), update],
    ['NOT_RETIRABLE', statement(2, RETIRED_AT), world.registry],
    ['UNKNOWN_CUSTODIAN', statement(9, RETIRED_AT), update],
    ['TOO_EARLY', statement(2, RETIRED_AT - 1), update],
    ['BAD_SIGNATURE', statement(2, RETIRED_AT, 1, world.custodians[2]!.secretKey), update],
  ];
  it.each(cases)('%s', async (_, entry, registry) => {
    const rules = (await loadRules()) as unknown as { judgeRetired(e: unknown, r: unknown): Promise<{ ok: boolean; code?: string }> };
    const shared = judgeRetired(entry, registry);
    const port = await rules.judgeRetired(entry, registry);
    expect(port.ok).toBe(shared.ok);
    expect(port.code).toBe(shared.ok ? undefined : shared.code);
  });
});

describe.skipIf(SKIP_BROWSER)(`explorer: a retired epoch in Chromium${SKIP_REASON}`, () => {
  let served: Served;
  let browser: Browser;
  let context: BrowserContext;
  let watch: PageWatch;
  let page: Page;

  beforeAll(async () => {
    const log = new StandInLog(world, NOW);
    log.append(update);
    log.append(statement(1, RETIRED_AT + 60));
    log.append(statement(3, RETIRED_AT + 120, 1, world.custodians[0]!.secretKey)); // custodian 3's, signed with custodian 1's key: forged
    log.append(statement(2, RETIRED_AT + 180));
    log.publish();
    served = await log.serve();
    browser = await launchBrowser();
    ({ context, watch } = await newContext(browser, [served.url]));
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  it('shows the date, the statements verified in the browser, who is missing, and the forged one refused', async () => {
    await page.goto(`${served.url}/explorer/#epochs`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.locator('#epochs-load').click();
    await poll(() => page.locator('#epochs-status').getAttribute('class')).toMatch(/ok|bad|warn/);
    const epoch = page.locator('section.epoch[data-epoch="1"]');
    expect(await epoch.locator('h3').textContent()).toBe('Epoch 1: retired — current');
    const retirement = await page.locator('#epoch-1-retirement').innerText();
    expect(retirement).toContain('2 of 3 custodians logged that they destroyed their share (not yet: civil-liberties-ngo)');
    expect(retirement).toContain('Entry 2: court-registry retired it');
    expect(retirement).toContain('Entry 4: privacy-authority retired it');
    expect(await epoch.innerText()).toContain('Entry 3: a retirement statement refused here (BAD_SIGNATURE)');
    const entries = await page.locator('#entries-table').innerText();
    expect(entries).toContain('Epoch 1 retired by privacy-authority (custodian 2): share destroyed');
    expect(watch.errors).toEqual([]);
  });
});
