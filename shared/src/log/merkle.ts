/**
 * RFC 6962 / RFC 9162 Merkle tree hashing and proof verification
 * (docs/PROTOCOL.md §4.3). Storage-free: proofs are generated in ./proof from a
 * HashReader, and verified here from the proof alone.
 *
 * Sizes and indices are JS numbers: a tree holds at most 2^53 − 1 leaves.
 * Verifiers treat every index, size, hash and proof element as untrusted
 * data and return false (or null) when any is malformed; they throw only
 * when an argument has the wrong JS type, which is a caller's bug.
 */
import { hash as nodeCryptoHash } from 'node:crypto';
import { abytes, equalBytes } from '../crypto/bytes';

// ## Hashes

/** Length of every tree hash (SHA-256). */
const HASH_SIZE = 32;

/**
 * A proof never needs more than one hash per level, plus the old root for a
 * consistency proof from a power of two (RFC 9162 §2.1.4.2 step 2).
 */
const MAX_PROOF_LENGTH = 64;

function digest(input: Uint8Array): Uint8Array {
  const out = nodeCryptoHash('sha256', input, 'buffer');
  return new Uint8Array(out.buffer, out.byteOffset, HASH_SIZE);
}

/** `MTH({}) = SHA256()`: the root of the empty tree (RFC 9162 §2.1.1). */
const EMPTY_ROOT: Uint8Array = digest(new Uint8Array(0));

/** `SHA256(0x00 ‖ data)` (RFC 9162 §2.1.1). */
function leafHash(data: Uint8Array): Uint8Array {
  abytes(data, undefined, 'data');
  const input = new Uint8Array(1 + data.length);
  input.set(data, 1);
  return digest(input);
}

const nodeInput = new Uint8Array(1 + 2 * HASH_SIZE);
nodeInput[0] = 0x01;

/** `SHA256(0x01 ‖ left ‖ right)` (RFC 9162 §2.1.1); both are 32-byte hashes. */
function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  abytes(left, HASH_SIZE, 'left');
  abytes(right, HASH_SIZE, 'right');
  // One reused input buffer: hashing is synchronous, and this is the hot path
  // of every append and every proof.
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_SIZE);
  return digest(nodeInput);
}

/**
 * `MTH(D[0:n])` from leaf hashes already computed, in O(n) hashes and
 * O(log n) memory: a stack of complete subtrees, merged right to left at the end.
 */
function rootFromLeafHashes(hashes: readonly Uint8Array[]): Uint8Array {
  if (!Array.isArray(hashes)) throw new TypeError('hashes must be an array');
  if (hashes.length === 0) return EMPTY_ROOT;
  const stack: { hash: Uint8Array; level: number }[] = [];
  hashes.forEach((h, i) => {
    let top = { hash: abytes(h, HASH_SIZE, `hashes[${i}]`), level: 0 };
    for (let prev = stack.at(-1); prev !== undefined && prev.level === top.level; prev = stack.at(-1)) {
      stack.pop();
      top = { hash: nodeHash(prev.hash, top.hash), level: top.level + 1 };
    }
    stack.push(top);
  });
  let root = stack.pop()!.hash;
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) root = nodeHash(node.hash, root);
  return root;
}

/** `MTH(D[0:n])` of raw leaf data (RFC 9162 §2.1.1), e.g. an envelope set root (docs/PROTOCOL.md §4.2). */
function rootFromLeaves(leaves: readonly Uint8Array[]): Uint8Array {
  if (!Array.isArray(leaves)) throw new TypeError('leaves must be an array');
  return rootFromLeafHashes(leaves.map((leaf, i) => leafHash(abytes(leaf, undefined, `leaves[${i}]`))));
}

// ## Argument screening for verifiers

/** A size or index a tree can have: a non-negative safe integer. */
function isTreeCount(value: unknown, name: string): value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number`);
  return Number.isSafeInteger(value) && value >= 0;
}

function checkHashList(proof: unknown, name: string): readonly Uint8Array[] {
  if (!Array.isArray(proof)) throw new TypeError(`${name} must be an array`);
  proof.forEach((p, i) => abytes(p, undefined, `${name}[${i}]`));
  return proof as readonly Uint8Array[];
}

function allHashSized(hashes: readonly Uint8Array[]): boolean {
  return hashes.every((h) => h.length === HASH_SIZE);
}

const isOdd = (x: number): boolean => x % 2 === 1;
const half = (x: number): number => Math.floor(x / 2);

// ## Inclusion (RFC 9162 §2.1.3.2)

/**
 * The root that `proof` implies for the leaf with hash `leafHash` at `index`
 * in a tree of `size` leaves, or null if the proof cannot be well-formed
 * for that position (requires 0 ≤ index < size).
 */
function rootFromInclusionProof(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array | null {
  const okIndex = isTreeCount(index, 'index');
  const okSize = isTreeCount(size, 'size');
  abytes(leafHash, undefined, 'leafHash');
  checkHashList(proof, 'proof');
  if (!okIndex || !okSize || index >= size) return null; // step 1
  // The conformance vectors require a wrong-length leaf hash to fail even
  // when the proof is empty and the "root" has the same wrong length.
  if (leafHash.length !== HASH_SIZE) return null;
  if (proof.length > MAX_PROOF_LENGTH || !allHashSized(proof)) return null;
  let fn = index; // step 2
  let sn = size - 1;
  let r = leafHash; // step 3
  for (const p of proof) {
    // step 4
    if (sn === 0) return null;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? r : null; // step 5
}

/** True iff `proof` shows the leaf hash at `index` is in the tree of `size` leaves with `root`. */
function verifyInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  abytes(root, undefined, 'root');
  const computed = rootFromInclusionProof(index, size, leafHash, proof);
  return computed !== null && root.length === HASH_SIZE && equalBytes(computed, root);
}

// ## Consistency (RFC 9162 §2.1.4.2)

const isPowerOfTwo = (x: number): boolean => {
  while (x > 1 && !isOdd(x)) x = half(x);
  return x === 1;
};

/**
 * True iff `proof` shows that the tree of `size1` leaves with `root1` is a
 * prefix of the tree of `size2` leaves with `root2` (requires 0 < size1 ≤ size2).
 */
function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  const okSize1 = isTreeCount(size1, 'size1');
  const okSize2 = isTreeCount(size2, 'size2');
  checkHashList(proof, 'proof');
  abytes(root1, undefined, 'root1');
  abytes(root2, undefined, 'root2');
  if (!okSize1 || !okSize2) return false;
  // Nothing can be proven from the empty tree; checked before the equal-size
  // shortcut so that (0, 0) does not pass on equal roots (conformance README).
  if (size1 === 0 || size2 < size1) return false;
  if (size1 === size2) return proof.length === 0 && equalBytes(root1, root2);
  // step 1
  if (proof.length === 0 || proof.length > MAX_PROOF_LENGTH) return false;
  if (!allHashSized(proof) || root1.length !== HASH_SIZE || root2.length !== HASH_SIZE) return false;
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : proof; // step 2
  let fn = size1 - 1; // step 3
  let sn = size2 - 1;
  while (isOdd(fn)) {
    // step 4
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!; // step 5
  let sr = fr;
  for (const c of path.slice(1)) {
    // step 6
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // step 7
  return equalBytes(fr, root1) && equalBytes(sr, root2) && sn === 0;
}

export {
  EMPTY_ROOT,
  HASH_SIZE,
  MAX_PROOF_LENGTH,
  leafHash,
  nodeHash,
  rootFromLeafHashes,
  rootFromLeaves,
  rootFromInclusionProof,
  verifyInclusion,
  verifyConsistency,
};
