/**
 * A reshare among separate OS processes, driven only from the CLI (docs/PROTOCOL.md
 * §3.9; issue #18 Build 3 and 4): the local cluster's coordinator and five
 * custodian processes make epoch 1 by the DKG, as `npm start` does; envelopes
 * are sealed under it; then custodian 2 leaves: `coordinator reshare propose`,
 * `registry sign` by three reviewers, `registry submit`, `custodian reshare
 * consent` at every node, `coordinator dkg start`. Epoch 2 keeps the group key,
 * every old custodian logs `share-destroyed`, and with custodian 1's process
 * killed the envelopes sealed before the change open through the normal
 * warrant path (custodians 3, 4, 5: points 2, 3, 4 of epoch 2).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnvelope } from '@custodes/shared/crypto';
import { makeWarrant, openedResults, requestEntry, sealMany } from '../../scripts/src/fuzz/cluster';
import { robustCall, startProcessCluster } from '../../scripts/src/chaos/procs';
import type { ProcessCluster } from '../../scripts/src/chaos/procs';
import { custodesAsync, custodes } from '../cli/run';
import { waitFor } from '../coordinator/helpers/cluster';
import { logEntries } from '../dkg-service/helpers';

let c: ProcessCluster;
const dir = mkdtempSync(join(tmpdir(), 'custodes-reshare-procs-'));
beforeAll(async () => {
  c = await startProcessCluster();
}, 120_000);
afterAll(async () => c?.stop());

const ok = (r: { status: number | null; stderr: string }) => expect(r.status, r.stderr).toBe(0);

describe('a reshare among separate processes, from the CLI', () => {
  it('custodian 2 leaves; the key stays; envelopes sealed before open with the new shares', async () => {
    const url = c.coordinatorUrl;
    const l = c.layout;
    const deadline = Date.now() + 150_000;
    const sealed = sealMany(c.groupKey, 2, 'before the reshare', 1);

    const proposal = join(dir, 'reshare.json');
    ok(await custodesAsync(['coordinator', 'reshare', 'propose', '--coordinator', url, '--from', '1', '--remove', '2', '--out', proposal]));
    for (const i of [2, 3, 4]) ok(custodes(['registry', 'sign', '--key', l.custodianKey(i), '--index', String(i), '--in', proposal]));
    ok(await custodesAsync(['registry', 'submit', '--coordinator', url, '--in', proposal]));
    for (let i = 1; i <= 5; i++) {
      const node = `http://127.0.0.1:${c.ports.custodians[i - 1]}`;
      // The update reaches each node's replica with the next cosigning round; consent needs the epoch listed.
      await waitFor(`node ${i} consents to epoch 2`, async () => {
        const r = await custodesAsync(['custodian', 'reshare', 'consent', '--node', node, '--token-file', l.operatorToken(i), '--epoch', '2']);
        return r.status === 0 ? true : undefined;
      }, 30_000);
    }
    const run = await custodesAsync(['coordinator', 'dkg', 'start', '--coordinator', url, '--log-key', l.logKey, '--epoch', '2']);
    ok(run);
    expect(run.stdout).toContain(`group key ${c.groupKey} unchanged`);
    const entries = await waitFor('five share-destroyed statements', async () => {
      const found = await logEntries(url);
      return found.filter((e) => e.type === 'share-destroyed').length === 5 ? found : undefined;
    }, 30_000);
    expect(entries.filter((e) => e.type === 'share-destroyed').map((e) => e.custodian).sort()).toEqual([1, 2, 3, 4, 5]);

    await c.kill('custodian-1');
    const w = makeWarrant(c.court, c.investigator, { maxEnvelopes: 10 });
    expect((await robustCall(url, 'POST', '/v1/warrants', w, c.token, deadline)).status).toBe(201);
    await waitFor('approval by custodians 3, 4, 5', async () => ((await robustCall(url, 'GET', `/v1/warrants/${w.warrant.id}`, undefined, c.token, deadline)).json?.status === 'approved' ? true : undefined), 60_000);
    const open = await robustCall(url, 'POST', '/v1/requests', { warrantId: w.warrant.id }, c.token, deadline);
    const requestId = open.json.requestId as string;
    expect((await robustCall(url, 'POST', `/v1/requests/${requestId}/envelopes`, { envelopes: sealed.envelopes }, c.token, deadline)).json.rejected).toEqual([]);
    const entry = requestEntry(c.investigator, requestId, w.warrant.id, sealed.envelopes);
    expect((await robustCall(url, 'POST', `/v1/requests/${requestId}/submit`, { entry }, c.token, deadline)).status).toBe(202);
    const state = await waitFor('the request ends', async () => {
      const s = await robustCall(url, 'GET', `/v1/requests/${requestId}`, undefined, c.token, deadline);
      return s.json?.state === 'complete' || s.json?.state === 'failed' ? s.json : undefined;
    }, 60_000);
    expect(state).toMatchObject({ state: 'complete', done: 2 });
    const results = await robustCall(url, 'GET', `/v1/requests/${requestId}/results`, undefined, c.token, deadline);
    const got = openedResults(results.json.results, requestId, c.investigator);
    expect(sealed.envelopes.map((e) => got.get(parseEnvelope(e).id))).toEqual(sealed.plaintexts);
    // The node logs of the leaver name no share (key material never reaches logs).
    expect(readFileSync(join(l.logs, 'custodian-2.log'), 'utf8')).not.toMatch(/"share"\s*:/);
  }, 200_000);
});
