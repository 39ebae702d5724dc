/**
 * Against the real services: a coordinator (createCoordinator) and three
 * custodian nodes (createCustodian, 2-of-3) on loopback. In Chromium an
 * officer unseals custodian 1 from its console with real unseal keys, an
 * operator signs in with the real operator token and approves a warrant the
 * coordinator delivered; the coordinator logs the signed approval, the
 * custodians cosign, and the public explorer finds the approval and verifies
 * its inclusion proof against the cosigned checkpoint.
 *
 * Until the services mount the pages themselves (`app.use(consoleRouter())`,
 * `app.use(explorerRouter())`), each page is served by a thin front on its
 * own port that mounts the router and forwards everything else to the real
 * service, so the pages still call their service same-origin.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import express from 'express';
import type { Router } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { newSalt, signWarrant } from '@custodes/shared/records';
import type { SignedWarrant, Warrant } from '@custodes/shared/records';
import { closeServer, listen } from '@custodes/shared/service';
import type { Coordinator } from '@custodes/coordinator';
import type { Custodian, InitResult } from '@custodes/custodian';
import { startRealCluster } from '../../scripts/src/cluster/in-process';
import type { RealCluster } from '../../scripts/src/cluster/in-process';
import { consoleRouter, explorerRouter } from '../../services/web/src/index';
import { launchBrowser, newContext, poll, screenshot, SKIP_BROWSER, SKIP_REASON } from './helpers/browser';
import type { PageWatch } from './helpers/browser';

const ORIGIN = 'custodes.web-test/log';
const NAMES = ['court-registry', 'privacy-authority', 'civil-liberties-ngo'];
const DAY = 86_400;

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The page's router, with every other request forwarded to `target` — or
 * nothing at all if the service already mounts the page itself.
 */
