/**
 * The custodian console in headless Chromium against a stand-in custodian
 * (docs/PROTOCOL.md §7.9 seal and operator API over in-memory state): unseal one
 * key at a time, sign in, review a warrant's full details, approve one and
 * deny another with a reason; then the approval appears in the public log
 * explorer and its inclusion proof verifies in the browser.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { accessibilityProblems, launchBrowser, newContext, poll, screenshot, SKIP_BROWSER, SKIP_REASON } from './helpers/browser';
import type { PageWatch } from './helpers/browser';
import { issueWarrant, makeWorld, StandInCustodian, StandInLog } from './helpers/world';
import type { IssuedWarrant, Served, World } from './helpers/world';

describe.skipIf(SKIP_BROWSER)(`custodian console and explorer in Chromium${SKIP_REASON}`, () => {
  const now = Math.floor(Date.now() / 1000);
  let world: World;
  let log: StandInLog;
  let node: StandInCustodian;
  let toApprove: IssuedWarrant;
  let toDeny: IssuedWarrant;
  let coordinator: Served;
  let custodian: Served;
  let browser: Browser;
  let context: BrowserContext;
  let watch: PageWatch;
  let page: Page;
  const requested: string[] = [];

  beforeAll(async () => {
    world = makeWorld(now);
    log = new StandInLog(world, now);
    node = new StandInCustodian({ me: world.custodians[0]!, log, now, sealed: true });
    toApprove = issueWarrant(world, now, { caseNumber: 'CR-2026-0412' });
    toDeny = issueWarrant(world, now, {
      caseNumber: 'CR-2026-0413',
      scope: { subjects: Array.from({ length: 40 }, (_, i) => `acct:user${i}@example.org`), categories: ['messages', 'location'], notBefore: now - 400 * 86_400, notAfter: now },
    });
    node.deliver(toApprove, { auto: false, reasons: ['court district-court-1 is not in the policy'] });
    node.deliver(toDeny, { auto: false, reasons: ['more than 10 subjects', 'time window longer than 90 days'] });
    node.releases.push(
      { requestId: crypto.randomUUID(), warrantId: toApprove.warrant.id, outcome: 'refused', code: 'NO_QUORUM', count: 4, time: now - 60 },
      { requestId: crypto.randomUUID(), warrantId: toApprove.warrant.id, outcome: 'served', code: null, count: 4, time: now - 30 },
    );
    coordinator = await log.serve();
    custodian = await node.serve();
    browser = await launchBrowser();
    ({ context, watch } = await newContext(browser, [coordinator.url, custodian.url]));
    context.on('request', (req) => requested.push(req.url()));
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await custodian?.close();
    await coordinator?.close();
  });

  const sealStatus = () => page.locator('#seal-status').textContent();

  it('unseals the node one key per submit, showing progress k of K', async () => {
    await page.goto(`${custodian.url}/console/`);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.locator('#node-name').textContent()).toBe('Custodian 1');
    expect(await sealStatus()).toBe('Sealed: 0 of 3 unseal keys entered (5 issued).');
    expect(await page.locator('#signin').isHidden()).toBe(true);

    const key = page.getByLabel('Unseal key (one per submit)');
    await key.fill('not a key!');
    await key.press('Enter');
    await poll(() => page.locator('#unseal-error').textContent()).toMatch(/BAD_UNSEAL_KEY/);

    for (const [i, k] of node.unsealKeys.slice(0, 2).entries()) {
      await key.fill(k);
      await page.getByRole('button', { name: 'Submit unseal key' }).click();
      await poll(sealStatus).toBe(`Sealed: ${i + 1} of 3 unseal keys entered (5 issued).`);
      expect(await key.inputValue()).toBe('');
      expect(await page.locator('#seal-progress').getAttribute('aria-label')).toBe('Unseal keys entered');
    }
    await screenshot(page, 'console-unseal-progress');
    await key.fill(node.unsealKeys[4]!);
    await key.press('Enter');
    await poll(sealStatus).toBe('Unsealed: the node is serving.');
    // The page re-reads the seal status before it offers the sign-in form.
    await poll(() => page.locator('#signin').isVisible()).toBe(true);
    expect(await page.locator('#unseal-form').isHidden()).toBe(true);
  });

  it('signs in with the operator token, kept in sessionStorage and never in a URL', async () => {
    const token = page.getByLabel('Operator token');
    await token.fill('op_wrong_token_0123456789');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await poll(() => page.locator('#signin-error').textContent()).toBe('The node refused this token.');

    await token.fill(node.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await poll(() => page.locator('#queue-table tbody tr').count()).toBe(2);
    // Issue #21: the Review button wrapped inside its cell ("Revie / w"); one line, its text whole.
    for (const width of [1200, 700]) {
      await page.setViewportSize({ width, height: 900 });
      const review = page.getByRole('button', { name: /^Review warrant / }).first();
      // As tall as a one-line button outside the table.
      const oneLine = (await page.locator('#queue-refresh').boundingBox())!.height;
      expect((await review.boundingBox())!.height).toBeLessThanOrEqual(oneLine + 1);
    }
    await page.setViewportSize({ width: 1200, height: 900 });
    expect(await page.locator('#queue-table').innerText()).toContain('District Court One (district-court-1)');
    expect(await page.evaluate("sessionStorage.getItem('custodes.operatorToken')")).toBe(node.token);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    expect(await token.inputValue()).toBe('');
    const queue = await page.locator('#queue-table').innerText();
    expect(queue).toContain('CR-2026-0412');
    expect(queue).toContain('needs review: more than 10 subjects; time window longer than 90 days');
    await screenshot(page, 'console-queue');
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it("shows a warrant's full details: scope, dates, checks and the node's policy", async () => {
    await page.getByRole('button', { name: `Review warrant ${toDeny.warrant.id}` }).click();
    await poll(() => page.locator('#warrant-h').textContent()).toBe('Warrant CR-2026-0413');
    expect(await page.locator(':focus').getAttribute('id')).toBe('warrant-h');
    expect(await page.locator('#scope-subjects li').count()).toBe(40);
    const body = await page.locator('#warrant-body').innerText();
    expect(body).toContain('messages, location');
    expect(body).toContain('Criminal Procedure Code §100a');
    expect(body).toContain('Outside the auto-approval policy');
    expect(await page.locator('#policy-reasons li').allInnerTexts()).toEqual(['more than 10 subjects', 'time window longer than 90 days']);
    expect(await page.locator('#checks-table tbody tr').count()).toBe(4);
    expect(await page.locator('#checks-table .badge.ok').count()).toBe(4);
    expect(await page.locator('#decision-status').textContent()).toBe('pending');
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('reads as a person expects (issue #21): checks in words, names for ids, one Decision heading', async () => {
    const checks = await page.locator('#checks-table tbody td:first-child').allInnerTexts();
    expect(checks).toContain("Court's signature (registered court key)");
    expect(checks.join(' ')).not.toMatch(/courtSignature|investigatorSignature/);
    const body = await page.locator('#warrant-body').innerText();
    expect(body).toMatch(/Court\s+District Court One \(district-court-1\)/);
    expect(body).toMatch(/Agency\s+Federal Police \(federal-police\)/);
    const headings = await page.locator('#warrant-view h3:visible').allInnerTexts();
    expect(headings.filter((t) => t === 'Decision')).toEqual([]);
    expect(headings).toContain("This node's decision");
    expect(headings).toContain('Decide');
  });

  it('denies a warrant only with a reason', async () => {
    const reason = page.getByLabel('Reason for denial (logged publicly)');
    await page.getByRole('button', { name: 'Deny with this reason' }).click();
    // The required field stops the submit: nothing was decided.
    expect(await reason.evaluate((el) => (el as unknown as { validity: { valueMissing: boolean } }).validity.valueMissing)).toBe(true);
    expect(await page.locator('#decision-status').textContent()).toBe('pending');
    await reason.fill('Forty subjects over thirteen months is not proportionate to the offense.');
    await page.getByRole('button', { name: 'Deny with this reason' }).click();
    await poll(() => page.locator('#decide-status').textContent()).toMatch(/^Denied: signed deny entry by custodian 1 at /);
    expect(await page.locator('#decision-status').textContent()).toBe('denied');
    expect(await page.locator('#decide').isHidden()).toBe(true);
  });

  it('approves a warrant: a signed approval entry goes to the log', async () => {
    const before = log.size;
    await page.getByRole('button', { name: 'Back to the queue' }).click();
    await poll(() => page.locator('#queue-table tbody tr').count()).toBe(1);
    await page.getByRole('button', { name: `Review warrant ${toApprove.warrant.id}` }).click();
    await poll(() => page.locator('#warrant-h').textContent()).toBe('Warrant CR-2026-0412');
    await screenshot(page, 'console-warrant');
    const approve = page.getByRole('button', { name: 'Approve and sign' });
    expect(await approve.isDisabled()).toBe(true);
    await page.getByLabel('I have reviewed the scope, dates and legal authority above').check();
    expect(await approve.isEnabled()).toBe(true);
    await approve.click();
    await poll(() => page.locator('#decide-status').textContent()).toMatch(/^Approved: signed approve entry by custodian 1 at /);
    expect(await page.locator('#decision-status').textContent()).toBe('approved');
    expect(log.size).toBe(before + 1);
    await screenshot(page, 'console-approved');
    await page.getByRole('button', { name: 'Back to the queue' }).click();
    await poll(() => page.locator('#queue-empty').textContent()).toBe('No warrant is waiting for a decision.');
  });

  it("shows the node's releases, refusals and witness state", async () => {
    await page.getByRole('button', { name: 'Releases and refusals' }).click();
    await poll(() => page.locator('#releases-table tbody tr').count()).toBe(2);
    const rows = await page.locator('#releases-table tbody tr').allInnerTexts();
    expect(rows[0]).toMatch(/served/);
    expect(rows[1]).toMatch(/refused[\s\S]*NO_QUORUM/);
    await screenshot(page, 'console-releases');
    await page.getByRole('button', { name: 'Witness' }).click();
    await poll(() => page.locator('#witness-size').textContent()).toBe(String(log.checkpointSize));
    expect(await page.locator('#witness-replica').textContent()).toBe(String(log.size));
    expect(await page.locator('#witness-body pre').textContent()).toContain('— civil-liberties-ngo ');
    await screenshot(page, 'console-witness');
  });

  it('keeps the session across a reload and forgets the token on sign-out', async () => {
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    await poll(() => page.locator('#app').isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(await page.evaluate("sessionStorage.getItem('custodes.operatorToken')")).toBeNull();
    expect(await page.locator('#signin').isVisible()).toBe(true);
    expect(await page.locator(':focus').getAttribute('id')).toBe('signin-token');
  });

  it('the approval appears in the public explorer, and its inclusion proof verifies there', async () => {
    const explorer = await context.newPage();
    await explorer.goto(`${coordinator.url}/explorer/#warrant=${toApprove.warrant.id}`);
    await explorer.waitForSelector('body[data-ready="true"]');
    await poll(() => explorer.locator('#warrant-status').textContent()).toMatch(/1 approval\(s\), 0 denial\(s\)/);
    const approval = explorer.locator('#warrant-body section[aria-label="Approvals and denials"] li');
    expect(await approval.count()).toBe(1);
    const text = await approval.innerText();
    expect(text).toMatch(/Approval by .+ \(custodian 1\)/);
    const index = Number(/Entry (\d+):/.exec(text)?.[1]);
    expect(index).toBe(log.size - 1);
    await screenshot(explorer, 'explorer-after-console-approval');
    await approval.getByRole('link', { name: `Check inclusion of entry ${index}` }).click();
    await poll(() => explorer.locator('#proof-result').textContent()).toBe(`✓ Inclusion verified: entry ${index} is in the checkpoint of size ${log.checkpointSize}.`);
    // The denial is public too, with its reason.
    await explorer.goto(`${coordinator.url}/explorer/#warrant=${toDeny.warrant.id}`);
    await poll(() => explorer.locator('#warrant-body').innerText()).toContain('Forty subjects over thirteen months');
    await explorer.close();
  });

  it('never put the token in a URL, made no request off its origins, raised no script or CSP error', () => {
    expect(requested.length).toBeGreaterThan(10);
    expect(requested.filter((u) => u.includes(node.token))).toEqual([]);
    expect(watch.offOrigin).toEqual([]);
    expect(watch.errors).toEqual([]);
  });
});
