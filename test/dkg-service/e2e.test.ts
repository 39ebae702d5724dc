/**
 * A 4-of-7 DKG among seven real custodian nodes, driven by a real coordinator
 * over the log (docs/PROTOCOL.md §3.8), then a decryption through the normal
 * warrant path with the DKG key: no dealer, no process with the group secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64ToBytes } from '@custodes/shared/crypto';
import { epochFromRecovery } from '@custodes/shared/dkg';
import type { Label } from '@custodes/shared/crypto';
import { runDkg } from '../../scripts/src/cluster/in-process';
import type { RealCluster } from '../../scripts/src/cluster/in-process';
import { api, openResults, waitFor } from '../coordinator/helpers/cluster';
import { courtSignedWarrant, finishedRequest, submitSealed } from '../coordinator/helpers/real';
import { startDkgCluster } from './helpers';
import { DKG_START_HEADER, dkgStartHeader } from '@custodes/shared/records';
import { requestJson } from '@custodes/shared/service';
import { checkEntries } from '../../services/auditor/src/index';

let cluster: RealCluster;

/** Every entry up to the published checkpoint, from the public read API (docs/PROTOCOL.md §4.4). */
async function logEntries(url: string): Promise<{ type: string; step?: string; recoveryData?: string; groupKey?: string; commitments?: string[] }[]> {
  const cp = await api<string>(url, 'GET', '/log/v1/checkpoint');
  const size = Number(cp.body.split('\n')[1]);
  if (size === 0) return [];
  const page = await api(url, 'GET', `/log/v1/entries?start=0&end=${size}`);
  return (page.body.entries as string[]).map((b) => JSON.parse(Buffer.from(b, 'base64').toString('utf8')));
}
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  cluster = await startDkgCluster({ tempPrefix: 'dkg-e2e', threshold: 4, total: 7 });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

