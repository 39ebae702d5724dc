/**
 * The threshold changes (docs/PROTOCOL.md §3.9; issue #18 Build 3): epoch 1
 * (3-of-5, by DKG) is reshared into epoch 2 (4-of-5, same committee). The
 * group key stays; envelopes sealed under epoch 1 before the change open
 * through the normal warrant path with four custodians; with the new shares,
 * three partials (t_N − 1, each one valid) no longer open anything, four do.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseEnvelope, utf8 } from '@custodes/shared/crypto';
import { combineAndOpen, verifyPartial } from '@custodes/shared/crypto';
import type { RealCluster } from '../../scripts/src/cluster/in-process';
import { runDkg } from '../../scripts/src/cluster/in-process';
import { startDkgCluster } from '../dkg-service/helpers';
import { approvedWarrant, decryptEnvelopes, keySetOf, partialWith, runReshare, seal, shareOf, submitReshare } from './helpers';

let cluster: RealCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('the threshold changes: 3-of-5 → 4-of-5, same committee', () => {
  it('old envelopes open with four custodians; three valid new partials open nothing', async () => {
    cluster = await startDkgCluster({ tempPrefix: 'reshare-threshold', threshold: 3, total: 5 });
    const c = cluster;
    expect(await runDkg(c)).toMatchObject({ status: 'active', epoch: 1 });
    const groupKey = c.groupKey;
    const before = seal(c, 1, ['sealed under 3-of-5', 'second']);
    // Before the change, three partials of epoch 1 open it.
    const old = await keySetOf(c, 1);
    const oldPartials = await Promise.all([1, 2, 3].map(async (i) => partialWith(await shareOf(c, i, 1), before[0]!)));
    expect(combineAndOpen(parseEnvelope(before[0]!), oldPartials, 3, old.vs).plaintext).toEqual(utf8('sealed under 3-of-5'));

    await submitReshare(c, { from: 1, threshold: 4 }, [1, 2, 3], [1, 2, 3, 4, 5]);
    expect(await runReshare(c, 2, [1, 2, 3, 4, 5])).toMatchObject({ status: 'active', epoch: 2, groupKey });

    const next = await keySetOf(c, 2);
    expect(next.commitments).toHaveLength(4); // a degree-3 polynomial: t_N = 4
    const shares = await Promise.all([1, 2, 3, 4, 5].map((i) => shareOf(c, i, 2)));
    expect(shares.map((s) => [s.index, s.threshold, s.total, s.groupKey])).toEqual([1, 2, 3, 4, 5].map((i) => [i, 4, 5, groupKey]));
    const env = parseEnvelope(before[0]!);
    const partials = shares.map((s) => partialWith(s, before[0]!));
    // Each new partial is valid against its new verification share...
    expect(partials.every((p) => verifyPartial(p, next.vs.get(p.index)!, env))).toBe(true);
    // ...but t_N − 1 of them, combined as a 3-of-5 key would be, do not open the envelope.
    for (const three of [[0, 1, 2], [1, 3, 4], [0, 2, 4]]) {
      expect(() => combineAndOpen(env, three.map((k) => partials[k]!), 3, next.vs)).toThrow(/valid partials do not open/);
    }
    expect(combineAndOpen(env, partials.slice(1), 4, next.vs).plaintext).toEqual(utf8('sealed under 3-of-5'));

    // Through the warrant path: four custodians (1 stopped) open both envelopes sealed before the change.
    await c.stopNode(1);
    const warrantId = await approvedWarrant(c, 'CASE-THRESHOLD');
    expect(await decryptEnvelopes(c, warrantId, before)).toEqual({ state: 'complete', opened: ['sealed under 3-of-5', 'second'] });
  }, 120_000);
});
