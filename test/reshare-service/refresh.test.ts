/**
 * A refresh (docs/PROTOCOL.md §3.9; issue #18 Build 3): epoch 1 (3-of-5, by
 * DKG) is reshared into epoch 2 with the same custodians and the same t. The
 * group key stays but every share changes: a partial made with an old share
 * does not verify against the new verification shares, one old partial with
 * two new ones opens nothing (and the coordinator's combine blames the old
 * one), and envelopes sealed under epoch 1 open with the new shares only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { combineAndOpen, parseEnvelope, utf8, verifyPartial } from '@custodes/shared/crypto';
import type { RealCluster } from '../../scripts/src/cluster/in-process';
import { runDkg } from '../../scripts/src/cluster/in-process';
import { startDkgCluster } from '../dkg-service/helpers';
import { approvedWarrant, decryptEnvelopes, keySetOf, nodeShares, partialWith, runReshare, seal, shareOf, submitReshare } from './helpers';

let cluster: RealCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('a refresh: 3-of-5 → 3-of-5, same committee', () => {
  it('old and new partials do not mix; old envelopes open with the new shares', async () => {
    cluster = await startDkgCluster({ tempPrefix: 'reshare-refresh', threshold: 3, total: 5 });
    const c = cluster;
    expect(await runDkg(c)).toMatchObject({ status: 'active', epoch: 1 });
    const groupKey = c.groupKey;
    const before = seal(c, 1, ['sealed before the refresh']);
    const env = parseEnvelope(before[0]!);
    const oldShare1 = await shareOf(c, 1, 1);
    const old = await keySetOf(c, 1);

    await submitReshare(c, { from: 1 }, [1, 2, 3], [1, 2, 3, 4, 5]);
    expect(await runReshare(c, 2, [1, 2, 3, 4, 5])).toMatchObject({ status: 'active', epoch: 2, groupKey });
    const next = await keySetOf(c, 2);
    expect(next.commitments).not.toEqual(old.commitments);
    const fresh = await Promise.all([1, 2, 3].map((i) => shareOf(c, i, 2)));
    expect(fresh[0]!.share).not.toBe(oldShare1.share);

    const oldPartial = partialWith(oldShare1, before[0]!);
    const newPartials = fresh.map((s) => partialWith(s, before[0]!));
    // The old partial is valid for epoch 1's key set and invalid for epoch 2's.
    expect(verifyPartial(oldPartial, old.vs.get(1)!, env)).toBe(true);
    expect(verifyPartial(oldPartial, next.vs.get(1)!, env)).toBe(false);
    // One old + two new: the combine blames the old one and cannot open with only two left.
    expect(() => combineAndOpen(env, [oldPartial, newPartials[1]!, newPartials[2]!], 3, next.vs)).toThrow(/need 3 valid partials, have 2; bad partials from custodian 1/);
    // ...nor does it open if the old partial is taken for an epoch-1 one beside two new partials.
    expect(() => combineAndOpen(env, [oldPartial, newPartials[1]!, newPartials[2]!], 3, old.vs)).toThrow(/need 3 valid partials/);
    expect(combineAndOpen(env, newPartials, 3, next.vs).plaintext).toEqual(utf8('sealed before the refresh'));

    // Every old share is gone once the refresh settled: only epoch 2's are left at each node.
    for (const n of c.nodes) {
      await expect.poll(async () => (await nodeShares(n)).map((s) => s.epoch), { timeout: 20_000 }).toEqual([2]);
    }
    const warrantId = await approvedWarrant(c, 'CASE-REFRESH');
    expect(await decryptEnvelopes(c, warrantId, before)).toEqual({ state: 'complete', opened: ['sealed before the refresh'] });
  }, 120_000);
});
