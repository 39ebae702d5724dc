/**
 * The coordinator's side of checkpoint bundles (docs/PROTOCOL.md §4.5): every
 * add-checkpoint carries its entries, a warrant travels with the checkpoint
 * that logs it, decisions answered in the delivery are logged, and a custodian
 * that refuses the carried checkpoint still gets the warrant the long way. A
 * partials call carries the checkpoint that logs its request (§4.6): each
 * custodian asked witnesses and releases in one exchange.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { hexToBytes } from '@custodes/shared/crypto';
import { parseSignedNote, verifiedCosigners } from '@custodes/shared/log';
import { api, approvedWarrant, finished, logEntries, openResults, seal, startCluster, subjectLabel, submitRequest, waitFor } from './helpers/cluster';
import type { Cluster } from './helpers/cluster';

let cluster: Cluster | undefined;

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const everyone = (o: object) => Object.fromEntries([1, 2, 3, 4, 5].map((i) => [i, o]));

/** Waits for a served checkpoint of more than `size` entries (and of the whole log) cosigned by all five. */
async function cosignedByAll(c: Cluster, size: number): Promise<void> {
  const keys = c.registry.epochs[0]!.custodians.map((k) => ({ name: k.name, publicKey: hexToBytes(k.witnessKey, 32) }));
  await waitFor(`a checkpoint of more than ${size} entries cosigned by all five`, async () => {
    const cp = await api<string>(c.url, 'GET', '/log/v1/checkpoint');
    const health = await api<{ size: number }>(c.url, 'GET', '/health');
    const at = Number(cp.body.split('\n')[1]);
    return at > size && at === health.body.size && verifiedCosigners(parseSignedNote(cp.body), keys).length === 5 ? true : undefined;
  });
}

describe('warrant delivery with its checkpoint', () => {
  it('one exchange per custodian: cosigned, delivered, and the answered decisions logged; no custodian fetches entries', async () => {
    cluster = await startCluster({ custodians: everyone({ answerDecision: true }) });
    // Nothing was appended since the genesis, so no cosigning runs: each delivery will carry the checkpoint.
    const { warrant } = await approvedWarrant(cluster);
    // The stand-ins post nothing: every approval logged came from a delivery's answer.
    const entries = await waitFor('five approvals', async () => {
      const all = await logEntries(cluster!);
      return all.filter((e) => e.type === 'approval' && e.warrantId === warrant.id).length === 5 ? all : undefined;
    });
    const approvals = entries.filter((e) => e.type === 'approval' && e.warrantId === warrant.id);
    expect(approvals.map((a) => a.custodian).sort()).toEqual([1, 2, 3, 4, 5]);
    const index = entries.findIndex((e) => e.type === 'warrant' && e.warrantId === warrant.id);
    for (const c of cluster.custodians) {
      // The first delivery of this warrant carried the checkpoint, and the custodian took it at once.
      expect(c.deliveries[c.deliveries.length - 1]).toEqual({ checkpoint: true, status: 202 });
      expect(c.size).toBeGreaterThan(index);
      expect(c.entriesFetched).toBe(0);
    }
    // The cosignatures answered with the deliveries were stored on the checkpoint.
    await cosignedByAll(cluster, index + 1);
  });

  it('a custodian that refuses the carried checkpoint still gets the warrant after a cosigning round', async () => {
    cluster = await startCluster({ custodians: { 1: { refuseCarriedCheckpoint: true } } });
    const { warrant } = await approvedWarrant(cluster);
    const refuser = cluster.custodians[0]!;
    await waitFor('custodian 1 holds the warrant', () => (refuser.warrants.has(warrant.id) ? true : undefined));
    expect(refuser.deliveries.some((d) => d.checkpoint && d.status === 422)).toBe(true);
    expect(refuser.deliveries.some((d) => !d.checkpoint && d.status === 202)).toBe(true);
    await waitFor('its approval logged', async () =>
      (await logEntries(cluster!)).some((e) => e.type === 'approval' && e.warrantId === warrant.id && e.custodian === 1) ? true : undefined,
    );
    // The others took it in one exchange.
    for (const c of cluster.custodians.slice(1)) expect(c.deliveries.filter((d) => d.checkpoint && d.status === 202).length).toBeGreaterThan(0);
  });
});

