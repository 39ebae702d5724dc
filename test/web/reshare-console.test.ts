/**
 * Resharing in the custodian console's Key generation view (docs/PROTOCOL.md
 * §3.9, §7.15), in headless Chromium against a real 2-of-3 DKG cluster whose
 * epoch 1 is reshared into epoch 2 (2-of-2 without custodian 3). On
 * custodian 1's console the operator sees "reshare of epoch 1", the old and
 * new committees and the node's roles, consents with the same button and
 * confirm step as for a DKG; once the reshare ran, the view shows the share
 * of epoch 1 destroyed with its statement logged, the share of epoch 2 held,
 * and epoch 1's key moved to epoch 2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { requestJson } from '@custodes/shared/service';
import { runDkg } from '../../scripts/src/cluster/in-process';
import type { RealCluster, RealNode } from '../../scripts/src/cluster/in-process';
import { startDkgCluster } from '../dkg-service/helpers';
import { runReshare, submitReshare } from '../reshare-service/helpers';
import { accessibilityProblems, launchBrowser, newContext, poll, screenshot, SKIP_BROWSER, SKIP_REASON } from './helpers/browser';
import type { PageWatch } from './helpers/browser';

describe.skipIf(SKIP_BROWSER)(`resharing in the custodian console${SKIP_REASON}`, () => {
  let cluster: RealCluster;
  let node: RealNode;
  let consoleUrl: string;
  let browser: Browser;
  let context: BrowserContext;
  let watch: PageWatch;
  let page: Page;

  beforeAll(async () => {
    cluster = await startDkgCluster({ tempPrefix: 'web-reshare-console', threshold: 2, total: 3 });
    expect(await runDkg(cluster)).toMatchObject({ status: 'active', epoch: 1 });
    await submitReshare(cluster, { from: 1, remove: [3] }, [1, 2], [1, 2, 3]);
    node = cluster.nodes[0]!;
    consoleUrl = node.service!.url;
    browser = await launchBrowser();
    ({ context, watch } = await newContext(browser, [consoleUrl]));
    page = await context.newPage();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await cluster?.close();
  });

  const nodeStatus = () => requestJson<any>(`${node.url}/v1/operator/dkg`, { token: node.init.operatorToken });
  const text = (selector: string) => page.locator(selector).textContent();

  async function refreshUntil(selector: string, expected: string | RegExp): Promise<void> {
    await poll(async () => {
      await page.locator('#dkg-refresh').click();
      await page.waitForSelector('#dkg-epoch-2');
      return (await page.locator(selector).count()) ? text(selector) : '';
    }).toMatch(expected);
  }

  it('the operator sees the proposed reshare: old and new committees, the node’s roles, and consents through the confirm step', async () => {
    await page.goto(`${consoleUrl}/console/`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.getByLabel('Operator token').fill(node.init.operatorToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('#queue-empty, #queue-table');
    await page.getByRole('button', { name: 'Key generation' }).click();
    await poll(() => text('#dkg-epoch-h-2')).toBe('Epoch 2: proposed, reshare of epoch 1');
    expect(await text('#dkg-reshare-of-2')).toBe('epoch 1 (2 of 3): the same group key moves to the committee below');
    expect(await page.locator('#dkg-old-committee-2 li').allTextContents()).toEqual(['1. custodian-1.test (this node)', '2. custodian-2.test', '3. custodian-3.test']);
    expect(await page.locator('#dkg-committee-2 li').allTextContents()).toEqual(['1. custodian-1.test (this node)', '2. custodian-2.test']);
    expect(await text('#dkg-role-2')).toBe('dealer and receiver');
    expect(await text('#dkg-threshold-2')).toBe('2 of 2');
    expect(await text('#dkg-old-share-2')).toBe('held: it is destroyed once the new epoch is active');
    expect(await text('#dkg-share-2')).toBe('not held');
    expect(await text('#dkg-epoch-h-1')).toBe('Epoch 1: active');
    expect(await accessibilityProblems(page)).toEqual([]);

    await page.getByRole('button', { name: 'Consent to epoch 2' }).click();
    expect(await text('#dkg-confirm-2')).toContain('the reshare of epoch 1 into epoch 2: 2 of 2 custodians, as dealer and receiver');
    expect((await nodeStatus()).epochs[0].consent).toBeNull();
    await page.getByRole('button', { name: 'Confirm consent to epoch 2 (2 of 2)' }).click();
    await poll(() => text('#dkg-consent-given-2')).toMatch(/^given by operator at /);
    expect((await nodeStatus()).epochs[0]).toMatchObject({ epoch: 2, consent: { officer: 'operator' }, reshare: { from: 1, roles: ['dealer', 'receiver'] } });
    await screenshot(page, 'console-reshare-consented');
  }, 60_000);

  it('after the reshare: the old share destroyed and logged, the new share held, epoch 1’s key moved', async () => {
    const groupKey = cluster.groupKey;
    expect(await runReshare(cluster, 2, [2, 3])).toMatchObject({ status: 'active', epoch: 2, groupKey });
    await refreshUntil('#dkg-old-share-2', 'old share destroyed; the statement is logged');
    await refreshUntil('#dkg-share-2', 'share held (sealed on this node)');
    expect(await text('#dkg-epoch-h-2')).toBe('Epoch 2: active, reshare of epoch 1');
    expect(await text('#dkg-groupkey-2')).toBe(groupKey);
    expect(await text('#dkg-share-1')).toBe('not held: the key moved to epoch 2');
    expect(await text('#dkg-epoch-h-1')).toBe('Epoch 1: active; its key moved to epoch 2');
    // Dealers are named from the old committee: custodian 3 dealt, and is not in epoch 2.
    expect(await page.locator('#dkg-sessions-2 tbody tr td').nth(2).textContent()).toBe('1 (custodian-1.test), 2 (custodian-2.test), 3 (custodian-3.test)');
    expect(await page.locator('#dkg-sessions-2 [data-outcome]').allTextContents()).toEqual(['succeeded: the epoch entry is logged']);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'console-reshare-active');
  }, 60_000);

  it('raised no script or CSP error and made no request off its origin', () => {
    expect(watch.errors).toEqual([]);
    expect(watch.offOrigin).toEqual([]);
  });
});
