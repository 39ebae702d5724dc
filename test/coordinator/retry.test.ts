/**
 * A request must not fail because an approver is briefly unreachable
 * (docs/SERVICES.md, `partialsDeadlineMs`): with exactly t = 3 approving real
 * custodians (nodes 1–3 auto-approve; 4 and 5 have no policy and leave the
 * warrant pending), one approver is down when the request is submitted. The
 * coordinator keeps re-asking it until the deadline: when it comes back (even
 * across a coordinator restart) the request completes; when it never does, it
 * fails with NOT_ENOUGH_CUSTODIANS. Every call goes through the real
 * custodians' call-authorisation check.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dealShares } from '@custodes/shared/crypto';
import { ceremonyFiles, newSalt, signRecord, signWarrant } from '@custodes/shared/records';
import type { RegistryEntry, SignedWarrant, Warrant } from '@custodes/shared/records';
import { addInvestigatorToken, createCoordinator, initCoordinator } from '@custodes/coordinator';
import type { Coordinator, CoordinatorConfig } from '@custodes/coordinator';
import { createCustodian, initCustodian } from '@custodes/custodian';
import type { Custodian } from '@custodes/custodian';
import { api, party, waitFor } from './helpers/cluster';
import { finishedRequest, freePort, submitSealed, tempDirs } from './helpers/real';

const ORIGIN = 'custodes.test/retry';
const now = () => Math.floor(Date.now() / 1000);



const temp = tempDirs('retry');
const tempDir = temp.make;

const court = party();
const investigator = party();
const custodianKeys = Array.from({ length: 5 }, party);
let groupKey: string;
let url: string;
let token: string;
let coordinator: Coordinator;
let coordinatorConfig: CoordinatorConfig;
const logLines: string[] = [];
/** Custodian nodes by index; each restarts on its own data directory and port. */
const nodes = new Map<number, { dataDir: string; port: number; service: Custodian | null }>();

async function startNode(index: number): Promise<void> {
  const n = nodes.get(index)!;
  n.service = createCustodian({ dataDir: n.dataDir, port: n.port, coordinatorUrl: url, logLevel: 'silent' });
  await n.service.start();
}

async function stopNode(index: number): Promise<void> {
  const n = nodes.get(index)!;
  await n.service?.close();
  n.service = null;
}

async function restartCoordinator(over: Partial<CoordinatorConfig> = {}): Promise<void> {
  await coordinator.close();
  coordinator = createCoordinator({ ...coordinatorConfig, ...over });
  await coordinator.start();
  // A GET first (api retries it once): it takes this client's keep-alive socket
  // to the old server out of the pool, so the next POST goes on a fresh one.
  expect((await api(url, 'GET', '/health')).status).toBe(200);
}

beforeAll(async () => {
  const { publicKeySet, shares } = ceremonyFiles(dealShares(3, 5), 1);
  groupKey = publicKeySet.groupKey;
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const policy = { courts: ['court-1'], categories: ['messages'], maxSubjects: 10, maxWindowDays: 365, maxEnvelopes: 1000 };
  for (let i = 1; i <= 5; i++) {
    const dataDir = tempDir();
    // Only nodes 1–3 approve on their own: exactly t approvers.
    await initCustodian({ dataDir, shareFile: shares[i - 1], keyFile: { format: 'custodes.key.v1', ...custodianKeys[i - 1]! }, dev: true, ...(i <= 3 ? { policy } : {}) });
    nodes.set(i, { dataDir, port: await freePort(), service: null });
    await startNode(i);
  }
  const log = party();
  const unsigned: Omit<RegistryEntry, 'signatures'> = {
    type: 'registry',
    sequence: 0,
    origin: ORIGIN,
    logKey: log.publicKey,
    epochs: [
      {
        epoch: 1,
        threshold: 3,
        total: 5,
        groupKey: publicKeySet.groupKey,
        commitments: publicKeySet.commitments,
        custodians: [1, 2, 3, 4, 5].map((i) => ({ index: i, name: `custodian-${i}.test`, signingKey: custodianKeys[i - 1]!.publicKey, url: `http://127.0.0.1:${nodes.get(i)!.port}` })),
      },
    ],
    courts: [{ id: 'court-1', name: 'Test Court', key: court.publicKey }],
    agencies: [{ id: 'agency-1', name: 'Test Agency', investigators: [investigator.publicKey] }],
    time: now() - 60,
  };
  const registry: RegistryEntry = {
    ...unsigned,
    signatures: custodianKeys.map((k, i) => ({ custodian: i + 1, signature: signRecord(unsigned, 'registry', k.secretKey) })),
  };
  const dataDir = tempDir();
  initCoordinator({ dataDir, registry, logSecretKey: log.secretKey });
  token = addInvestigatorToken({ dataDir, agency: 'agency-1', investigator: investigator.publicKey });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  coordinatorConfig = {
    dataDir,
    port,
    origin: ORIGIN,
    logSecretKey: log.secretKey,
    cosignTimeoutMs: 5000,
    partialsTimeoutMs: 5000,
    partialsDeadlineMs: 120_000,
    logger: pino({ level: 'info' }, sink),
  };
  coordinator = createCoordinator(coordinatorConfig);
  await coordinator.start();
}, 60_000);