describe('a 4-of-7 DKG over the log', () => {
  it('nothing can be asked of the proposed epoch before the DKG', async () => {
    const reg = await api(cluster.coordinatorUrl, 'GET', '/v1/registry');
    expect(reg.body.entry.epochs[0].groupKey).toBeUndefined();
    expect(reg.body.activated).toEqual([]);
    expect(reg.body.entry.epochs[0].custodians.every((c: { hostKey?: string }) => typeof c.hostKey === 'string')).toBe(true);
  });

  it('only the log key starts a session (401 before any work), and only for a listed epoch', async () => {
    const url = cluster.coordinatorUrl;
    expect((await api(url, 'POST', '/v1/dkg/sessions')).body.error.code).toBe('UNAUTHENTICATED');
    const forged = await requestJson<unknown>(`${url}/v1/dkg/sessions`, { method: 'POST', headers: { [DKG_START_HEADER]: dkgStartHeader(1, now(), cluster.court.secretKey) } }).catch((e: { code?: string }) => e.code);
    expect(forged).toBe('UNAUTHENTICATED');
    const stale = await requestJson<unknown>(`${url}/v1/dkg/sessions`, { method: 'POST', headers: { [DKG_START_HEADER]: dkgStartHeader(1, now() - 3600, cluster.log.secretKey) } }).catch((e: { code?: string }) => e.code);
    expect(stale).toBe('UNAUTHENTICATED');
    const unlisted = await requestJson<unknown>(`${url}/v1/dkg/sessions`, { method: 'POST', headers: { [DKG_START_HEADER]: dkgStartHeader(9, now(), cluster.log.secretKey) } }).catch((e: { code?: string }) => e.code);
    expect(unlisted).toBe('NOT_FOUND');
  });

  it('runs commit, reveal, aggregate, certeq and logs the epoch entry; every step is in the log', async () => {
    const state = await runDkg(cluster);
    expect(state).toMatchObject({ status: 'active', epoch: 1 });
    // The registry is served as logged (its signatures still verify), the activation beside it.
    const reg = await api(cluster.coordinatorUrl, 'GET', '/v1/registry');
    expect(reg.body.entry.epochs[0].groupKey).toBeUndefined();
    expect(reg.body.activated).toEqual([{ epoch: 1, groupKey: cluster.groupKey, commitments: expect.any(Array) }]);
    // The log holds 7 commits, 7 reveals, 1 aggregate, 7 certeq and the epoch entry, in that order.
    const leaves = await waitFor('a published checkpoint with the epoch entry', async () => {
      const found = await logEntries(cluster.coordinatorUrl);
      return found.some((l) => l.type === 'epoch') ? found : undefined;
    });
    const steps = leaves.filter((l) => l.type === 'dkg').map((l) => l.step);
    expect(steps).toEqual([...Array(7).fill('commit'), ...Array(7).fill('reveal'), 'aggregate', ...Array(7).fill('certeq')]);
    const epoch = leaves.find((l) => l.type === 'epoch')!;
    // Anyone recomputes the key from the logged recovery data.
    expect(epochFromRecovery(base64ToBytes(epoch.recoveryData!)).groupKey).toBe(cluster.groupKey);
    // An active epoch has no DKG to run.
    const again = await requestJson<unknown>(`${cluster.coordinatorUrl}/v1/dkg/sessions`, { method: 'POST', headers: { [DKG_START_HEADER]: dkgStartHeader(1, now(), cluster.log.secretKey) } }).catch((e: { code?: string }) => e.code);
    expect(again).toBe('CONFLICT');
  }, 60_000);

  it('decrypts through the normal warrant path with the DKG key', async () => {
    const url = cluster.coordinatorUrl;
    const token = cluster.tokens[0]!;
    const investigator = cluster.investigators[0]!;
    const w = courtSignedWarrant(cluster.court, investigator, 'CASE-DKG');
    expect((await api(url, 'POST', '/v1/warrants', w, token)).status).toBe(201);
    await waitFor('approval by the custodians', async () => {
      const s = await api(url, 'GET', `/v1/warrants/${w.warrant.id}`, undefined, token);
      return s.body.status === 'approved' ? s.body : undefined;
    });
    const label = (k: number): Label => ({ subject: 'subject-a', category: 'messages', time: now() - 86_400 - k });
    const texts = ['no dealer', 'held by no one'];
    const requestId = await submitSealed({ url, token, investigator, groupKey: cluster.groupKey, warrantId: w.warrant.id, texts, label });
    expect(await finishedRequest(url, token, requestId)).toMatchObject({ state: 'complete', done: 2, failed: 0 });
    const results = await api(url, 'GET', `/v1/requests/${requestId}/results`, undefined, token);
    expect(openResults(results.body, requestId, investigator.secretKey)).toEqual(texts);
  }, 60_000);

  it('the auditor replays the whole log with no finding; a forged epoch entry is EPOCH_KEY_MISMATCH (docs/PROTOCOL.md §8.8)', async () => {
    const entries = await waitFor('a published checkpoint with the completion', async () => {
      const found = await logEntries(cluster.coordinatorUrl);
      return found.some((e) => e.type === 'decryption-complete') ? found : undefined;
    });
    const clean = checkEntries(entries, { now: now() });
    expect(clean.findings).toEqual([]);
    // The epoch is active for the auditor too (its quorum judged the request).
    expect(clean.state.registry!.entry.epochs[0]!.groupKey).toBe(cluster.groupKey);
    const at = entries.findIndex((e) => e.type === 'epoch');
    const forged = entries.map((e, i) => (i === at ? { ...e, groupKey: e.commitments![1] } : e));
    const codes = checkEntries(forged, { now: now() }).findings.map((f) => f.code);
    expect(codes[0]).toBe('EPOCH_KEY_MISMATCH');
    // The epoch stays proposed: what was asked of it afterwards is EPOCH_NOT_ACTIVE.
    expect(codes.slice(1)).toContain('EPOCH_NOT_ACTIVE');
  }, 60_000);
});
