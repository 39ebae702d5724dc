/**
 * The public log explorer in headless Chromium against a stand-in log (the
 * docs/PROTOCOL.md §4.4 read API over shared/src/log): checkpoint and cosigners,
 * paging, decoding, a warrant's history, and the in-browser inclusion check
 * passing, then failing when one proof byte changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { bytesToBase64 } from '@custodes/shared/crypto';
import { accessibilityProblems, launchBrowser, newContext, poll, screenshot, SKIP_BROWSER, SKIP_REASON } from './helpers/browser';
import type { PageWatch } from './helpers/browser';
import { populatedLog } from './helpers/scenario';
import type { Scenario } from './helpers/scenario';
import type { Served } from './helpers/world';

describe.skipIf(SKIP_BROWSER)(`public log explorer in Chromium${SKIP_REASON}`, () => {
  let scenario: Scenario;
  let coordinator: Served;
  let browser: Browser;
  let context: BrowserContext;
  let watch: PageWatch;
  let page: Page;

  beforeAll(async () => {
    scenario = populatedLog();
    coordinator = await scenario.log.serve();
    browser = await launchBrowser();
    ({ context, watch } = await newContext(browser, [coordinator.url]));
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await coordinator?.close();
  });

  async function open(hash = ''): Promise<void> {
    await page.goto(`${coordinator.url}/explorer/${hash}`);
    await page.waitForSelector('body[data-ready="true"]');
  }

  it('serves the page with a strict CSP and redirects /explorer to /explorer/', async () => {
    const res = await fetch(`${coordinator.url}/explorer`, { redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/explorer/');
    const page = await fetch(`${coordinator.url}/explorer/`);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const lib = await fetch(`${coordinator.url}/explorer/lib/merkle.js`);
    expect(lib.headers.get('content-type')).toMatch(/javascript/);
  });

  it('shows the latest checkpoint and identifies its cosigners', async () => {
    await open();
    const { log, world } = scenario;
    await poll(() => page.locator('#checkpoint-size').textContent()).toBe(String(log.checkpointSize));
    expect(await page.locator('#checkpoint-root').textContent()).toBe(bytesToBase64(log.root()));
    const rows = page.locator('#cosigners tbody tr');
    expect(await rows.count()).toBe(1 + world.custodians.length);
    const text = await page.locator('#cosigners').innerText();
    expect(text).toContain('log signature');
    for (const c of world.custodians) expect(text).toContain(`${c.name}\tcosignature (custodian ${c.index})`);
    expect(await page.locator('#checkpoint-status').textContent()).toBe('Cosigned by 3 of 3 custodians (auditors require 2); signatures verified here.');
    expect(await page.locator('#cosigners .badge.ok').count()).toBe(4);
    await screenshot(page, 'explorer-checkpoint');
  });

  it('verifies checkpoint signatures itself, and flags a forged cosignature', async () => {
    await page.route('**/log/v1/checkpoint', async (route) => {
      const answer = await route.fetch();
      const lines = (await answer.text()).split('\n');
      const last = lines[lines.length - 2]!;
      const raw = Buffer.from(last.slice(last.lastIndexOf(' ') + 1), 'base64');
      raw[raw.length - 1] = raw[raw.length - 1]! ^ 1; // keep the key ID, break the signature
      lines[lines.length - 2] = `${last.slice(0, last.lastIndexOf(' ') + 1)}${raw.toString('base64')}`;
      await route.fulfill({ response: answer, body: lines.join('\n') });
    });
    try {
      await open();
      await poll(() => page.locator('#checkpoint-status').textContent()).toBe('✗ 1 signature(s) from registered keys do NOT verify: do not trust this checkpoint.');
      expect(await page.locator('#cosigners tbody tr').last().innerText()).toMatch(/civil-liberties-ngo\tcosignature \(custodian 3\)[\s\S]*✗ INVALID/);
      await screenshot(page, 'explorer-forged-cosignature');
    } finally {
      await page.unroute('**/log/v1/checkpoint');
    }
  });

  it('takes signer keys only from a registry that is the log’s own entry', async () => {
    await page.route('**/v1/registry', async (route) => {
      const answer = await route.fetch();
      const body = (await answer.json()) as { index: number; entry: { logKey: string } };
      body.entry.logKey = 'ab'.repeat(32); // a swapped log key
      await route.fulfill({ response: answer, json: body });
    });
    try {
      await open();
      await poll(() => page.locator('#checkpoint-status').textContent()).toBe(
        '4 signature line(s) not checked: the registry served at ../v1/registry is not log entry 0.',
      );
      expect(await page.locator('#checkpoint-status').getAttribute('class')).toContain('bad');
    } finally {
      await page.unroute('**/v1/registry');
    }
  });

  it('pages through the entries newest first, with a time column, decoding each by type', async () => {
    await open();
    const size = scenario.log.checkpointSize;
    const rows = page.locator('#entries-table tbody tr');
    await poll(() => rows.count()).toBe(20);
    expect(await page.locator('#entries-table thead th').allInnerTexts()).toEqual(['Index', 'Type', 'Time', 'Entry', 'Actions']);
    // Newest first (issue #21: they were listed oldest first).
    expect(await rows.first().locator('td').first().innerText()).toBe(String(size - 1));
    expect(await page.locator('#entries-status').textContent()).toBe(`Showing entries ${size - 1}–${size - 20} (newest first) of ${size} in checkpoint.`);
    const types = await page.locator('#entries-table tbody tr td:nth-child(2)').allInnerTexts();
    const texts = new Map<number, string>();
    const collect = async () => {
      for (const r of await rows.all()) texts.set(Number(await r.locator('td').first().innerText()), await r.innerText());
    };
    await collect();
    expect(await page.getByRole('button', { name: 'Newer entries' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Older entries' }).click();
    await poll(() => page.locator('#entries-status').textContent()).toBe(`Showing entries ${size - 21}–0 (newest first) of ${size} in checkpoint.`);
    expect(await rows.count()).toBe(size - 20);
    expect(await rows.last().innerText()).toContain('Registry #0: 2 of 3 custodians');
    await collect();
    expect(texts.size).toBe(size);
    // Names from the registry, the id beside them; a time in every row that has one.
    expect(texts.get(scenario.approvalIndex)).toMatch(/Approval by .+ \(custodian 1\)/);
    expect(texts.get(scenario.approvalIndex)).toMatch(/\t\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC\t/);
    expect(texts.get(scenario.junkIndex)).toContain('Undecodable leaf (unknown entry type)');
    types.push(...(await page.locator('#entries-table tbody tr td:nth-child(2)').allInnerTexts()));
    for (const t of ['registry', 'warrant', 'approval', 'denial', 'decryption-request', 'release', 'decryption-complete', 'revocation', 'unseal', 'undecodable']) {
      expect(types).toContain(t);
    }
    expect(await page.getByRole('button', { name: 'Older entries' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Newer entries' }).click();
    await poll(() => rows.first().locator('td').first().innerText()).toBe(String(size - 1));
    await screenshot(page, 'explorer-entries-newest-first');
  });

  it('gives a denial its own badge, not the approval one', async () => {
    await open(`#warrant=${scenario.served.warrant.id}`);
    await poll(() => page.locator('#warrant-status').textContent()).toMatch(/1 denial/);
    await open();
    const older = page.getByRole('button', { name: 'Older entries' });
    const badges = page.locator('#entries-table tbody tr td:nth-child(2) .badge');
    await poll(() => badges.count()).toBe(20);
    const all = [...(await badges.allInnerTexts())];
    await older.click();
    await poll(() => page.locator('#entries-status').textContent()).toMatch(/–0 \(newest first\)/);
    all.push(...(await badges.allInnerTexts()));
    const denial = page.locator('#entries-table tbody tr', { hasText: 'Denial by' }).locator('td:nth-child(2) .badge');
    expect(await denial.innerText()).toBe('denial');
    expect(await denial.getAttribute('class')).toContain('bad');
    expect(all.filter((t) => t === 'denial')).toHaveLength(1);
  });

  it('opens a warrant history with a timeline of its steps at the top', async () => {
    await open(`#warrant=${scenario.served.warrant.id}`);
    const steps = page.locator('#warrant-timeline li');
    await poll(() => steps.count()).toBeGreaterThan(5);
    // The timeline is the first thing in the history, oldest step first, each with a time.
    expect(await page.locator('#warrant-body section').first().getAttribute('aria-label')).toBe('Timeline');
    const texts = await steps.allInnerTexts();
    expect(texts[0]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC Cover sheet logged \(entry \d+\)$/);
    expect(texts.some((t) => /Denied by .+ \(custodian \d\)/.test(t))).toBe(true);
    expect(texts.some((t) => /Decryption completed/.test(t))).toBe(true);
    const indexes = texts.map((t) => Number(/\(entry (\d+)\)$/.exec(t)?.[1]));
    expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
    await screenshot(page, 'explorer-warrant-timeline');
  });

  it('fits a phone: table rows become labelled cards, nothing scrolls sideways', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await open();
      await poll(() => page.locator('#entries-table tbody tr').count()).toBe(20);
      const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      const wide = await page.evaluate(`[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).map((e) => e.tagName + '#' + e.id + '.' + e.className).slice(0, 8).join(' ')`);
      expect(overflow, String(wide)).toBeLessThanOrEqual(0);
      const label = await page.evaluate(`getComputedStyle(document.querySelector('#entries-table tbody td:nth-child(3)'), '::before').content`);
      expect(label).toBe('"Time"');
      await screenshot(page, 'explorer-phone');
    } finally {
      await page.setViewportSize({ width: 1200, height: 900 });
    }
  });

  it("assembles a warrant's public history: cover sheet, decisions, request, releases, completion", async () => {
    await open();
    await page.getByLabel('Warrant ID').fill(scenario.served.warrant.id);
    await page.getByRole('button', { name: 'Find in the log' }).click();
    const status = page.locator('#warrant-status');
    await poll(() => status.textContent()).toMatch(/^Warrant .*: 2 approval\(s\), 1 denial\(s\); quorum is 2; sealed until/);
    const body = page.locator('#warrant-body');
    const text = await body.innerText();
    expect(text).toContain('Cover sheet (1)');
    expect(text).toContain('Approvals and denials (3)');
    expect(text).toContain('subject count exceeds our policy');
    expect(text).toContain('Decryption requests (1)');
    expect(text).toContain('Releases (2)');
    expect(text).toContain('Completed decryptions (1)');
    expect(text).toContain('Revocation (0)');
    // Another warrant's entries are not mixed in.
    expect(text).not.toContain(scenario.revoked.warrant.id);
    expect(page.url()).toContain(`#warrant=${scenario.served.warrant.id}`);
    await screenshot(page, 'explorer-warrant-history');
  });

  it("fetches only the warrant's entries and their proofs, not the log (docs/PROTOCOL.md §7.3, Warrant search)", async () => {
    await open();
    const seen: string[] = [];
    const count = (req: { url(): string }) => void seen.push(new URL(req.url()).pathname + new URL(req.url()).search);
    page.on('request', count);
    try {
      await page.getByLabel('Warrant ID').fill(scenario.served.warrant.id);
      await page.getByRole('button', { name: 'Find in the log' }).click();
      await poll(() => page.locator('#warrant-status').textContent()).toMatch(/8 entries, each proved in the checkpoint here\.$/);
    } finally {
      page.off('request', count);
    }
    const entryCalls = seen.filter((u) => u.startsWith('/log/v1/entries'));
    const fetched = entryCalls.reduce((n, u) => {
      const q = new URLSearchParams(u.slice(u.indexOf('?')));
      return n + Number(q.get('end')) - Number(q.get('start'));
    }, 0);
    expect(fetched).toBe(9); // the warrant's 8 entries and the genesis registry, not the log's
    expect(scenario.log.checkpointSize).toBeGreaterThan(20);
    expect(seen.filter((u) => u.startsWith('/log/v1/proof/inclusion'))).toHaveLength(9);
    expect(seen.filter((u) => u.startsWith('/v1/log/warrant/'))).toEqual([`/v1/log/warrant/${scenario.served.warrant.id}?size=${scenario.log.checkpointSize}`]);
  });

  it('refuses a tampered index answer: another warrant\'s entry, or a bad proof', async () => {
    const stranger = scenario.approvalIndex + 20; // a filler warrant's cover sheet
    await page.route('**/v1/log/warrant/**', async (route) => {
      const answer = await route.fetch();
      const body = (await answer.json()) as { indices: number[] };
      await route.fulfill({ response: answer, json: { ...body, indices: [...body.indices, stranger] } });
    });
    try {
      await page.goto('about:blank'); // a fresh load, not a same-hash no-op
      await open(`#warrant=${scenario.served.warrant.id}`);
      await poll(() => page.locator('#warrant-status').textContent()).toContain(`entry ${stranger} (warrant) is not warrant ${scenario.served.warrant.id}'s`);
      expect(await page.locator('#warrant-status').getAttribute('class')).toContain('bad');
      expect(await page.locator('#warrant-body section').count()).toBe(0);
      await screenshot(page, 'explorer-warrant-search-tampered');
    } finally {
      await page.unroute('**/v1/log/warrant/**');
    }
    await page.route('**/log/v1/proof/inclusion**', async (route) => {
      const answer = await route.fetch();
      const body = (await answer.json()) as { index: number; proof: string[] };
      if (body.index !== scenario.approvalIndex) return route.fulfill({ response: answer });
      const first = Buffer.from(body.proof[0]!, 'base64');
      first[31] = first[31]! ^ 0x80;
      await route.fulfill({ response: answer, json: { ...body, proof: [first.toString('base64'), ...body.proof.slice(1)] } });
    });
    try {
      await page.goto('about:blank');
      await open(`#warrant=${scenario.served.warrant.id}`);
      await poll(() => page.locator('#warrant-status').textContent()).toContain(`entry ${scenario.approvalIndex} is not in the checkpoint's tree`);
    } finally {
      await page.unroute('**/log/v1/proof/inclusion**');
    }
  });

  it('flags an overdue unsealing and shows a revocation and an unsealing', async () => {
    await open(`#warrant=${scenario.overdue.warrant.id}`);
    await poll(() => page.locator('#warrant-status').textContent()).toMatch(/unsealing OVERDUE since/);
    expect(await page.locator('#warrant-body').innerText()).toContain('Overdue: not yet unsealed.');
    await open(`#warrant=${scenario.revoked.warrant.id}`);
    await poll(() => page.locator('#warrant-status').textContent()).toMatch(/revoked/);
    expect(await page.locator('#warrant-body').innerText()).toContain('investigation closed');
    await open(`#warrant=${scenario.unsealed.warrant.id}`);
    await poll(() => page.locator('#warrant-status').textContent()).toMatch(/; unsealed\./);
    expect(await page.locator('#warrant-body').innerText()).toContain('acct:alice@example.org');
  });

  it('checks an inclusion proof in the browser, and fails it when one proof byte changes', async () => {
    await open();
    const index = scenario.approvalIndex;
    await page.getByLabel('Entry index to prove').fill(String(index));
    await page.getByRole('button', { name: 'Fetch and check proof' }).click();
    const result = page.locator('#proof-result');
    await poll(() => result.textContent()).toBe(`✓ Inclusion verified: entry ${index} is in the checkpoint of size ${scenario.log.checkpointSize}.`);
    const proofLines = (await page.getByLabel(/Proof hashes/).inputValue()).split('\n');
    expect(proofLines.length).toBeGreaterThanOrEqual(4);
    // One row for the leaf, one per proof hash.
    expect(await page.locator('#proof-path-table tbody tr').count()).toBe(proofLines.length + 1);
    await screenshot(page, 'explorer-proof-ok');
    await page.getByLabel('Warrant ID').fill(scenario.served.warrant.id);
    await page.getByRole('button', { name: 'Find in the log' }).click();
    await poll(() => page.locator('#warrant-body section').count()).toBe(9);
    expect(await accessibilityProblems(page)).toEqual([]);

    // Edit one byte of the second proof hash by hand.
    const edited = [...proofLines];
    const line = edited[1]!;
    edited[1] = `${line.slice(0, 10)}${line.slice(10, 12) === 'ff' ? '00' : 'ff'}${line.slice(12)}`;
    await page.getByLabel(/Proof hashes/).fill(edited.join('\n'));
    await page.getByRole('button', { name: 'Check this proof again' }).click();
    await poll(() => result.textContent()).toBe('✗ Inclusion NOT verified: the proof leads to a different root than the checkpoint.');
    expect(await result.getAttribute('class')).toContain('bad');
    await screenshot(page, 'explorer-proof-tampered');

    await page.getByRole('button', { name: 'Restore the served proof' }).click();
    await poll(() => result.textContent()).toMatch(/^✓ Inclusion verified/);
    await page.getByRole('button', { name: 'Flip one bit of the first proof hash' }).click();
    await poll(() => result.textContent()).toMatch(/^✗ Inclusion NOT verified/);
    // Junk in the text area is a failed check, not a crash.
    await page.getByLabel(/Proof hashes/).fill('not hex');
    await page.getByRole('button', { name: 'Check this proof again' }).click();
    await poll(() => result.textContent()).toMatch(/^✗ Inclusion NOT verified: line 1 is not hex/);
  });

  it('works from the keyboard alone', async () => {
    await open();
    // From an entry's "Check inclusion" link to a verified proof, with Enter.
    const newest = scenario.log.checkpointSize - 1;
    const link = page.getByRole('link', { name: `Check inclusion of entry ${newest}` });
    await link.focus();
    await page.keyboard.press('Enter');
    await poll(() => page.locator('#proof-result').textContent()).toMatch(new RegExp(`^✓ Inclusion verified: entry ${newest} `));
    expect(await page.locator(':focus').getAttribute('id')).toBe('proof-h');
    // Tab from the warrant field to its button and submit with the keyboard.
    await page.getByLabel('Warrant ID').focus();
    await page.keyboard.type(scenario.revoked.warrant.id);
    await page.keyboard.press('Tab');
    expect(await page.locator(':focus').textContent()).toBe('Find in the log');
    await page.keyboard.press('Enter');
    await poll(() => page.locator('#warrant-status').textContent()).toMatch(/revoked/);
  });

  it('checks on refresh that the new checkpoint extends the one shown before, and flags a proof that does not', async () => {
    await open();
    const { log, world } = scenario;
    const before = log.checkpointSize;
    log.appendRaw(new TextEncoder().encode('{"type":"not-a-record","n":1}'));
    log.append(world.registry);
    log.publish();
    await page.getByRole('button', { name: 'Refresh' }).click();
    const consistency = page.locator('#checkpoint-consistency');
    await poll(() => consistency.textContent()).toBe(
      `✓ Consistent: the checkpoint of size ${before + 2} extends the one of size ${before} shown before (RFC 9162 consistency proof checked here).`,
    );
    await poll(() => page.locator('#checkpoint-size').textContent()).toBe(String(before + 2));

    // A log that answers with a proof for another history is caught.
    log.append(world.registry);
    log.publish();
    await page.route('**/log/v1/proof/consistency?*', async (route) => {
      const answer = await route.fetch();
      const body = (await answer.json()) as { from: number; to: number; proof: string[] };
      const first = Buffer.from(body.proof[0]!, 'base64');
      first[0] = first[0]! ^ 0x80;
      body.proof[0] = first.toString('base64');
      await route.fulfill({ response: answer, json: body });
    });
    await page.getByRole('button', { name: 'Refresh' }).click();
    await poll(() => consistency.textContent()).toMatch(/^✗ NOT consistent with the checkpoint of size \d+ shown before: .*different histories\.$/);
    await screenshot(page, 'explorer-inconsistent');
    await page.unroute('**/log/v1/proof/consistency?*');
  });

  it('made no request off its origin and raised no script or CSP error', () => {
    expect(watch.offOrigin).toEqual([]);
    expect(watch.errors).toEqual([]);
  });
});
