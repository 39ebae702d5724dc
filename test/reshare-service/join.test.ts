/**
 * Two custodians join (docs/PROTOCOL.md §3.9; issue #18 Build 3): epoch 1
 * (3-of-5, by DKG) is reshared into epoch 2 (4-of-7 with new custodians 6
 * and 7, started with host keys only). The group key stays; envelopes sealed
 * under epoch 1 before the change open through the normal warrant path with
 * custodians 1, 2, 3 stopped, so 6 and 7 must take part (4 of {4, 5, 6, 7}).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RealCluster } from '../../scripts/src/cluster/in-process';
import { runDkg } from '../../scripts/src/cluster/in-process';
import { api } from '../coordinator/helpers/cluster';
import { startDkgCluster } from '../dkg-service/helpers';
import { approvedWarrant, decryptEnvelopes, nodeShares, runReshare, seal, shareOf, submitReshare } from './helpers';

let cluster: RealCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('two custodians join: 3-of-5 → 4-of-7', () => {
  it('keeps the group key, gives 6 and 7 shares, and old envelopes open only with them taking part', async () => {
    cluster = await startDkgCluster({ tempPrefix: 'reshare-join', threshold: 3, total: 5 });
    const c = cluster;
    expect(await runDkg(c)).toMatchObject({ status: 'active', epoch: 1 });
    const groupKey = c.groupKey;
    const before = seal(c, 1, ['sealed under epoch 1 before the join', 'and another']);

    await c.addNode(2);
    await c.addNode(2);
    expect(await nodeShares(c.nodes[5]!)).toEqual([]); // a joiner holds a host key, no share
    await submitReshare(c, { from: 1, add: [c.registryCustodian(6), c.registryCustodian(7)], threshold: 4 }, [1, 2, 3], [1, 2, 3, 4, 5]);
    const state = await runReshare(c, 2, [1, 2, 3, 4, 5, 6, 7]);
    expect(state).toMatchObject({ status: 'active', epoch: 2, groupKey });
    const served = (await api(c.coordinatorUrl, 'GET', '/v1/registry')).body as { activated: { epoch: number; groupKey: string }[] };
    expect(served.activated.map((a) => [a.epoch, a.groupKey])).toEqual([[1, groupKey], [2, groupKey]]);

    for (const j of [6, 7]) expect(await shareOf(c, j, 2)).toMatchObject({ epoch: 2, index: j, threshold: 4, total: 7, groupKey });

    await c.stopNode(1);
    await c.stopNode(2);
    await c.stopNode(3);
    const warrantId = await approvedWarrant(c, 'CASE-JOIN');
    expect(await decryptEnvelopes(c, warrantId, before)).toEqual({ state: 'complete', opened: ['sealed under epoch 1 before the join', 'and another'] });
  }, 120_000);
});
