// @ts-check
/**
 * RFC 6962 / RFC 9162 Merkle hashing and inclusion-proof verification in the
 * browser, with WebCrypto SHA-256 (docs/PROTOCOL.md §4.3). Proofs, indices, sizes
 * and roots come from the network: malformed input gives a failed result
 * with a reason, never an exception (STYLE.md); only a wrong JS type throws.
 */
import { concatBytes, equalBytes } from './bytes.js';

/** Length of every tree hash (SHA-256). */
const HASH_SIZE = 32;
/** A tree of at most 2^53 − 1 leaves has paths of at most 53 hashes. */
const MAX_PROOF_LENGTH = 64;

/** @param {...Uint8Array} parts @returns {Promise<Uint8Array>} */
async function sha256(...parts) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', concatBytes(...parts)));
}

/** `SHA256(0x00 ‖ data)` (RFC 9162 §2.1.1). @param {Uint8Array} data */
function leafHash(data) {
  if (!(data instanceof Uint8Array)) throw new TypeError('data must be a Uint8Array');
  return sha256(Uint8Array.of(0x00), data);
}

/** `SHA256(0x01 ‖ left ‖ right)` (RFC 9162 §2.1.1). @param {Uint8Array} left @param {Uint8Array} right */
function nodeHash(left, right) {
  return sha256(Uint8Array.of(0x01), left, right);
}

/**
 * One hashing step along an audit path.
 * @typedef {object} PathStep
 * @property {number} position  index of the proof element (0 = next to the leaf)
 * @property {'left' | 'right'} side  where the proof hash sits relative to the running hash
 * @property {Uint8Array} sibling  the proof hash
 * @property {Uint8Array} result  the running hash after this step
 */

/**
 * @typedef {object} InclusionResult
 * @property {boolean} ok  true iff the proof leads from the leaf hash to `root`
 * @property {string} reason  why not (empty when ok)
 * @property {Uint8Array | null} computedRoot  the root the proof leads to, if well-formed
 * @property {PathStep[]} steps
 */

/** @param {unknown} v @returns {v is number} */
const isCount = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * The root that `proof` leads to from leaf `index` with hash `hash` in a tree
 * of `size` leaves (RFC 9162 §2.1.3.2 steps 1–4), with every step recorded.
 * Requires 0 ≤ index < size; returns a failed result otherwise.
 * @param {number} index
 * @param {number} size
 * @param {Uint8Array} hash  the leaf hash, `SHA256(0x00 ‖ leaf)`
 * @param {readonly Uint8Array[]} proof  leaf side first
 * @returns {Promise<{ root: Uint8Array | null, reason: string, steps: PathStep[] }>}
 */
