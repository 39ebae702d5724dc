/**
 * The whole path with five real custodian nodes (services/custodian, dev mode,
 * auto-approval policy) and the coordinator in one process: intake, delivery,
 * approvals, cosigned checkpoints, release and combination, with one node down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hexToBytes } from '@custodes/shared/crypto';
import type { Label } from '@custodes/shared/crypto';
import { parseSignedNote, verifiedCosigners } from '@custodes/shared/log';
import type { RealCluster } from '../../scripts/src/cluster/in-process';
import { api, openResults, waitFor } from './helpers/cluster';
import type { NoteParty, Party } from './helpers/cluster';
import { courtSignedWarrant, finishedRequest, startTestCluster, submitSealed } from './helpers/real';

const ORIGIN = 'custodes.test/real';
const now = () => Math.floor(Date.now() / 1000);

let cluster: RealCluster;
let url: string;
let token: string;
let court: Party;
let investigator: Party;
let custodianKeys: NoteParty[];
let groupKey: string;

beforeAll(async () => {
  cluster = await startTestCluster({ origin: ORIGIN, tempPrefix: 'real' });
  ({ coordinatorUrl: url, court, custodianKeys, groupKey } = cluster);
  investigator = cluster.investigators[0]!;
  token = cluster.tokens[0]!;
});

afterAll(async () => {
  await cluster?.close();
});

const warrant = () => courtSignedWarrant(court, investigator, 'CASE-7');

const label = (k: number): Label => ({ subject: 'subject-a', category: 'messages', time: now() - 86_400 - k });

const request = (warrantId: string, texts: string[]) => submitSealed({ url, token, investigator, groupKey, warrantId, texts, label });
const finished = (requestId: string) => finishedRequest(url, token, requestId);

describe('with real custodians', () => {
  it('decrypts in-scope envelopes end to end, with one custodian down', async () => {
    const w = warrant();
    const intake = await api(url, 'POST', '/v1/warrants', w, token);
    expect(intake.status).toBe(201);
    await waitFor('approval by the custodians', async () => {
      const s = await api(url, 'GET', `/v1/warrants/${w.warrant.id}`, undefined, token);
      return s.body.status === 'approved' && s.body.approvals === 5 ? s.body : undefined;
    });
    await cluster.stopNode(5);

    const texts = ['one', 'two', 'three'];
    const requestId = await request(w.warrant.id, texts);
    expect(await finished(requestId)).toMatchObject({ state: 'complete', done: 3, failed: 0 });
    const results = await api(url, 'GET', `/v1/requests/${requestId}/results`, undefined, token);
    expect(openResults(results.body, requestId, investigator.secretKey)).toEqual(texts);

    // The latest checkpoint (after the completion entry) gets its t cosignatures.
    const keys = custodianKeys.map((k, i) => ({ name: `custodian-${i + 1}.test`, publicKey: hexToBytes(k.notePublicKey, 32) }));
    await waitFor('a cosigned checkpoint covering the whole log', async () => {
      const size = (await api(url, 'GET', '/health')).body.size as number;
      const cp = await api<string>(url, 'GET', '/log/v1/checkpoint');
      const cosigners = verifiedCosigners(parseSignedNote(cp.body), keys).length;
      return Number(cp.body.split('\n')[1]) === size && cosigners >= 3 ? true : undefined;
    });
  });

  it('finishes a request after the coordinator restarts on the same data directory, logging nothing twice', async () => {
    const w = warrant();
    expect((await api(url, 'POST', '/v1/warrants', w, token)).status).toBe(201);
    await waitFor('approval', async () => {
      const s = await api(url, 'GET', `/v1/warrants/${w.warrant.id}`, undefined, token);
      return s.body.status === 'approved' ? true : undefined;
    });
    const requestId = await request(w.warrant.id, ['four', 'five']);
    await cluster.restartCoordinator();
    expect(await finished(requestId)).toMatchObject({ state: 'complete', done: 2 });
    const size = await waitFor('the log to settle under a checkpoint', async () => {
      const stored = (await api(url, 'GET', '/health')).body.size as number;
      const cp = await api<string>(url, 'GET', '/log/v1/checkpoint');
      return Number(cp.body.split('\n')[1]) === stored ? stored : undefined;
    });
    const page = await api(url, 'GET', `/log/v1/entries?start=0&end=${size}`);
    const leaves = page.body.entries as string[];
    expect(new Set(leaves).size).toBe(leaves.length);
    const entries = leaves.map((b) => JSON.parse(Buffer.from(b, 'base64').toString('utf8')) as { type: string; requestId?: string; custodian?: number });
    const mine = entries.filter((e) => e.requestId === requestId);
    expect(mine.filter((e) => e.type === 'decryption-request')).toHaveLength(1);
    expect(mine.filter((e) => e.type === 'decryption-complete')).toHaveLength(1);
    const releases = mine.filter((e) => e.type === 'release').map((e) => e.custodian);
    expect(new Set(releases).size).toBe(releases.length);
    expect(releases.length).toBeGreaterThanOrEqual(3);
  });
});
