/**
 * A node that still holds a share of a superseded committee refuses to use it
 * (docs/PROTOCOL.md §3.9 Key epochs; §8.2 release rule (h)). Custodian 2 is
 * offline while epoch 1 (3-of-5) is reshared into epoch 2 (3-of-4 without
 * it), so it never destroys its share of epoch 1. A warrant it approved before
 * the reshare is then used for envelopes of epoch 1 (opened by 1, 3, 4, 5 as
 * usual); custodian 2, back online and brought up to date, asked directly by
 * a call signed with the log key for the same request, refuses: its approval
 * no longer counts, since the reviewers are the newest active epoch's
 * custodians (§4.2), so rule (d) refuses (NOT_APPROVED_BY_ME) before rule (h)
 * would (UNKNOWN_EPOCH: only epoch 2's custodians release for epoch 1's key).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { envelopeId } from '@custodes/shared/crypto';
import { formatAddCheckpointRequest } from '@custodes/shared/log';
import { envelopeSetRoot, PARTIALS_CALL_HEADER, partialsCallHeader } from '@custodes/shared/records';
import { requestJson } from '@custodes/shared/service';
import type { RealCluster } from '../../scripts/src/cluster/in-process';
import { runDkg } from '../../scripts/src/cluster/in-process';
import { api, waitFor } from '../coordinator/helpers/cluster';
import { finishedRequest } from '../coordinator/helpers/real';
import { logEntries, startDkgCluster } from '../dkg-service/helpers';
import { approvedWarrant, nodeShares, now, runReshare, seal, submitEnvelopes, submitReshare } from './helpers';

let cluster: RealCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('a leaver that kept its share of a superseded epoch', () => {
  it('refuses to release with it, though it approved the warrant before and the request is in its replica', async () => {
    cluster = await startDkgCluster({ tempPrefix: 'reshare-superseded', threshold: 3, total: 5, coordinator: { dkgStepTimeoutMs: 4000 } });
    const c = cluster;
    expect(await runDkg(c)).toMatchObject({ status: 'active', epoch: 1 });
    const warrantId = await approvedWarrant(c, 'CASE-SUPERSEDED');
    await waitFor("custodian 2's approval logged", async () => ((await logEntries(c.coordinatorUrl)).some((e) => e.type === 'approval' && e.custodian === 2) ? true : undefined));
    const before = seal(c, 1, ['sealed under epoch 1']);

    await submitReshare(c, { from: 1, remove: [2] }, [1, 3, 4], [1, 2, 3, 4, 5]);
    await c.stopNode(2);
    expect(await runReshare(c, 2, [1, 3, 4, 5])).toMatchObject({ status: 'active', epoch: 2 });
    const requestId = await submitEnvelopes(c, warrantId, before);
    expect(await finishedRequest(c.coordinatorUrl, c.tokens[0]!, requestId)).toMatchObject({ state: 'complete' });

    // Custodian 2 comes back: it still holds its share of epoch 1 (it never saw the epoch entry). The
    // coordinator is restarted first, so that its settling of the reshare (which would have it destroy
    // that share, §3.9) is over: this is the node that was never told.
    await c.restartCoordinator();
    await c.startNode(2);
    const n2 = c.nodes[1]!;
    expect((await nodeShares(n2)).map((s) => s.epoch)).toEqual([1]);
    // Its replica brought up to the published checkpoint (the request and the epoch entry in it).
    const note = (await api<string>(c.coordinatorUrl, 'GET', '/log/v1/checkpoint')).body;
    const size = Number(note.split('\n')[1]);
    const oldSize = (await requestJson<{ size: number }>(`${n2.url}/v1/operator/witness`, { token: n2.init.operatorToken })).size;
    const consistency = await api(c.coordinatorUrl, 'GET', `/log/v1/proof/consistency?from=${oldSize}&to=${size}`);
    expect(consistency.status, JSON.stringify(consistency.body)).toBe(200);
    const proof = consistency.body.proof as string[];
    const added = await fetch(`${n2.url}/witness/v1/add-checkpoint`, {
      method: 'POST',
      body: formatAddCheckpointRequest({ oldSize, proof: proof.map((p) => new Uint8Array(Buffer.from(p, 'base64'))), note }),
    });
    expect(added.status).toBe(200);

    const askPartials = async (custodian: number) => {
      const header = partialsCallHeader({ custodian, requestId, envelopeCount: before.length, envelopeSetRoot: envelopeSetRoot(before.map((e) => envelopeId(e))), issuedAt: now() }, c.log.secretKey);
      const r = await fetch(`${c.nodes[custodian - 1]!.url}/v1/partials`, { method: 'POST', headers: { 'content-type': 'application/json', [PARTIALS_CALL_HEADER]: header }, body: JSON.stringify({ requestId, envelopes: before }) });
      return { status: r.status, body: (await r.json()) as { error?: { code: string }; partials?: unknown[] } };
    };
    // The same call to custodian 3 (a custodian of epoch 2) is answered with its partial.
    const three = await askPartials(3);
    expect([three.status, three.body.partials?.length]).toEqual([200, 1]);
    const two = await askPartials(2);
    expect([two.status, two.body.error?.code]).toEqual([403, 'NOT_APPROVED_BY_ME']);
    // It still holds the old share: refused by rule, not for want of it.
    expect((await nodeShares(n2)).map((s) => s.epoch)).toEqual([1]);
  }, 120_000);
});
