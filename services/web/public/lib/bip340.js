// @ts-check
/**
 * BIP340 Schnorr signature VERIFICATION over secp256k1, for the explorer to
 * check record signatures itself (registry, approvals, releases: docs/PROTOCOL.md
 * §3.5; checkpoints are Ed25519, lib/note.js). WebCrypto has no
 * secp256k1, so this is plain BigInt arithmetic: verification handles only
 * public data, so constant time does not matter here; there is no signing.
 * Malformed keys or signatures verify as false; only wrong JS types throw.
 */
import { utf8Encode } from './bytes.js';
import { sha256 } from './merkle.js';

// ## secp256k1 (SEC 2 §2.4.1)

const P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const GX = 0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798n;
const GY = 0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8n;

/** @typedef {{ x: bigint, y: bigint, z: bigint } | null} Jacobian  null is the point at infinity */

/** @param {bigint} a */
const mod = (a) => {
  const r = a % P;
  return r >= 0n ? r : r + P;
};

/** @param {bigint} base @param {bigint} exp @param {bigint} m */
function powMod(base, exp, m) {
  let result = 1n;
  let b = base % m;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

/** @param {Jacobian} a @returns {Jacobian} */
function double(a) {
  if (a === null || a.y === 0n) return null;
  // dbl-2009-l (a = 0)
  const A = mod(a.x * a.x);
  const B = mod(a.y * a.y);
  const C = mod(B * B);
  const D = mod(2n * (mod((a.x + B) * (a.x + B)) - A - C));
  const E = mod(3n * A);
  const F = mod(E * E);
  const x = mod(F - 2n * D);
  const y = mod(E * (D - x) - 8n * C);
  const z = mod(2n * a.y * a.z);
  return { x, y, z };
}

/** @param {Jacobian} a @param {Jacobian} b @returns {Jacobian} */
function add(a, b) {
  if (a === null) return b;
  if (b === null) return a;
  // add-2007-bl
  const z1z1 = mod(a.z * a.z);
  const z2z2 = mod(b.z * b.z);
  const u1 = mod(a.x * z2z2);
  const u2 = mod(b.x * z1z1);
  const s1 = mod(a.y * b.z * z2z2);
  const s2 = mod(b.y * a.z * z1z1);
  const h = mod(u2 - u1);
  const r = mod(s2 - s1);
  if (h === 0n) return r === 0n ? double(a) : null;
  const hh = mod(h * h);
  const hhh = mod(h * hh);
  const v = mod(u1 * hh);
  const x = mod(r * r - hhh - 2n * v);
  const y = mod(r * (v - x) - s1 * hhh);
  const z = mod(a.z * b.z * h);
  return { x, y, z };
}

/** k·a by double-and-add; requires 0 ≤ k. @param {Jacobian} a @param {bigint} k @returns {Jacobian} */
function multiply(a, k) {
  /** @type {Jacobian} */
  let acc = null;
  for (let i = BigInt(k.toString(2).length - 1); i >= 0n; i--) {
    acc = double(acc);
    if ((k >> i) & 1n) acc = add(acc, a);
  }
  return acc;
}

/** @param {Jacobian} a @returns {{ x: bigint, y: bigint } | null} */
function toAffine(a) {
  if (a === null) return null;
  const zInv = powMod(a.z, P - 2n, P);
  const zInv2 = mod(zInv * zInv);
  return { x: mod(a.x * zInv2), y: mod(a.y * zInv2 * zInv) };
}

/** BIP340 lift_x: the point with this x and an even y, or null. @param {bigint} x @returns {Jacobian} */
function liftX(x) {
  if (x >= P) return null;
  const c = mod(x * x * x + 7n);
  const y = powMod(c, (P + 1n) / 4n, P);
  if (mod(y * y) !== c) return null;
  return { x, y: y % 2n === 0n ? y : P - y, z: 1n };
}

/** @param {Uint8Array} bytes */
function toBigInt(bytes) {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/**
 * Whether `bytes` is a SEC1 compressed point on secp256k1 (docs/PROTOCOL.md §3: 33
 * bytes, 0x02 or 0x03, then an x with a y). @param {Uint8Array} bytes
 */
function isCompressedPoint(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
  if (bytes.length !== 33 || (bytes[0] !== 2 && bytes[0] !== 3)) return false;
  return liftX(toBigInt(bytes.subarray(1))) !== null;
}

// ## Tagged hashes (BIP340; docs/PROTOCOL.md §3: H(tag, m) = SHA256(SHA256(tag) ‖ SHA256(tag) ‖ m))

/** @param {string} tag @param {...Uint8Array} parts */
async function taggedHash(tag, ...parts) {
  const t = await sha256(utf8Encode(tag));
  return sha256(t, t, ...parts);
}

/**
 * A SEC1 compressed point (33 bytes), or null if it is not one (docs/PROTOCOL.md §3 encodings).
 * @param {Uint8Array} bytes @returns {Jacobian}
 */
function decodePoint(bytes) {
  if (!isCompressedPoint(bytes)) return null;
  const P1 = /** @type {{ x: bigint, y: bigint, z: bigint }} */ (liftX(toBigInt(bytes.subarray(1))));
  return (bytes[0] === 3) === (P1.y % 2n === 1n) ? P1 : { x: P1.x, y: P - P1.y, z: 1n };
}

/** ser33 of a point; null for the point at infinity. @param {Jacobian} a @returns {Uint8Array | null} */
function encodePoint(a) {
  const aff = toAffine(a);
  if (aff === null) return null;
  const out = new Uint8Array(33);
  out[0] = aff.y % 2n === 0n ? 2 : 3;
  let x = aff.x;
  for (let i = 32; i >= 1; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** k·G for 0 ≤ k (null for k ≡ 0). @param {bigint} k @returns {Jacobian} */
const mulBase = (k) => multiply({ x: GX, y: GY, z: 1n }, k % N);

/** k·A for 0 ≤ k (a public point and scalar: reshare combination, docs/PROTOCOL.md §3.9). @param {Jacobian} a @param {bigint} k @returns {Jacobian} */
const mulPoint = (a, k) => multiply(a, k % N);

/**
 * BIP340 Verify(pk, m, sig) for a message of any length (BIP340 allows it;
 * ChillDKG's CertEq signs prefix ‖ u32(i) ‖ eq_input, docs/PROTOCOL.md §3.8).
 * @param {Uint8Array} signature @param {Uint8Array} message @param {Uint8Array} publicKey 32-byte x-only key
 * @returns {Promise<boolean>}
 */
async function schnorrVerifyAny(signature, message, publicKey) {
  for (const [v, name] of /** @type {const} */ ([[signature, 'signature'], [message, 'message'], [publicKey, 'publicKey']])) {
    if (!(v instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  }
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  const pk = liftX(toBigInt(publicKey));
  if (pk === null) return false;
  const r = toBigInt(signature.subarray(0, 32));
  const s = toBigInt(signature.subarray(32));
  if (r >= P || s >= N) return false;
  const e = toBigInt(await taggedHash('BIP0340/challenge', signature.subarray(0, 32), publicKey, message)) % N;
  // R = s·G − e·P = s·G + (n − e)·P
  const R = toAffine(add(multiply({ x: GX, y: GY, z: 1n }, s), multiply(pk, (N - e) % N)));
  return R !== null && R.y % 2n === 0n && R.x === r;
}

/**
 * BIP340 Verify(pk, m, sig) for a 32-byte message.
 * @param {Uint8Array} signature 64 bytes
 * @param {Uint8Array} message 32 bytes
 * @param {Uint8Array} publicKey 32-byte x-only key
 * @returns {Promise<boolean>}
 */
async function schnorrVerify(signature, message, publicKey) {
  for (const [v, name] of /** @type {const} */ ([[signature, 'signature'], [message, 'message'], [publicKey, 'publicKey']])) {
    if (!(v instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  }
  if (message.length !== 32) return false;
  return schnorrVerifyAny(signature, message, publicKey);
}

/** a + b. @param {Jacobian} a @param {Jacobian} b */
const addPoints = (a, b) => add(a, b);

export { addPoints, decodePoint, encodePoint, isCompressedPoint, mulBase, mulPoint, N as ORDER, schnorrVerify, schnorrVerifyAny, taggedHash, toBigInt };
