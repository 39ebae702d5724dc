/**
 * A custodian leaves (docs/PROTOCOL.md §3.9; issue #18 Build 3): epoch 1
 * (3-of-5, by DKG) is reshared into epoch 2 (3-of-4 without custodian 2).
 * The group key stays; every old custodian destroys its share and logs it,
 * after the new epoch entry; envelopes sealed under epoch 1 before the change
 * open through the normal warrant path with custodians 3, 4, 5 (points 2, 3,
 * 4 of epoch 2); custodian 2 no longer releases anything.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RealCluster } from '../../scripts/src/cluster/in-process';
import { runDkg } from '../../scripts/src/cluster/in-process';
import { api, waitFor } from '../coordinator/helpers/cluster';
import { logEntries, startDkgCluster } from '../dkg-service/helpers';
import { approvedWarrant, decrypt, runReshare, submitReshare } from './helpers';

let cluster: RealCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('a custodian leaves: 3-of-5 → 3-of-4', () => {
  it('keeps the group key, destroys every old share after the new epoch entry, and old envelopes open with the new shares', async () => {
    cluster = await startDkgCluster({ tempPrefix: 'reshare-leave', threshold: 3, total: 5 });
    const c = cluster;
    expect(await runDkg(c)).toMatchObject({ status: 'active', epoch: 1 });
    const groupKey = c.groupKey;

    await submitReshare(c, { from: 1, remove: [2] }, [1, 2, 3], [1, 2, 3, 4, 5]);
    const state = await runReshare(c, 2, [1, 2, 3, 4, 5]);
    expect(state).toMatchObject({ status: 'active', epoch: 2, groupKey });

    // Every old custodian (2 included) logs share-destroyed, each after the epoch entry of epoch 2.
    const entries = await waitFor('five share-destroyed statements', async () => {
      const found = await logEntries(c.coordinatorUrl);
      return found.filter((e) => e.type === 'share-destroyed').length === 5 ? found : undefined;
    }, 30_000);
    const activation = entries.findIndex((e) => e.type === 'epoch' && e.epoch === 2);
    const destroyed = entries.flatMap((e, k) => (e.type === 'share-destroyed' ? [{ k, e }] : []));
    expect(destroyed.map((d) => d.e.custodian).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(destroyed.every((d) => d.k > activation && d.e.epoch === 1 && d.e.successor === 2)).toBe(true);
    const served = (await api(c.coordinatorUrl, 'GET', '/v1/registry')).body as { activated: { epoch: number; groupKey: string }[] };
    expect(served.activated.map((a) => [a.epoch, a.groupKey])).toEqual([[1, groupKey], [2, groupKey]]);

    // An envelope of epoch 1 opens with custodians 3, 4, 5 only: they hold the shares at points 2, 3, 4 of epoch 2.
    await c.stopNode(1);
    const warrantId = await approvedWarrant(c, 'CASE-LEAVE');
    expect(await decrypt(c, warrantId, 1, ['sealed under epoch 1'])).toEqual({ state: 'complete', opened: ['sealed under epoch 1'] });
  }, 180_000);
});