describe('partials calls with the checkpoint that logs the request', () => {
  /** Background cosigning held off (60 s), so that every exchange counted here is on the request's path. */
  const quiet = { coordinator: { cosignDelayMs: 60_000 } };

  it('one exchange per custodian asked: it witnesses the request, releases, and its cosignature makes the quorum', async () => {
    cluster = await startCluster({ ...quiet, custodians: everyone({ answerDecision: true }) });
    const { warrant } = await approvedWarrant(cluster);
    const before = cluster.custodians.map((c) => c.witnessCalls);
    const sizeBefore = (await api<{ size: number }>(cluster.url, 'GET', '/health')).body.size;
    const requestId = await submitRequest(cluster, 'a', warrant.id, [seal(cluster, 'hello alice', subjectLabel('alice@example.com'))]);
    expect((await finished(cluster, 'a', requestId)).state).toBe('complete');
    const asked = cluster.custodians.filter((c) => c.calls.some((k) => k.requestId === requestId));
    expect(asked.map((c) => c.opts.index)).toEqual([1, 2, 3]);
    for (const c of asked) {
      // One call, which carried the checkpoint; the only witnessing this custodian did for the request.
      expect(c.calls.filter((k) => k.requestId === requestId)).toEqual([expect.objectContaining({ checkpoint: true })]);
      expect(c.witnessCalls - before[c.opts.index - 1]!).toBe(1);
      expect(c.logged.requests.has(requestId)).toBe(true);
    }
    // The others were not called on the request's path at all.
    for (const c of cluster.custodians.filter((x) => !asked.includes(x))) expect(c.witnessCalls).toBe(before[c.opts.index - 1]);
    const results = await api(cluster.url, 'GET', `/v1/requests/${requestId}/results`, undefined, cluster.tokens.a);
    expect(openResults(results.body, requestId, cluster.investigators.a.secretKey)).toEqual(['hello alice']);
    // The releasers' cosignatures, answered with their partials, were stored: a checkpoint with the request cosigned by them.
    const keys = cluster.registry.epochs[0]!.custodians.map((k) => ({ name: k.name, publicKey: hexToBytes(k.witnessKey, 32) }));
    const cp = await api<string>(cluster.url, 'GET', '/log/v1/checkpoint');
    expect(Number(cp.body.split('\n')[1])).toBeGreaterThan(sizeBefore); // the request is at sizeBefore or later
    expect(verifiedCosigners(parseSignedNote(cp.body), keys).length).toBeGreaterThanOrEqual(3);
  });

  it('a custodian that refuses the carried checkpoint is cosigned the long way and still releases', async () => {
    cluster = await startCluster({ ...quiet, custodians: { ...everyone({ answerDecision: true }), 2: { answerDecision: true, refuseCarriedCheckpoint: true } } });
    const { warrant } = await approvedWarrant(cluster);
    // Custodian 2 took the warrant the long way too: wait until its approval is logged, so that it is asked.
    await waitFor('five approvals', async () => ((await api<{ size: number }>(cluster!.url, 'GET', '/health')).body.size === 7 ? true : undefined)); // registry, warrant, 5 approvals
    const requestId = await submitRequest(cluster, 'a', warrant.id, [seal(cluster, 'hello bob', subjectLabel('bob@example.com'))]);
    expect((await finished(cluster, 'a', requestId)).state).toBe('complete');
    const refuser = cluster.custodians[1]!;
    const calls = refuser.calls.filter((k) => k.requestId === requestId);
    expect(calls[0]).toMatchObject({ checkpoint: true });
    expect(calls.some((k) => !k.checkpoint)).toBe(true);
    expect(refuser.served.has(requestId)).toBe(true);
    const results = await api(cluster.url, 'GET', `/v1/requests/${requestId}/results`, undefined, cluster.tokens.a);
    expect(openResults(results.body, requestId, cluster.investigators.a.secretKey)).toEqual(['hello bob']);
  });
});
