/** Every consistency proof for every pair of sizes 1 ≤ m ≤ n ≤ 128, verified, then bit-flipped (see ./exhaustive). */
import { describe, expect, it } from 'vitest';
import { verifyConsistency } from '../../shared/src/log/index';
import { HASH_BITS, MAX_SIZE, bitPlan, buildTrees, flipsAccepted, type Tally } from './exhaustive';
import { replaceAt, sameHashes } from './helpers';

describe('consistency proofs, all pairs of sizes 1..128', () => {
  it('match the reference, verify, and reject every single-bit flip of a proof element or either root', () => {
    const { tree, ref } = buildTrees();
    const tally: Tally = { proofs: 0, flips: 0, accepted: 0 };
    const cursor = { next: 0 };
    let fullyFlipped = 0;
    for (let size2 = 1; size2 <= MAX_SIZE; size2++) {
      const root2 = tree.root(size2);
      for (let size1 = 1; size1 <= size2; size1++) {
        const root1 = tree.root(size1);
        const proof = tree.consistencyProof(size1, size2);
        expect(sameHashes(proof, ref.proof(size1, size2))).toBe(true);
        expect(verifyConsistency(size1, size2, proof, root1, root2)).toBe(true);
        tally.proofs += 1;
        if (proof.length > 0) expect(verifyConsistency(size1, size2, proof.slice(0, -1), root1, root2)).toBe(false);
        expect(verifyConsistency(size1, size2, [...proof, root1], root1, root2)).toBe(false);
        if (size1 < size2) {
          expect(verifyConsistency(size1, size2, [proof[0]!, ...proof], root1, root2)).toBe(false);
          expect(verifyConsistency(size1, size2, proof, root2, root1)).toBe(false);
        }
        proof.forEach((element, j) => {
          const bits = bitPlan(size2, cursor);
          if (bits.length === HASH_BITS) fullyFlipped += 1;
          flipsAccepted(element, bits, (f) => verifyConsistency(size1, size2, replaceAt(proof, j, f), root1, root2), tally);
        });
        flipsAccepted(root1, bitPlan(size2, cursor), (f) => verifyConsistency(size1, size2, proof, f, root2), tally);
        flipsAccepted(root2, bitPlan(size2, cursor), (f) => verifyConsistency(size1, size2, proof, root1, f), tally);
      }
    }
    expect(tally.accepted).toBe(0);
    expect(tally.proofs).toBe((MAX_SIZE * (MAX_SIZE + 1)) / 2);
    expect(fullyFlipped).toBeGreaterThan(300);
    expect(cursor.next).toBeGreaterThan(100 * HASH_BITS);
  });
});
