/**
 * Evaluation points (docs/PROTOCOL.md §3.1): an epoch whose custodian indices
 * have gaps places each share at the custodian's rank, and every party that
 * knows the epoch's indices combines at those points.
 */
import { describe, expect, it } from 'vitest';
import { combineAndOpen, createPartial, evaluationPoints, utf8 } from '@custodes/shared/crypto';
import { parsePublicKeySet, parseShareFile } from '@custodes/shared/records';
import { ceremony, seal, subsets } from './helpers';

/** A 3-of-4 ceremony relabelled for custodians {2, 3, 5, 7}: ranks 1..4 hold the dealt shares 1..4. */
function gapped() {
  const f = ceremony(3, 4);
  const indices = [2, 3, 5, 7];
  const publicKeySet = { ...f.files.publicKeySet, verificationShares: Object.fromEntries(indices.map((i, k) => [String(i), f.files.publicKeySet.verificationShares[String(k + 1)]!])) };
  const shares = indices.map((i, k) => parseShareFile({ ...f.files.shares[k]!, index: i, point: k + 1 }));
  return { f, indices, keys: parsePublicKeySet(publicKeySet), shares };
}

describe('evaluation points (§3.1)', () => {
  it('are ranks among the indices, whatever their order; equal to the index for 1..n', () => {
    expect([...evaluationPoints([7, 2, 5, 3])]).toEqual([[2, 1], [3, 2], [5, 3], [7, 4]]);
    expect([...evaluationPoints([1, 2, 3, 4, 5])].every(([i, p]) => i === p)).toBe(true);
  });

  it('an epoch with index gaps opens from every t-subset of its custodians, partials named by index', () => {
    const g = gapped();
    const { env } = seal(g.f, 'gaps', { subject: 's', category: 'messages', time: 1_700_000_000 });
    const partials = g.shares.map((s) => createPartial(s.share, s.index, env));
    for (const set of subsets([0, 1, 2, 3], 3)) {
      const r = combineAndOpen(env, set.map((k) => partials[k]!), 3, g.keys.verificationShares);
      expect(r.plaintext).toEqual(utf8('gaps'));
      expect(r.used).toEqual(set.map((k) => g.indices[k]));
      expect(r.blamed).toEqual([]);
    }
  });

  it('the points come from the whole key set: the same partials under a key set with other ranks do not open', () => {
    const g = gapped();
    const { env } = seal(g.f, 'gaps', { subject: 's', category: 'messages', time: 1_700_000_000 });
    // Custodians 3, 5, 7 hold the shares at ranks 2, 3, 4 of {2, 3, 5, 7}.
    const partials = g.shares.slice(1).map((s) => createPartial(s.share, s.index, env));
    expect(combineAndOpen(env, partials, 3, g.keys.verificationShares).plaintext).toEqual(utf8('gaps'));
    // In a key set {3, 5, 7, 9} they would be ranks 1, 2, 3: their proofs still verify (same X_i), but
    // the Lagrange coefficients are wrong, so t valid partials fail the tag.
    const vs = g.keys.verificationShares;
    const shifted = new Map([[3, vs.get(3)!], [5, vs.get(5)!], [7, vs.get(7)!], [9, vs.get(2)!]]);
    expect(() => combineAndOpen(env, partials, 3, shifted)).toThrow(/valid partials do not open this envelope/);
  });

  it('a share file whose point does not hold the share is BAD_SHARE', () => {
    const f = ceremony(3, 4);
    expect(() => parseShareFile({ ...f.files.shares[1]!, index: 9, point: 3 })).toThrow(/does not match its Feldman commitments/);
    expect(parseShareFile({ ...f.files.shares[1]!, index: 9, point: 2 }).index).toBe(9);
    expect(() => parseShareFile({ ...f.files.shares[1]!, index: 2, point: 5 })).toThrow(/point exceeds total/);
  });
});
