/**
 * RFC 9162 §2.1 proof generation from any storage of complete-subtree hashes.
 *
 * Every hash a proof needs is `MTH(D[lo:hi])` for a range that the RFC's
 * recursion produces; such a range starts at a multiple of the smallest power
 * of two ≥ hi − lo, so it splits into at most log₂ n complete subtrees of
 * decreasing size, hashed right to left. A store that keeps every complete
 * subtree therefore answers any proof with O(log n) reads, in one batch.
 */
import { EMPTY_ROOT, nodeHash } from './merkle';

// ## Nodes and the reader interface

/** The complete subtree over leaves [index·2^level, (index+1)·2^level). */
interface TreeNode {
  readonly level: number;
  readonly index: number;
}

/**
 * Where proofs read hashes from. `readHashes` returns the hash of each node,
 * in order; a node of level 0 is a leaf hash. It must throw (not return junk)
 * if a node is not stored: a storage fault must never read as a bad proof.
 */
interface HashReader {
  readHashes(nodes: readonly TreeNode[]): Uint8Array[];
}

/** A half-open range of leaves [lo, hi). */
type Range = readonly [lo: number, hi: number];

function assertCount(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`${name} must be an integer`);
  if (value < 0 || !Number.isSafeInteger(value)) throw new RangeError(`${name} must be in [0, 2^53 − 1], got ${value}`);
  return value;
}

/** The largest power of two k with k < n (RFC 9162 §2.1.1), for n ≥ 2. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The complete subtrees that tile [lo, hi), left to right, each as large as
 * its alignment allows (requires 0 ≤ lo ≤ hi).
 */
function subtreeNodes(lo: number, hi: number): TreeNode[] {
  assertCount(lo, 'lo');
  assertCount(hi, 'hi');
  if (lo > hi) throw new RangeError(`lo must be ≤ hi, got [${lo}, ${hi})`);
  const nodes: TreeNode[] = [];
  while (lo < hi) {
    let width = 1;
    let level = 0;
    while (lo % (width * 2) === 0 && lo + width * 2 <= hi) {
      width *= 2;
      level += 1;
    }
    nodes.push({ level, index: lo / width });
    lo += width;
  }
  return nodes;
}

/** `MTH(D[lo:hi])` from the hashes of `subtreeNodes(lo, hi)`: fold right to left. */
function foldRange(hashes: readonly Uint8Array[]): Uint8Array {
  let acc = hashes.at(-1);
  if (acc === undefined) return EMPTY_ROOT;
  for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i]!, acc);
  return acc;
}

/** Reads every range in one batch and returns `MTH(D[lo:hi])` for each. */
function readRanges(ranges: readonly Range[], reader: HashReader): Uint8Array[] {
  const perRange = ranges.map(([lo, hi]) => subtreeNodes(lo, hi));
  const nodes = perRange.flat();
  const hashes = reader.readHashes(nodes);
  if (!Array.isArray(hashes) || hashes.length !== nodes.length) {
    throw new Error(`HashReader returned ${hashes?.length} hashes for ${nodes.length} nodes`);
  }
  let offset = 0;
  return perRange.map((group) => {
    const slice = hashes.slice(offset, offset + group.length);
    offset += group.length;
    return foldRange(slice);
  });
}

// ## Tree head and proofs

/** `MTH(D[0:size])`, the root of the first `size` leaves. */
function treeHash(size: number, reader: HashReader): Uint8Array {
  assertCount(size, 'size');
  return readRanges([[0, size]], reader)[0]!;
}

/** The ranges whose hashes form PATH(index, D[0:size]), leaf side first (RFC 9162 §2.1.3.1). */
function inclusionRanges(index: number, size: number): Range[] {
  const ranges: Range[] = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      ranges.push([lo + k, hi]);
      hi = lo + k;
    } else {
      ranges.push([lo, lo + k]);
      lo += k;
    }
  }
  return ranges.reverse();
}

/** PATH(index, D[0:size]) (RFC 9162 §2.1.3.1); requires 0 ≤ index < size. */
function inclusionProof(index: number, size: number, reader: HashReader): Uint8Array[] {
  assertCount(index, 'index');
  assertCount(size, 'size');
  if (index >= size) throw new RangeError(`index must be < size, got index ${index}, size ${size}`);
  return readRanges(inclusionRanges(index, size), reader);
}

/** The ranges whose hashes form SUBPROOF(size1, D[0:size2], true), leaf side first (RFC 9162 §2.1.4.1). */
function consistencyRanges(size1: number, size2: number): Range[] {
  const ranges: Range[] = [];
  let lo = 0;
  let hi = size2;
  let complete = true; // the b flag: is [lo, hi) still a prefix of the old tree's own subtree?
  while (size1 !== hi) {
    const k = splitPoint(hi - lo);
    if (size1 <= lo + k) {
      ranges.push([lo + k, hi]);
      hi = lo + k;
    } else {
      ranges.push([lo, lo + k]);
      lo += k;
      complete = false;
    }
  }
  if (!complete) ranges.push([lo, hi]);
  return ranges.reverse();
}

/**
 * PROOF(size1, D[0:size2]) (RFC 9162 §2.1.4.1); requires 0 ≤ size1 ≤ size2.
 * Empty when size1 = size2, and when size1 = 0 (C2SP tlog-witness: nothing to prove).
 */
function consistencyProof(size1: number, size2: number, reader: HashReader): Uint8Array[] {
  assertCount(size1, 'size1');
  assertCount(size2, 'size2');
  if (size1 > size2) throw new RangeError(`size1 must be ≤ size2, got ${size1} > ${size2}`);
  if (size1 === 0 || size1 === size2) return [];
  return readRanges(consistencyRanges(size1, size2), reader);
}

export {
  type HashReader,
  type TreeNode,
  consistencyProof,
  consistencyRanges,
  inclusionProof,
  inclusionRanges,
  subtreeNodes,
  treeHash,
};
