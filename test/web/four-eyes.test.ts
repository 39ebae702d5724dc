/**
 * Four-eyes approval through the console (docs/PROTOCOL.md §7.13, Officers),
 * against the real coordinator and custodians (2-of-3, dev mode). Custodian 1
 * requires 2 of its officers alice and bob. In Chromium alice signs in with
 * her own token and approves: the console shows 1 of 2 and that bob is
 * awaited, and nothing reaches the log. Bob signs in with his and approves:
 * the node signs its approval, the coordinator logs it, and the public
 * explorer shows it with the officer count as its reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { newSalt } from '@custodes/shared/records';
import type { SignedWarrant } from '@custodes/shared/records';
import { addOfficer } from '@custodes/custodian';
import { startRealCluster } from '../../scripts/src/cluster/in-process';
import { courtSignedWarrant } from '../coordinator/helpers/real';
import type { RealCluster } from '../../scripts/src/cluster/in-process';
import { launchBrowser, newContext, poll, screenshot, SKIP_BROWSER, SKIP_REASON } from './helpers/browser';
import type { PageWatch } from './helpers/browser';

const DAY = 86_400;
const NAMES = ['court-registry', 'privacy-authority', 'civil-liberties-ngo'];

async function json(url: string, token?: string): Promise<any> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return res.json();
}

describe.skipIf(SKIP_BROWSER)(`four-eyes approval in the console${SKIP_REASON}`, () => {
  let cluster: RealCluster;
  let consoleUrl: string;
  let warrant: SignedWarrant;
  let officers: { alice: string; bob: string };
  let browser: Browser;
  let context: BrowserContext;
  let watch: PageWatch;
  let page: Page;

  beforeAll(async () => {
    cluster = await startRealCluster({
      origin: 'custodes.four-eyes/log',
      tempPrefix: 'web-four-eyes',
      threshold: 2,
      total: 3,
      names: { custodian: (i) => NAMES[i - 1]!, court: 'District Court', agency: 'Agency One' },
      registryAgeSeconds: DAY,
      nodeInit: (i) => ({ dev: true, name: NAMES[i - 1] }),
      custodian: { logLevel: 'silent', outboxGraceMs: 0 },
      coordinator: { cosignTimeoutMs: 3000 },
    });
    const node = cluster.nodes[0]!;
    officers = {
      alice: addOfficer({ dataDir: node.dataDir, name: 'alice' }).token,
      bob: addOfficer({ dataDir: node.dataDir, name: 'bob', require: 2 }).token,
    };
    consoleUrl = node.service!.url;
    ({ warrant } = courtSignedWarrant(cluster.court, cluster.investigators[0]!, 'CR-2026-4242'));
    const submitted = await fetch(`${cluster.coordinatorUrl}/v1/warrants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${cluster.tokens[0]}` },
      body: JSON.stringify({ warrant, salt: newSalt() }),
    });
    expect(submitted.status).toBe(201);
    browser = await launchBrowser();
    ({ context, watch } = await newContext(browser, [consoleUrl, cluster.coordinatorUrl]));
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await cluster?.close();
  });

  const approvalsLogged = async () => (await json(`${cluster.coordinatorUrl}/v1/warrants/${warrant.id}`, cluster.tokens[0])).approvals as number;

  async function signInAndApprove(token: string): Promise<void> {
    await page.getByLabel('Operator token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await poll(() => page.locator('#queue-table tbody tr').count()).toBe(1);
    await page.getByRole('button', { name: `Review warrant ${warrant.id}` }).click();
    await poll(() => page.locator('#warrant-h').textContent()).toBe('Warrant CR-2026-4242');
    await page.getByLabel('I have reviewed the scope, dates and legal authority above').check();
    await page.getByRole('button', { name: 'Approve and sign' }).click();
  }

  it('after the first officer approves, the console shows 1 of 2 and who is awaited; nothing is logged', async () => {
    await poll(async () => (await json(`${consoleUrl}/v1/operator/queue`, officers.alice)).warrants?.length ?? 0).toBe(1);
    await page.goto(`${consoleUrl}/console/`);
    await page.waitForSelector('body[data-ready="true"]');
    await signInAndApprove(officers.alice);
    await poll(() => page.locator('#decide-status').textContent()).toBe(
      'Your approval is recorded (1 of 2 officer approvals; awaiting bob). The node signs when 2 officers have approved.',
    );
    expect(await page.locator('#signed-in-as').textContent()).toBe('Signed in as officer alice (four-eyes: 2 of 2 officers must approve).');
    expect(await page.locator('#officers-status').textContent()).toBe('1 of 2 officer approvals; awaiting bob');
    expect(await page.locator('#officers-approved').textContent()).toMatch(/^alice \(/);
    expect(await page.locator('#officers-awaited').textContent()).toBe('bob');
    expect(await page.locator('#decision-status').textContent()).toBe('pending');
    await screenshot(page, 'four-eyes-first-officer');
    expect(await approvalsLogged()).toBe(0);
  });

  it('after the second officer approves, the node signs and the approval appears in the log', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInAndApprove(officers.bob);
    await poll(() => page.locator('#decide-status').textContent()).toMatch(/^Approved: signed approve entry by custodian 1 at /);
    expect(await page.locator('#signed-in-as').textContent()).toBe('Signed in as officer bob (four-eyes: 2 of 2 officers must approve).');
    expect(await page.locator('#officers-status').textContent()).toBe('2 of 2 officer approvals; awaiting nobody');
    expect(await page.locator('#decision-status').textContent()).toBe('approved');
    await screenshot(page, 'four-eyes-second-officer-signed');
    await poll(approvalsLogged).toBe(1);

    const explorer = await context.newPage();
    // Logged is not yet cosigned: the explorer proves entries against the latest cosigned checkpoint
    // it loaded, so a person reloads until the witnesses have cosigned the approval.
    await poll(async () => {
      await explorer.goto(`${cluster.coordinatorUrl}/explorer/?t=${Date.now()}#warrant=${warrant.id}`);
      await explorer.waitForSelector('body[data-ready="true"]');
      await explorer.waitForFunction("!/Looking up/.test(document.querySelector('#warrant-status')?.textContent ?? '')");
      return explorer.locator('#warrant-status').textContent();
    }).toMatch(/1 approval\(s\), 0 denial\(s\)/);
    const approval = await explorer.locator('#warrant-body section[aria-label="Approvals and denials"] li').innerText();
    expect(approval).toContain('custodian 1');
    expect(approval).toContain('four-eyes: 2 officers approved (2 required)');
    expect(approval).not.toMatch(/alice|bob/);
    await screenshot(explorer, 'four-eyes-explorer-approval');
  });

  it('raised no script or CSP error and made no request off its origins', () => {
    expect(watch.errors).toEqual([]);
    expect(watch.offOrigin).toEqual([]);
  });
});
