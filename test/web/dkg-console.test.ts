/**
 * DKG consent in the custodian console (docs/PROTOCOL.md §3.8, §7.15), in
 * headless Chromium against a real 2-of-3 DKG cluster (a real coordinator and
 * three custodian nodes with host keys and no share, genesis proposing epoch
 * 1). On custodian 1's console: officer alice sees the proposed epoch, its
 * t, committee and the node's host key, and her consent is refused with the
 * node's code (OPERATOR_REQUIRED); the operator consents through the confirm
 * step and the node's status records it. A session without custodian 3's
 * consent aborts naming it, and the console shows so; once 3 consents, the
 * next session activates the epoch and the console shows its group key and
 * the share the node now holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { requestJson } from '@custodes/shared/service';
import { addOfficer } from '@custodes/custodian';
import { runDkg } from '../../scripts/src/cluster/in-process';
import type { RealCluster, RealNode } from '../../scripts/src/cluster/in-process';
import { startDkgCluster } from '../dkg-service/helpers';
import { accessibilityProblems, launchBrowser, newContext, poll, screenshot, SKIP_BROWSER, SKIP_REASON } from './helpers/browser';
import type { PageWatch } from './helpers/browser';

describe.skipIf(SKIP_BROWSER)(`DKG consent in the custodian console${SKIP_REASON}`, () => {
  let cluster: RealCluster;
  let node: RealNode;
  let consoleUrl: string;
  let alice: string;
  let browser: Browser;
  let context: BrowserContext;
  let watch: PageWatch;
  let page: Page;

  beforeAll(async () => {
    // A short step timeout: the session custodian 3 has not consented to aborts within seconds.
    cluster = await startDkgCluster({ tempPrefix: 'web-dkg-console', threshold: 2, total: 3, coordinator: { dkgStepTimeoutMs: 8000 } });
    node = cluster.nodes[0]!;
    alice = addOfficer({ dataDir: node.dataDir, name: 'alice' }).token;
    consoleUrl = node.service!.url;
    browser = await launchBrowser();
    ({ context, watch } = await newContext(browser, [consoleUrl]));
    page = await context.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await cluster?.close();
  });

  /** The node's own status, as the CLI reads it (docs/PROTOCOL.md §7.15). */
  const nodeStatus = () => requestJson<any>(`${node.url}/v1/operator/dkg`, { token: node.init.operatorToken });
  const text = (selector: string) => page.locator(selector).textContent();

  async function signIn(token: string): Promise<void> {
    await page.getByLabel('Operator token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('#queue-empty, #queue-table');
    await page.getByRole('button', { name: 'Key generation' }).click();
    await poll(() => text('#dkg-threshold-1')).toBe('2 of 3');
  }

  /** Refresh until `selector` reads `expected` (the replica follows the log within a cosigning round). */
  async function refreshUntil(selector: string, expected: string | RegExp): Promise<void> {
    await poll(async () => {
      await page.locator('#dkg-refresh').click();
      await page.waitForSelector('#dkg-epoch-1');
      return (await page.locator(selector).count()) ? text(selector) : '';
    }).toMatch(expected);
  }

  it('an officer sees the proposed epoch, its committee and the host key; her consent is refused and the page shows the code', async () => {
    await page.goto(`${consoleUrl}/console/`);
    await page.waitForSelector('body[data-ready="true"]');
    await signIn(alice);
    expect(await text('#dkg-epoch-h-1')).toBe('Epoch 1: proposed');
    expect(await page.locator('#dkg-committee-1 li').allTextContents()).toEqual(['1. custodian-1.test (this node)', '2. custodian-2.test', '3. custodian-3.test']);
    expect(await text('#dkg-hostkey')).toBe(node.init.hostKey);
    expect(await text('#dkg-consent-given-1')).toBe('not given');
    expect(await text('#dkg-share-1')).toBe('not held');
    expect(await page.locator('#dkg-sessions-1').count()).toBe(0);
    expect(await accessibilityProblems(page)).toEqual([]);

    await page.getByRole('button', { name: 'Consent to epoch 1' }).click();
    // The confirm step names the epoch, t and n; nothing is sent before it.
    expect(await page.getByRole('group', { name: 'Confirm consent to epoch 1' }).isVisible()).toBe(true);
    expect(await text('#dkg-confirm-1')).toContain('epoch 1: 2 of 3 custodians');
    expect((await nodeStatus()).epochs[0].consent).toBeNull();
    await page.getByRole('button', { name: 'Confirm consent to epoch 1 (2 of 3)' }).click();
    await poll(() => text('#dkg-consent-status-1')).toMatch(/^The node did not record the consent: .*only the node's operator token does \(OPERATOR_REQUIRED\)$/);
    expect(await page.locator('#dkg-consent-status-1').getAttribute('class')).toBe('status bad');
    await screenshot(page, 'console-dkg-officer-refused');
    expect((await nodeStatus()).epochs[0].consent).toBeNull();
  });

  it('the operator consents through the confirm step; the node records it and the page shows who and when', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(node.init.operatorToken);
    await page.getByRole('button', { name: 'Consent to epoch 1' }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.locator('#dkg-confirm-1').isHidden()).toBe(true);
    expect((await nodeStatus()).epochs[0].consent).toBeNull();
    await page.getByRole('button', { name: 'Consent to epoch 1' }).click();
    await page.getByRole('button', { name: 'Confirm consent to epoch 1 (2 of 3)' }).click();
    await poll(() => text('#dkg-consent-given-1')).toMatch(/^given by operator at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    expect(await text('#app-status')).toBe('Consent to epoch 1 recorded.');
    expect(await page.locator('#dkg-consent-1').count()).toBe(0);
    const consent = (await nodeStatus()).epochs[0].consent;
    expect(consent.officer).toBe('operator');
    expect(Math.abs(consent.time - Date.now() / 1000)).toBeLessThan(600);
    await screenshot(page, 'console-dkg-consented');
  });

  it('a session without custodian 3’s consent aborts naming it, and the console shows the blame', async () => {
    const state = await runDkg(cluster, 1, [2]);
    expect(state).toMatchObject({ status: 'aborted', reason: 'timeout', blamed: [3] });
    await refreshUntil('#dkg-sessions-1 [data-outcome]', 'aborted (timeout); blamed: 3 (custodian-3.test)');
    expect(await page.locator('#dkg-sessions-1 tbody tr td').nth(2).textContent()).toBe('1 (custodian-1.test), 2 (custodian-2.test)');
    expect(await text('#dkg-epoch-h-1')).toBe('Epoch 1: proposed');
  }, 60_000);

  it('once custodian 3 consents, the next session activates the epoch; the console shows its group key and the share held', async () => {
    const state = await runDkg(cluster, 1, [3]);
    expect(state.status).toBe('active');
    const groupKey = state.status === 'active' ? state.groupKey : '';
    await refreshUntil('#dkg-epoch-h-1', 'Epoch 1: active');
    expect(await text('#dkg-groupkey-1')).toBe(groupKey);
    expect(await page.locator('#dkg-sessions-1 [data-outcome]').allTextContents()).toEqual(['aborted (timeout); blamed: 3 (custodian-3.test)', 'succeeded: the epoch entry is logged']);
    // The node recovers and seals its share once it has the epoch entry (the coordinator asks it once more).
    await refreshUntil('#dkg-share-1', 'held (sealed on this node)');
    expect((await nodeStatus()).epochs[0]).toMatchObject({ state: 'active', groupKey, shareHeld: true });
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'console-dkg-active');
  }, 60_000);

  it('raised no script or CSP error and made no request off its origin', () => {
    expect(watch.errors).toEqual([]);
    expect(watch.offOrigin).toEqual([]);
  });
});