async function rootFromInclusionProof(index, size, hash, proof) {
  if (!(hash instanceof Uint8Array)) throw new TypeError('hash must be a Uint8Array');
  if (!Array.isArray(proof)) throw new TypeError('proof must be an array');
  /** @type {PathStep[]} */
  const steps = [];
  const fail = (/** @type {string} */ reason) => ({ root: null, reason, steps });
  if (!isCount(index) || !isCount(size)) return fail('index and size must be integers in [0, 2^53 − 1]');
  // RFC 9162 §2.1.3.2 step 1
  if (index >= size) return fail(`index ${index} is not below the tree size ${size}`);
  if (hash.length !== HASH_SIZE) return fail(`the leaf hash must be ${HASH_SIZE} bytes`);
  if (proof.length > MAX_PROOF_LENGTH) return fail('the proof is too long');
  for (const [i, p] of proof.entries()) {
    if (!(p instanceof Uint8Array) || p.length !== HASH_SIZE) return fail(`proof hash ${i} must be ${HASH_SIZE} bytes`);
  }
  // Step 2: BigInt, because JS shifts are 32-bit.
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  // Step 3
  let r = hash;
  // Step 4
  for (const [position, p] of proof.entries()) {
    if (sn === 0n) return fail('the proof is longer than the path from this leaf');
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      steps.push({ position, side: 'left', sibling: p, result: r });
      // Step 4b.ii: skip the levels where this node has no right sibling.
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = await nodeHash(r, p);
      steps.push({ position, side: 'right', sibling: p, result: r });
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  // Step 5, first half: the path must reach the top.
  if (sn !== 0n) return fail('the proof is shorter than the path from this leaf');
  return { root: r, reason: '', steps };
}

/**
 * RFC 9162 §2.1.3.2: does `proof` show leaf `index` with hash `hash` in the
 * tree of `size` leaves whose root is `root`?
 * @param {number} index
 * @param {number} size
 * @param {Uint8Array} hash
 * @param {readonly Uint8Array[]} proof
 * @param {Uint8Array} root
 * @returns {Promise<InclusionResult>}
 */
async function verifyInclusion(index, size, hash, proof, root) {
  if (!(root instanceof Uint8Array)) throw new TypeError('root must be a Uint8Array');
  const { root: computedRoot, reason, steps } = await rootFromInclusionProof(index, size, hash, proof);
  if (computedRoot === null) return { ok: false, reason, computedRoot, steps };
  // Step 5, second half.
  if (!equalBytes(computedRoot, root)) {
    return { ok: false, reason: 'the proof leads to a different root than the checkpoint', computedRoot, steps };
  }
  return { ok: true, reason: '', computedRoot, steps };
}

/**
 * RFC 9162 §2.1.4.2: does `proof` show that the tree of `size1` leaves with
 * root `root1` is a prefix of the tree of `size2` leaves with root `root2`?
 * Requires 0 < size1 ≤ size2: nothing can be proven from the empty tree
 * (as shared/src/log and the transparency-dev vectors). Equal sizes need an
 * empty proof and equal roots.
 * @param {number} size1 @param {number} size2
 * @param {Uint8Array} root1 @param {Uint8Array} root2
 * @param {readonly Uint8Array[]} proof
 * @returns {Promise<{ ok: boolean, reason: string }>}
 */
async function verifyConsistency(size1, size2, root1, root2, proof) {
  if (!(root1 instanceof Uint8Array) || !(root2 instanceof Uint8Array)) throw new TypeError('roots must be Uint8Arrays');
  if (!Array.isArray(proof)) throw new TypeError('proof must be an array');
  const fail = (/** @type {string} */ reason) => ({ ok: false, reason });
  if (!isCount(size1) || !isCount(size2)) return fail('sizes must be integers in [0, 2^53 − 1]');
  if (size1 > size2) return fail(`the log shrank from ${size1} to ${size2} entries`);
  if (size1 === 0) return fail('nothing can be proven from the empty tree');
  if (size1 === size2) {
    if (proof.length !== 0) return fail('equal sizes take an empty proof');
    return equalBytes(root1, root2) ? { ok: true, reason: '' } : fail('two different roots for the same size');
  }
  // Step 1
  if (proof.length === 0) return fail('the proof is empty');
  if (proof.length > MAX_PROOF_LENGTH) return fail('the proof is too long');
  if (root1.length !== HASH_SIZE || root2.length !== HASH_SIZE) return fail(`roots must be ${HASH_SIZE} bytes`);
  for (const [i, p] of proof.entries()) {
    if (!(p instanceof Uint8Array) || p.length !== HASH_SIZE) return fail(`proof hash ${i} must be ${HASH_SIZE} bytes`);
  }
  // Step 2: a power of two is its own first node.
  const path = (BigInt(size1) & (BigInt(size1) - 1n)) === 0n ? [root1, ...proof] : [...proof];
  // Step 3
  let fn = BigInt(size1 - 1);
  let sn = BigInt(size2 - 1);
  // Step 4
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  // Step 5
  let fr = /** @type {Uint8Array} */ (path[0]);
  let sr = fr;
  // Step 6
  for (const c of path.slice(1)) {
    if (sn === 0n) return fail('the proof is longer than needed');
    if ((fn & 1n) === 1n || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  // Step 7
  if (sn !== 0n) return fail('the proof is shorter than needed');
  if (!equalBytes(fr, root1)) return fail('the proof does not lead to the earlier root');
  if (!equalBytes(sr, root2)) return fail('the proof does not lead to the later root');
  return { ok: true, reason: '' };
}

/**
 * MTH(D[0:n]) from the n leaf hashes (RFC 9162 §2.1.1): the largest power of
 * two k < n splits the leaves; requires n ≥ 1.
 * @param {readonly Uint8Array[]} hashes @returns {Promise<Uint8Array>}
 */
async function rootFromLeafHashes(hashes) {
  if (hashes.length === 0) throw new RangeError('a root needs at least one leaf');
  if (hashes.length === 1) return /** @type {Uint8Array} */ (hashes[0]);
  let k = 1;
  while (k * 2 < hashes.length) k *= 2;
  return nodeHash(await rootFromLeafHashes(hashes.slice(0, k)), await rootFromLeafHashes(hashes.slice(k)));
}

export { HASH_SIZE, leafHash, rootFromLeafHashes, nodeHash, rootFromInclusionProof, sha256, verifyConsistency, verifyInclusion };