afterAll(async () => {
  await coordinator?.close();
  for (const i of nodes.keys()) await stopNode(i);
  temp.removeAll();
});

function warrant(): { warrant: SignedWarrant; salt: string } {
  const t = now();
  const body: Warrant = {
    format: 'custodes.warrant.v1',
    id: randomUUID(),
    agency: 'agency-1',
    investigator: investigator.publicKey,
    court: 'court-1',
    caseNumber: 'CASE-9',
    legalAuthority: 'Test Act §1',
    offense: 'testing',
    scope: { subjects: ['subject-a'], categories: ['messages'], notBefore: t - 30 * 86_400, notAfter: t },
    maxEnvelopes: 100,
    issuedAt: t - 600,
    expiresAt: t + 30 * 86_400,
    sealedUntil: t + 90 * 86_400,
  };
  return {
    warrant: { ...body, courtSignature: signWarrant(body, court.secretKey), investigatorSignature: signWarrant(body, investigator.secretKey) },
    salt: newSalt(),
  };
}

/** A warrant approved by exactly nodes 1–3 (4 and 5 leave it pending). */
async function approvedByThree(): Promise<string> {
  const w = warrant();
  expect((await api(url, 'POST', '/v1/warrants', w, token)).status).toBe(201);
  await waitFor('three approvals', async () => {
    const s = await api(url, 'GET', `/v1/warrants/${w.warrant.id}`, undefined, token);
    return s.body.status === 'approved' && s.body.approvals === 3 ? true : undefined;
  }, 60_000);
  return w.warrant.id;
}

const submit = (warrantId: string, texts: string[]) =>
  submitSealed({ url, token, investigator, groupKey, warrantId, texts, label: (k) => ({ subject: 'subject-a', category: 'messages', time: now() - 86_400 - k }) });
const finished = (requestId: string) => finishedRequest(url, token, requestId, 90_000);

/** The coordinator has found fewer than t approvers able to answer for `requestId` and is waiting to ask again. */
const retrying = (requestId: string) =>
  waitFor('the coordinator to re-ask an unavailable approver', () => (logLines.some((l) => l.includes(requestId) && l.includes('asking again')) ? true : undefined), 60_000);

async function logEntries(): Promise<{ type: string; requestId?: string; custodian?: number; decrypted?: number }[]> {
  const size = await waitFor('the log to settle under a checkpoint', async () => {
    const stored = (await api(url, 'GET', '/health')).body.size as number;
    const last = await api(url, 'GET', `/log/v1/entries?start=${stored - 1}&end=${stored}`);
    return last.status === 200 ? stored : undefined;
  });
  const page = await api(url, 'GET', `/log/v1/entries?start=0&end=${size}`);
  return (page.body.entries as string[]).map((b) => JSON.parse(Buffer.from(b, 'base64').toString('utf8')));
}

describe('an approver briefly unreachable', { timeout: 240_000 }, () => {
  it('the request waits in releasing, survives a coordinator restart, and completes when the approver is back', async () => {
    const warrantId = await approvedByThree();
    await stopNode(2);
    const texts = ['alpha', 'beta'];
    const requestId = await submit(warrantId, texts);
    await retrying(requestId);
    expect((await api(url, 'GET', `/v1/requests/${requestId}`, undefined, token)).body.state).toBe('releasing');

    // The persisted state is `releasing`; a restarted coordinator resumes asking.
    await restartCoordinator();
    expect((await api(url, 'GET', `/v1/requests/${requestId}`, undefined, token)).body.state).toBe('releasing');
    await startNode(2);

    expect(await finished(requestId)).toMatchObject({ state: 'complete', done: 2, failed: 0 });
    const results = await api(url, 'GET', `/v1/requests/${requestId}/results`, undefined, token);
    expect(results.body.results.map((r: { plaintext: string }) => Buffer.from(r.plaintext, 'base64').toString())).toEqual(texts);
    const mine = (await logEntries()).filter((e) => e.requestId === requestId);
    const releases = mine.filter((e) => e.type === 'release').map((e) => e.custodian).sort();
    expect(releases).toEqual([1, 2, 3]); // each logged once, across the restart
    expect(mine.filter((e) => e.type === 'decryption-complete')).toHaveLength(1);
  });

  it('fails with NOT_ENOUGH_CUSTODIANS once the deadline passes if the approver never comes back', async () => {
    const warrantId = await approvedByThree();
    await restartCoordinator({ partialsDeadlineMs: 1500 });
    await stopNode(3);
    const requestId = await submit(warrantId, ['gamma']);
    const state = await finished(requestId);
    expect(state).toMatchObject({ state: 'failed', done: 0, error: { code: 'NOT_ENOUGH_CUSTODIANS' } });
    // It was asked again before failing, not failed at the first refusal.
    expect(logLines.some((l) => l.includes(requestId) && l.includes('asking again'))).toBe(true);
    const mine = (await logEntries()).filter((e) => e.requestId === requestId);
    expect(mine.find((e) => e.type === 'decryption-complete')).toMatchObject({ decrypted: 0 });
    expect((await api(url, 'GET', `/v1/requests/${requestId}/results`, undefined, token)).status).toBe(409);
  });
});
