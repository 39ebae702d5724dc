/**
 * A request must not fail because an approver is briefly unreachable
 * (docs/PROTOCOL.md §7.8, `partialsDeadlineMs`): with exactly t = 3 approving real
 * custodians (nodes 1–3 auto-approve; 4 and 5 have no policy and leave the
 * warrant pending), one approver is down when the request is submitted. The
 * coordinator keeps re-asking it until the deadline: when it comes back (even
 * across a coordinator restart) the request completes; when it never does, it
 * fails with NOT_ENOUGH_CUSTODIANS. Fewer than t witnesses up is waited out
 * the same way, before anything is released. Every call goes through the real
 * custodians' call-authorisation check.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoordinatorConfig } from '@custodes/coordinator';
import type { RealCluster } from '../../scripts/src/cluster/in-process';
import { api, openResults, waitFor } from './helpers/cluster';
import type { Party } from './helpers/cluster';
import { courtSignedWarrant, finishedRequest, startTestCluster, submitSealed } from './helpers/real';

const ORIGIN = 'custodes.test/retry';
const now = () => Math.floor(Date.now() / 1000);

let cluster: RealCluster;
let court: Party;
let investigator: Party;
let groupKey: string;
let url: string;
let token: string;
const logLines: string[] = [];

async function restartCoordinator(over: Partial<CoordinatorConfig> = {}): Promise<void> {
  await cluster.restartCoordinator(over);
  // A GET first (api retries it once): it takes this client's keep-alive socket
  // to the old server out of the pool, so the next POST goes on a fresh one.
  expect((await api(url, 'GET', '/health')).status).toBe(200);
}

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  cluster = await startTestCluster({
    origin: ORIGIN,
    tempPrefix: 'retry',
    // Only nodes 1–3 approve on their own: exactly t approvers.
    autoApprovers: [1, 2, 3],
    coordinator: { partialsTimeoutMs: 5000, partialsDeadlineMs: 120_000, logger: pino({ level: 'info' }, sink) },
  });
  ({ coordinatorUrl: url, court, groupKey } = cluster);
  investigator = cluster.investigators[0]!;
  token = cluster.tokens[0]!;
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

const warrant = () => courtSignedWarrant(court, investigator, 'CASE-9');

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
    await cluster.stopNode(2);
    const texts = ['alpha', 'beta'];
    const requestId = await submit(warrantId, texts);
    await retrying(requestId);
    expect((await api(url, 'GET', `/v1/requests/${requestId}`, undefined, token)).body.state).toBe('releasing');

    // The persisted state is `releasing`; a restarted coordinator resumes asking.
    await restartCoordinator();
    expect((await api(url, 'GET', `/v1/requests/${requestId}`, undefined, token)).body.state).toBe('releasing');
    await cluster.startNode(2);

    expect(await finished(requestId)).toMatchObject({ state: 'complete', done: 2, failed: 0 });
    const results = await api(url, 'GET', `/v1/requests/${requestId}/results`, undefined, token);
    expect(openResults(results.body, requestId, investigator.secretKey)).toEqual(texts);
    const mine = (await logEntries()).filter((e) => e.requestId === requestId);
    const releases = mine.filter((e) => e.type === 'release').map((e) => e.custodian).sort();
    expect(releases).toEqual([1, 2, 3]); // each logged once, across the restart
    expect(mine.filter((e) => e.type === 'decryption-complete')).toHaveLength(1);
  });

  it('with fewer than t witnesses up, the request waits in releasing with fewer than t partials, combines nothing, and completes when they are back', async () => {
    const warrantId = await approvedByThree();
    // Nodes 1 and 2 witness the request and release in one exchange each (docs/PROTOCOL.md §4.6);
    // two partials of a 3-of-5 key reveal nothing, and nothing is combined without the third.
    await Promise.all([3, 4, 5].map((i) => cluster.stopNode(i)));
    const texts = ['delta'];
    const requestId = await submit(warrantId, texts);
    await retrying(requestId);
    expect((await api(url, 'GET', `/v1/requests/${requestId}`, undefined, token)).body).toMatchObject({ state: 'releasing', done: 0 });
    const early = (await logEntries()).filter((e) => e.requestId === requestId && e.type === 'release');
    expect(early.map((e) => e.custodian).sort()).toEqual([1, 2]); // each logged as a release

    await Promise.all([3, 4, 5].map((i) => cluster.startNode(i)));
    expect(await finished(requestId)).toMatchObject({ state: 'complete', done: 1, failed: 0 });
    const results = await api(url, 'GET', `/v1/requests/${requestId}/results`, undefined, token);
    expect(openResults(results.body, requestId, investigator.secretKey)).toEqual(texts);
  });

  it('fails with NOT_ENOUGH_CUSTODIANS once the deadline passes if the approver never comes back', async () => {
    const warrantId = await approvedByThree();
    await restartCoordinator({ partialsDeadlineMs: 1500 });
    await cluster.stopNode(3);
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