async function pageFront(router: Router, target: string, page: string): Promise<{ url: string; close(): Promise<void> }> {
  const mounted = await fetch(`${target}/${page}/`);
  if (mounted.ok && (mounted.headers.get('content-type') ?? '').startsWith('text/html')) return { url: target, close: async () => {} };
  const app = express();
  app.use(router);
  app.use(async (req, res) => {
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'content-type', 'accept']) {
      const value = req.get(name);
      if (value) headers[name] = value;
    }
    const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req);
    const answer = await fetch(`${target}${req.originalUrl}`, { method: req.method, headers, body, redirect: 'manual' });
    res.status(answer.status);
    const type = answer.headers.get('content-type');
    if (type) res.setHeader('content-type', type);
    res.send(Buffer.from(await answer.arrayBuffer()));
  });
  const { server, port } = await listen(app, 0, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}`, close: () => closeServer(server) };
}

async function json(url: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

describe.skipIf(SKIP_BROWSER)(`console and explorer against the real coordinator and custodians${SKIP_REASON}`, () => {
  const now = Math.floor(Date.now() / 1000);
  let cluster: RealCluster;
  let inits: InitResult[];
  let custodians: Custodian[];
  let coordinator: Coordinator;
  let investigatorToken: string;
  let consoleFront: { url: string; close(): Promise<void> };
  let explorerFront: { url: string; close(): Promise<void> };
  let warrant: SignedWarrant;
  let browser: Browser;
  let context: BrowserContext;
  let watch: PageWatch;
  let page: Page;

  beforeAll(async () => {
    // Not dev mode: the nodes start sealed, and each init's unseal keys are the officer's.
    cluster = await startRealCluster({
      origin: ORIGIN,
      tempPrefix: 'web-real',
      threshold: 2,
      total: 3,
      names: { custodian: (i) => NAMES[i - 1]!, court: 'District Court', agency: 'Agency One' },
      registryAgeSeconds: DAY,
      nodeInit: (i) => ({ name: NAMES[i - 1] }),
      custodian: { logLevel: 'silent' },
      coordinator: { cosignTimeoutMs: 3000 },
    });
    inits = cluster.nodes.map((n) => n.init);
    custodians = cluster.nodes.map((n) => n.service!);
    ({ coordinator } = cluster);
    const court = cluster.court;
    const investigator = cluster.investigators[0]!;
    investigatorToken = cluster.tokens[0]!;

    const body: Warrant = {
      format: 'custodes.warrant.v1',
      id: randomUUID(),
      agency: 'agency-1',
      investigator: investigator.publicKey,
      court: 'court-1',
      caseNumber: 'CR-2026-7777',
      legalAuthority: 'Criminal Procedure Code §100a',
      offense: 'Extortion',
      scope: { subjects: ['acct:mallory@example.org'], categories: ['messages'], notBefore: now - 30 * DAY, notAfter: now - DAY },
      maxEnvelopes: 100,
      issuedAt: now - 600,
      expiresAt: now + 30 * DAY,
      sealedUntil: now + 90 * DAY,
    };
    warrant = { ...body, courtSignature: signWarrant(body, court.secretKey), investigatorSignature: signWarrant(body, investigator.secretKey) };

    consoleFront = await pageFront(consoleRouter(), custodians[0]!.url, 'console');
    explorerFront = await pageFront(explorerRouter(), coordinator.url, 'explorer');
    browser = await launchBrowser();
    ({ context, watch } = await newContext(browser, [consoleFront.url, explorerFront.url]));
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await consoleFront?.close();
    await explorerFront?.close();
    await cluster?.close();
  });

  it('an officer unseals custodian 1 from its console with its real unseal keys', async () => {
    await page.goto(`${consoleFront.url}/console/`);
    await page.waitForSelector('body[data-ready="true"]');
    const status = () => page.locator('#seal-status').textContent();
    expect(await status()).toBe('Sealed: 0 of 3 unseal keys entered (5 issued).');
    for (const [i, k] of inits[0]!.unsealKeys.slice(0, 3).entries()) {
      await page.getByLabel('Unseal key (one per submit)').fill(k);
      await page.getByRole('button', { name: 'Submit unseal key' }).click();
      await poll(status).toBe(i < 2 ? `Sealed: ${i + 1} of 3 unseal keys entered (5 issued).` : 'Unsealed: the node is serving.');
    }
    // The other two nodes are unsealed over their API.
    for (const [i, node] of custodians.slice(1).entries()) {
      for (const k of inits[i + 1]!.unsealKeys.slice(0, 3)) expect((await json(`${node.url}/v1/unseal`, { method: 'POST', body: { key: k } })).status).toBe(200);
    }
  });

  it('the coordinator delivers a warrant, and the operator approves it in the console', async () => {
    const submitted = await json(`${coordinator.url}/v1/warrants`, { method: 'POST', token: investigatorToken, body: { warrant, salt: newSalt() } });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    const token = inits[0]!.operatorToken;
    await poll(async () => (await json(`${custodians[0]!.url}/v1/operator/queue`, { token })).body?.warrants?.length ?? 0).toBe(1);

    await page.getByLabel('Operator token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await poll(() => page.locator('#queue-table tbody tr').count()).toBe(1);
    await page.getByRole('button', { name: `Review warrant ${warrant.id}` }).click();
    await poll(() => page.locator('#warrant-h').textContent()).toBe('Warrant CR-2026-7777');
    expect(await page.locator('#scope-subjects li').allTextContents()).toEqual(['acct:mallory@example.org']);
    expect(await page.locator('#checks-table .badge.ok').count()).toBe(4);
    expect(await page.locator('#policy-verdict').textContent()).toBe('Outside the auto-approval policy: an operator must decide.');
    const approve = page.getByRole('button', { name: 'Approve and sign' });
    expect(await approve.isDisabled()).toBe(true);
    await page.getByLabel('I have reviewed the scope, dates and legal authority above').check();
    expect(await approve.isEnabled()).toBe(true);
    await approve.click();
    await poll(() => page.locator('#decide-status').textContent()).toMatch(/^Approved: signed approve entry by custodian 1 at /);
    // Issue #21: right after approving, the console said "Approved by custodians: none yet".
    expect(await page.locator('#logged-approvals').textContent()).not.toBe('none yet');
    // It follows the approval into this node's replica of the log and shows its entry.
    await poll(() => page.locator('#logged-approvals').textContent()).toBe(`${NAMES[0]} (custodian 1)`);
    // Names, not ids.
    expect(await page.locator('#warrant-body').innerText()).toContain('District Court (court-1)');
    await screenshot(page, 'real-console-approved');

    // The custodian's outbox posts the approval; the coordinator logs it and has it cosigned.
    await poll(async () => (await json(`${coordinator.url}/v1/warrants/${warrant.id}`, { token: investigatorToken })).body?.approvals ?? 0).toBe(1);
    const size = async () => {
      const health = (await json(`${coordinator.url}/health`)).body?.size;
      const note = await (await fetch(`${coordinator.url}/log/v1/checkpoint`)).text();
      return Number(note.split('\n')[1]) === health && (note.match(/^— /gm) ?? []).length >= 3;
    };
    await poll(size).toBe(true);
  });

  it('the public explorer shows the approval and verifies its inclusion in the cosigned checkpoint', async () => {
    const explorer = await context.newPage();
    await explorer.goto(`${explorerFront.url}/explorer/#warrant=${warrant.id}`);
    await explorer.waitForSelector('body[data-ready="true"]');
    await poll(() => explorer.locator('#checkpoint-status').textContent()).toMatch(/^Cosigned by [23] of 3 custodians \(auditors require 2\); signatures verified here\.$/);
    await poll(() => explorer.locator('#warrant-status').textContent()).toMatch(/1 approval\(s\), 0 denial\(s\); quorum is 2; sealed until/);
    const approval = explorer.locator('#warrant-body section[aria-label="Approvals and denials"] li');
    const text = await approval.innerText();
    expect(text).toMatch(/Approval by .+ \(custodian 1\)/);
    const index = Number(/Entry (\d+):/.exec(text)?.[1]);
    await approval.getByRole('link', { name: `Check inclusion of entry ${index}` }).click();
    await poll(() => explorer.locator('#proof-result').textContent()).toMatch(new RegExp(`^✓ Inclusion verified: entry ${index} is in the checkpoint of size \\d+\\.$`));
    await screenshot(explorer, 'real-explorer-approval');
    await explorer.getByRole('button', { name: 'Flip one bit of the first proof hash' }).click();
    await poll(() => explorer.locator('#proof-result').textContent()).toMatch(/^✗ Inclusion NOT verified/);
  });

  it('raised no script or CSP error and made no request off its origins', () => {
    expect(watch.errors).toEqual([]);
    expect(watch.offOrigin).toEqual([]);
  });
});
