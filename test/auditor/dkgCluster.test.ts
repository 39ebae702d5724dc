/**
 * The auditor on a log the real services wrote (docs/PROTOCOL.md §3.8, §8.8):
 * a 3-of-5 DKG run by five custodian nodes and the coordinator, then a
 * warrant decrypted with the DKG key. The auditor, reading only the public
 * API, accepts the checkpoint, finds nothing, recomputes the epoch's keys
 * from the logged recovery data, and the CLI's export matches the key the
 * coordinator announced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Label } from '@custodes/shared/crypto';
import { buildReport, provenEpochKeys, verifyLog } from '@custodes/auditor';
import { runDkg } from '../../scripts/src/cluster/in-process';
import type { RealCluster } from '../../scripts/src/cluster/in-process';
import { api, waitFor } from '../coordinator/helpers/cluster';
import { courtSignedWarrant, finishedRequest, submitSealed } from '../coordinator/helpers/real';
import { startDkgCluster } from '../dkg-service/helpers';

let cluster: RealCluster;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  cluster = await startDkgCluster({ tempPrefix: 'audit-dkg', threshold: 3, total: 5 });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

describe('auditing a DKG the services ran', () => {
  it('verifies with zero findings; the epoch keys come from the logged recovery data', async () => {
    expect(await runDkg(cluster)).toMatchObject({ status: 'active' });
    const url = cluster.coordinatorUrl;
    const token = cluster.tokens[0]!;
    const w = courtSignedWarrant(cluster.court, cluster.investigators[0]!, 'CASE-AUDIT-DKG');
    expect((await api(url, 'POST', '/v1/warrants', w, token)).status).toBe(201);
    await waitFor('approval', async () => ((await api(url, 'GET', `/v1/warrants/${w.warrant.id}`, undefined, token)).body.status === 'approved' ? true : undefined));
    const label = (k: number): Label => ({ subject: 'subject-a', category: 'messages', time: now() - 86_400 - k });
    const requestId = await submitSealed({ url, token, investigator: cluster.investigators[0]!, groupKey: cluster.groupKey, warrantId: w.warrant.id, texts: ['audited'], label });
    expect(await finishedRequest(url, token, requestId)).toMatchObject({ state: 'complete', done: 1 });
    // Once a published checkpoint covers the completion, the auditor reads it all.
    const verified = await waitFor('a checkpoint covering the completion', async () => {
      const v = await verifyLog({ logUrl: url });
      return v.audit.requests.get(requestId)?.complete ? v : undefined;
    });
    expect(verified.checkpoint?.accepted).toBe(true);
    expect(verified.findings).toEqual([]);
    const proven = provenEpochKeys(verified.audit);
    expect(proven).toMatchObject({ origin: 'dkg', publicKeySet: { epoch: 1, threshold: 3, total: 5, groupKey: cluster.groupKey } });
    const report = buildReport({ audit: verified.audit, leaves: verified.leaves, findings: verified.findings, checkpointAccepted: true });
    expect(report.keyGeneration.epochs).toMatchObject([{ epoch: 1, origin: 'dkg', groupKey: cluster.groupKey }]);
    expect(report.keyGeneration.sessions).toMatchObject([{ commits: 5, reveals: 5, aggregate: true, certeqs: 5, outcome: 'activated', abort: null }]);
  }, 120_000);
});
