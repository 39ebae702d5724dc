/** Every inclusion proof for every tree size 1..128, verified, then bit-flipped (see ./exhaustive). */
import { describe, expect, it } from 'vitest';
import { leafHash, rootFromInclusionProof, verifyInclusion } from '../../shared/src/log/index';
import { HASH_BITS, MAX_SIZE, bitPlan, buildTrees, flipsAccepted, type Tally } from './exhaustive';
import { replaceAt, sameHashes } from './helpers';

describe('inclusion proofs, all sizes 1..128, all indices', () => {
  it('match the reference, verify, and reject every single-bit flip of a proof element, the leaf or the root', () => {
    const { tree, ref, leaves } = buildTrees();
    const tally: Tally = { proofs: 0, flips: 0, accepted: 0 };
    const cursor = { next: 0 };
    let fullyFlipped = 0;
    for (let size = 1; size <= MAX_SIZE; size++) {
      const root = tree.root(size);
      expect(sameHashes([root], [ref.mth(0, size)])).toBe(true);
      for (let index = 0; index < size; index++) {
        const leaf = leafHash(leaves[index]!);
        const proof = tree.inclusionProof(index, size);
        expect(sameHashes(proof, ref.path(index, 0, size))).toBe(true);
        expect(verifyInclusion(index, size, leaf, proof, root)).toBe(true);
        expect(sameHashes([rootFromInclusionProof(index, size, leaf, proof)!], [root])).toBe(true);
        tally.proofs += 1;
        // Structural tampering: drop, append, prepend, wrong neighbour index.
        if (proof.length > 0) expect(verifyInclusion(index, size, leaf, proof.slice(0, -1), root)).toBe(false);
        expect(verifyInclusion(index, size, leaf, [...proof, root], root)).toBe(false);
        expect(verifyInclusion(index, size, leaf, [leaf, ...proof], root)).toBe(false);
        if (index + 1 < size) expect(verifyInclusion(index + 1, size, leaf, proof, root)).toBe(false);
        if (index > 0) expect(verifyInclusion(index - 1, size, leaf, proof, root)).toBe(false);
        // Single-bit flips.
        proof.forEach((element, j) => {
          const bits = bitPlan(size, cursor);
          if (bits.length === HASH_BITS) fullyFlipped += 1;
          flipsAccepted(element, bits, (f) => verifyInclusion(index, size, leaf, replaceAt(proof, j, f), root), tally);
        });
        flipsAccepted(root, bitPlan(size, cursor), (f) => verifyInclusion(index, size, leaf, proof, f), tally);
        flipsAccepted(leaf, bitPlan(size, cursor), (f) => verifyInclusion(index, size, f, proof, root), tally);
      }
    }
    expect(tally.accepted).toBe(0);
    expect(tally.proofs).toBe((MAX_SIZE * (MAX_SIZE + 1)) / 2);
    expect(fullyFlipped).toBeGreaterThan(300);
    // Every bit position was exercised on the larger trees too.
    expect(cursor.next).toBeGreaterThan(100 * HASH_BITS);
  });
});
