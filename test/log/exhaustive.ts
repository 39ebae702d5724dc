/**
 * Shared driver of the exhaustive 1..128 proof tests (split in two files so
 * vitest runs them on both cores).
 *
 * Every proof for every size is generated, compared with the independent
 * reference and verified. Then single-bit flips: every element of every
 * proof, and the root(s), get one flipped bit, the bit position walking
 * through all 256 positions across the run; for trees of up to
 * FULL_FLIP_SIZE leaves, every one of the 256 bits of every element and root
 * is flipped. (All 256 bits for all sizes to 128 would be ~2·10^8 hashes.)
 */
import { MemoryTree } from '../../shared/src/log/index';
import { ReferenceTree, flipBit, leavesUpTo } from './helpers';

export const MAX_SIZE = 128;
export const FULL_FLIP_SIZE = 16;
export const HASH_BITS = 256;

export function buildTrees(): { tree: MemoryTree; ref: ReferenceTree; leaves: Uint8Array[] } {
  const leaves = leavesUpTo(MAX_SIZE);
  const tree = new MemoryTree();
  leaves.forEach((l) => tree.append(l));
  return { tree, ref: new ReferenceTree(leaves), leaves };
}

/** Bit positions to flip in one hash: all of them for small trees, else the next one of a walking cursor. */
export function bitPlan(size: number, cursor: { next: number }): number[] {
  if (size <= FULL_FLIP_SIZE) return Array.from({ length: HASH_BITS }, (_, b) => b);
  const bit = cursor.next % HASH_BITS;
  cursor.next += 1;
  return [bit];
}

/** Counts of checks, so the tests can assert that they covered what they claim. */
export interface Tally {
  proofs: number;
  flips: number;
  accepted: number;
}

/** Calls `verify` with each flipped variant of `value`; returns how many were (wrongly) accepted. */
export function flipsAccepted(
  value: Uint8Array,
  bits: readonly number[],
  verify: (flipped: Uint8Array) => boolean,
  tally: Tally,
): void {
  for (const bit of bits) {
    tally.flips += 1;
    if (verify(flipBit(value, bit))) tally.accepted += 1;
  }
}
