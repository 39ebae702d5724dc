/**
 * An emergency reshare that excludes a compromised custodian (docs/PROTOCOL.md
 * §3.9; issue #18 Build 3): epoch 1 (3-of-5, by DKG) is reshared into epoch 2
 * (3-of-4 without custodian 2), whose epoch-1 share the test reads from its
 * store first, as a thief would. After the reshare that old share, combined
 * with t − 1 new partials at any evaluation point, opens nothing; the
 * coordinator's combine blames it under any index; the other old shares are
 * destroyed, so the thief cannot find t − 1 old partners either; envelopes of
 * epoch 1 still open through the warrant path.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { combineAndOpen, combinePoints, openWithSharedPoint, parseEnvelope, parsePartial } from '@custodes/shared/crypto';
import type { RealCluster } from '../../scripts/src/cluster/in-process';
import { runDkg } from '../../scripts/src/cluster/in-process';
import { startDkgCluster } from '../dkg-service/helpers';
import { approvedWarrant, decryptEnvelopes, keySetOf, nodeShares, partialWith, runReshare, seal, shareOf, submitReshare } from './helpers';

let cluster: RealCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('an emergency reshare without a compromised custodian: 3-of-5 → 3-of-4', () => {
  it("the excluded custodian's old share with t − 1 new partials opens nothing, and is blamed", async () => {
    cluster = await startDkgCluster({ tempPrefix: 'reshare-emergency', threshold: 3, total: 5 });
    const c = cluster;
    expect(await runDkg(c)).toMatchObject({ status: 'active', epoch: 1 });
    const groupKey = c.groupKey;
    const before = seal(c, 1, ['sealed before the compromise']);
    const env = parseEnvelope(before[0]!);
    const stolen = await shareOf(c, 2, 1);

    await submitReshare(c, { from: 1, remove: [2] }, [1, 3, 4], [1, 2, 3, 4, 5]);
    expect(await runReshare(c, 2, [1, 2, 3, 4, 5])).toMatchObject({ status: 'active', epoch: 2, groupKey });
    const next = await keySetOf(c, 2);
    expect(next.indices).toEqual([1, 3, 4, 5]);
    const fresh = await Promise.all([3, 4].map((i) => shareOf(c, i, 2)));
    const newPartials = fresh.map((s) => partialWith(s, before[0]!));

    // Custodians 3 and 4 sit at ranks 2 and 3 of epoch 2. Lagrange with the stolen partial at any other
    // point the thief might claim (rank 1 or 4 of epoch 2, or 5): never the envelope's key; with
    // custodian 1's new partial at rank 1 it is.
    const stolenPartial = parsePartial(partialWith(stolen, before[0]!))!;
    const parsedNew = newPartials.map((p) => parsePartial(p)!);
    for (const point of [1, 4, 5]) {
      const points = new Map([[stolenPartial.index, point], [3, 2], [4, 3]]);
      expect(openWithSharedPoint(env, combinePoints([stolenPartial, ...parsedNew], points))).toBeNull();
    }
    const honest1 = parsePartial(partialWith(await shareOf(c, 1, 2), before[0]!))!;
    expect(openWithSharedPoint(env, combinePoints([honest1, ...parsedNew], new Map([[1, 1], [3, 2], [4, 3]])))).not.toBeNull();
    // The coordinator's combine (docs/PROTOCOL.md §3.4) blames it, as custodian 2 (no longer in the key set)
    // or passed off as custodian 1 or 5, and does not open.
    for (const index of [2, 1, 5]) {
      const forged = partialWith(stolen, before[0]!, index);
      expect(() => combineAndOpen(env, [forged, ...newPartials], 3, next.vs)).toThrow(new RegExp(`need 3 valid partials, have 2; bad partials from custodian ${index}`));
    }

    // The other old shares are destroyed: the thief's share has no epoch-1 partners left.
    for (const n of c.nodes) {
      await expect.poll(async () => (await nodeShares(n)).map((s) => s.epoch), { timeout: 20_000 }).toEqual(n.index === 2 ? [] : [2]);
    }
    const warrantId = await approvedWarrant(c, 'CASE-EMERGENCY');
    expect(await decryptEnvelopes(c, warrantId, before)).toEqual({ state: 'complete', opened: ['sealed before the compromise'] });
  }, 120_000);
});
