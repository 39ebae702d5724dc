/**
 * The coordinator's side of checkpoint bundles (docs/PROTOCOL.md §4.5): every
 * add-checkpoint carries its entries, a warrant travels with the checkpoint
 * that logs it, decisions answered in the delivery are logged, and a custodian
 * that refuses the carried checkpoint still gets the warrant the long way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { hexToBytes } from '@custodes/shared/crypto';
import { parseSignedNote, verifiedCosigners } from '@custodes/shared/log';
import { api, approvedWarrant, logEntries, startCluster, waitFor } from './helpers/cluster';
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
