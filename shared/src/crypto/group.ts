/**
 * The group: secp256k1 point and scalar arithmetic, and BIP340 signatures.
 *
 * This is the only module that imports @noble/secp256k1 (docs/PROTOCOL.md §2), so a
 * faster backend can be swapped in here without touching protocol code.
 * Multiplications by secret scalars use noble's constant-time-shaped `multiply`;
 * `mulPublic` is variable time and only for public scalars (verification).
 *
 * Backend: when libsecp256k1 (native or WASM, backend.ts) is loaded, multiplications,
 * decompression and BIP340 go through it and noble only holds the results as
 * `Point`s; each point made that way keeps its 65-byte SEC1 encoding beside it
 * (a WeakMap), so it is not recomputed with a field inversion. The exported API
 * and every result are the same as noble's (test/crypto/backend.test.ts).
 *
 * The operations that differ by backend are built by `createGroup(backend)`;
 * the ones exported here are built once, over the backend the process chose at
 * start-up (backend.ts DEFAULT_BACKEND). A caller that needs another backend
 * (cross-checks, the bench's comparison) builds its own group; none switches
 * this one.
 */
import * as secp from '@noble/secp256k1';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from 'node:crypto';
import { DEFAULT_BACKEND } from './backend';
import type { Backend, BackendName, TinySecp256k1 } from './backend';
import { abytes } from './bytes';

// noble's sync APIs need these (README of @noble/secp256k1 3.x).
secp.hashes.sha256 = nobleSha256;
secp.hashes.hmacSha256 = (key, msg) => hmac(nobleSha256, key, msg);

export type GroupPoint = secp.Point;

const { Point } = secp;
/** Curve order n. */
export const CURVE_ORDER: bigint = Point.CURVE().n;

// ## Scalars

export function modN(a: bigint): bigint {
  const r = a % CURVE_ORDER;
  return r < 0n ? r + CURVE_ORDER : r;
}

export function invertN(a: bigint): bigint {
  if (modN(a) === 0n) throw new RangeError('cannot invert 0 mod n');
  return secp.etc.invert(modN(a), CURVE_ORDER);
}

export function isScalar(k: unknown): k is bigint {
  return typeof k === 'bigint' && k >= 0n && k < CURVE_ORDER;
}

/** 32-byte big-endian encoding (docs/PROTOCOL.md §3). */
export function scalarToBytes(k: bigint): Uint8Array {
  if (!isScalar(k)) throw new RangeError('scalar must be in [0, n)');
  return Uint8Array.from(Buffer.from(k.toString(16).padStart(64, '0'), 'hex'));
}

/** Parses 32 bytes big-endian; rejects values ≥ n (no silent reduction). */
export function scalarFromBytes(bytes: Uint8Array, name = 'scalar'): bigint {
  abytes(bytes, 32, name);
  const k = BigInt('0x' + Buffer.from(bytes).toString('hex'));
  if (k >= CURVE_ORDER) throw new RangeError(`${name} must be less than n`);
  return k;
}

/** Uniform in [1, n−1] by rejection sampling. */
export function randomScalar(): bigint {
  for (;;) {
    const k = BigInt('0x' + randomBytes(32).toString('hex'));
    if (k > 0n && k < CURVE_ORDER) return k;
  }
}

// ## Points

export function isPoint(P: unknown): P is GroupPoint {
  return P instanceof Point;
}

/** Throws TypeError unless `P` is a secp256k1 point object (a caller's bug otherwise). */
export function apoint(P: unknown, name: string): GroupPoint {
  if (!isPoint(P)) throw new TypeError(`${name} must be a secp256k1 point`);
  return P;
}

export const GENERATOR: GroupPoint = Point.BASE;
export const IDENTITY: GroupPoint = Point.ZERO;

// ## Backend glue: points held with their 65-byte SEC1 encoding

/** Uncompressed encodings (0x04 ‖ x ‖ y) of points made by or given to the libsecp256k1 backend. */
const sec65 = new WeakMap<GroupPoint, Uint8Array>();

function bytesToBigint(b: Uint8Array): bigint {
  return BigInt('0x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex'));
}

/** A point from libsecp256k1's 65-byte output (valid by construction: no re-check). */
function fromSec65(u: Uint8Array): GroupPoint {
  const P = Point.fromAffine({ x: bytesToBigint(u.subarray(1, 33)), y: bytesToBigint(u.subarray(33, 65)) });
  sec65.set(P, u);
  return P;
}

/** The 65-byte encoding of a point other than infinity (cached). */
function toSec65(P: GroupPoint): Uint8Array {
  let u = sec65.get(P);
  if (!u) {
    u = P.toBytes(false);
    sec65.set(P, u);
  }
  return u;
}

/** k·P through libsecp256k1 (`tweak_mul`, constant time); P ≠ ∞, k ∈ [1, n). */
function fastMul(w: TinySecp256k1, P: GroupPoint, k: bigint): GroupPoint {
  const out = w.pointMultiply(toSec65(P), scalarToBytes(k), false);
  // Unreachable in a prime-order group with k ≠ 0 and P ≠ ∞; noble decides if it ever happens.
  return out ? fromSec65(out) : P.multiply(k);
}

/** tiny-secp256k1's error for bytes that do not parse as a point (its validate_error.js). */
function isBadPointError(err: unknown): boolean {
  return err instanceof TypeError && err.message === 'Expected Point';
}

/** True iff `sk` is 32 bytes encoding a scalar in [1, n). */
function isSecretKey(sk: Uint8Array): boolean {
  const k = bytesToBigint(sk);
  return k > 0n && k < CURVE_ORDER;
}

export function subtract(P: GroupPoint, Q: GroupPoint): GroupPoint {
  return P.subtract(Q);
}

export function isIdentity(P: GroupPoint): boolean {
  return P.is0();
}

export function pointEquals(P: GroupPoint, Q: GroupPoint): boolean {
  apoint(P, 'point');
  apoint(Q, 'point');
  return P.equals(Q);
}

export function hasEvenY(P: GroupPoint): boolean {
  if (P.is0()) return false;
  const u = sec65.get(P);
  return u ? (u[64]! & 1) === 0 : (P.toAffine().y & 1n) === 0n;
}

/** 33-byte SEC1 compressed encoding; the identity has none. */
export function encodePoint(P: GroupPoint): Uint8Array {
  if (apoint(P, 'point').is0()) throw new RangeError('the point at infinity has no encoding');
  const u = sec65.get(P);
  if (!u) return P.toBytes(true);
  const out = new Uint8Array(33);
  out[0] = 2 | (u[64]! & 1); // SEC1: 0x02 even y, 0x03 odd y
  out.set(u.subarray(1, 33), 1);
  return out;
}

/** x-only 32-byte encoding (BIP340). */
export function xOnly(P: GroupPoint): Uint8Array {
  return encodePoint(P).subarray(1);
}

// ## BIP340 signatures

export function randomSecretKey(): Uint8Array {
  return scalarToBytes(randomScalar());
}

/** Negation mod n, used to normalise `r` to an even-y `R` (docs/PROTOCOL.md §3.2). */
export function negateScalar(k: bigint): bigint {
  return modN(-k);
}

// ## Operations over a backend

/** The group operations that go through a backend; each gives noble's result whichever it is. */
export interface Group {
  readonly backend: BackendName;
  /** k·G for a secret k ∈ [1, n). */
  mulBase(k: bigint): GroupPoint;
  /** k·P for a secret k ∈ [1, n). */
  mul(P: GroupPoint, k: bigint): GroupPoint;
  /** k·P for a public k ∈ [0, n): variable time, for verification only. */
  mulPublic(P: GroupPoint, k: bigint): GroupPoint;
  add(P: GroupPoint, Q: GroupPoint): GroupPoint;
  /** Decodes 33-byte SEC1 compressed; throws RangeError off the curve or malformed. */
  decodePoint(bytes: Uint8Array, name?: string): GroupPoint;
  /** BIP340 lift_x: the point with even y and this x; throws if none exists. */
  liftX(x: Uint8Array, name?: string): GroupPoint;
  /** x-only public key of a 32-byte secret key. */
  schnorrPublicKey(secretKey: Uint8Array): Uint8Array;
  /** BIP340 signature; `aux` is fresh randomness unless given (for known-answer tests). */
  schnorrSign(message: Uint8Array, secretKey: Uint8Array, aux?: Uint8Array): Uint8Array;
  /** False for any malformed or invalid signature, key or message (never throws on bad data). */
  schnorrVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  /**
   * A secret scalar whose point has even y, so the point travels x-only
   * (docs/PROTOCOL.md §3.2 step 1; the sealed results reuse it): `k` as given (or
   * uniform), replaced by n − k if k·G has odd y. Returns the scalar and its point.
   */
  evenYScalar(k?: bigint): { k: bigint; P: GroupPoint };
}

/** The group operations over `backend` (backend.ts loadBackend); noble where it has no libsecp256k1. */
export function createGroup(backend: Backend): Group {
  if (typeof backend !== 'object' || backend === null) throw new TypeError('backend must be a loaded backend');
  const w = backend.lib;

  function mulBase(k: bigint): GroupPoint {
    if (!isScalar(k) || k === 0n) throw new RangeError('scalar must be in [1, n)');
    if (w) {
      const out = w.pointFromScalar(scalarToBytes(k), false); // ecmult_gen: constant time
      if (out) return fromSec65(out);
    }
    return Point.BASE.multiply(k);
  }

  function mul(P: GroupPoint, k: bigint): GroupPoint {
    apoint(P, 'point');
    if (!isScalar(k) || k === 0n) throw new RangeError('scalar must be in [1, n)');
    if (w && !P.is0()) return fastMul(w, P, k);
    return P.multiply(k);
  }

  function mulPublic(P: GroupPoint, k: bigint): GroupPoint {
    apoint(P, 'point');
    if (!isScalar(k)) throw new RangeError('scalar must be in [0, n)');
    if (k === 0n || P.is0()) return Point.ZERO;
    if (w) return fastMul(w, P, k); // constant time there, and still 10–40× faster than noble
    return P.multiplyUnsafe(k);
  }

  function add(P: GroupPoint, Q: GroupPoint): GroupPoint {
    // Both encodings at hand (as after a multiplication): one libsecp256k1 addition keeps
    // the sum's encoding too, where noble's projective sum would need an inversion later.
    if (w && !P.is0() && !Q.is0()) {
      const u = sec65.get(P);
      const v = sec65.get(Q);
      if (u && v) {
        const out = w.pointAdd(u, v, false);
        return out ? fromSec65(out) : Point.ZERO; // null: P = −Q
      }
    }
    return P.add(Q);
  }

  function decodePoint(bytes: Uint8Array, name = 'point'): GroupPoint {
    abytes(bytes, 33, name);
    if (bytes[0] !== 2 && bytes[0] !== 3) throw new RangeError(`${name} must be SEC1 compressed`);
    if (w) {
      // libsecp256k1's ec_pubkey_parse: x < p and x³ + 7 a square, as noble checks.
      // One parse: an invalid point is tiny-secp256k1's TypeError('Expected Point').
      try {
        return fromSec65(w.pointCompress(bytes, false));
      } catch (err) {
        if (isBadPointError(err)) throw new RangeError(`${name} is not a point on secp256k1`);
        throw err;
      }
    }
    try {
      const P = Point.fromBytes(bytes);
      P.assertValidity();
      return P;
    } catch {
      throw new RangeError(`${name} is not a point on secp256k1`);
    }
  }

  function liftX(x: Uint8Array, name = 'x'): GroupPoint {
    abytes(x, 32, name);
    return decodePoint(Uint8Array.from([2, ...x]), name);
  }

  function schnorrPublicKey(secretKey: Uint8Array): Uint8Array {
    abytes(secretKey, 32, 'secretKey');
    // An invalid key goes to noble, whose error callers see either way.
    if (w && isSecretKey(secretKey)) return w.xOnlyPointFromScalar(secretKey);
    return secp.schnorr.getPublicKey(secretKey);
  }

  function schnorrSign(message: Uint8Array, secretKey: Uint8Array, aux?: Uint8Array): Uint8Array {
    abytes(message, undefined, 'message');
    abytes(secretKey, 32, 'secretKey');
    if (aux !== undefined) abytes(aux, 32, 'aux');
    // libsecp256k1's schnorrsig_sign32 takes 32-byte messages (all of ours are tagged hashes).
    if (w && message.length === 32 && isSecretKey(secretKey)) {
      return w.signSchnorr(message, secretKey, aux ?? new Uint8Array(randomBytes(32)));
    }
    return secp.schnorr.sign(message, secretKey, aux ?? randomBytes(32));
  }

  function schnorrVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
    if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
    if (!(message instanceof Uint8Array)) return false;
    if (w && message.length === 32) {
      // BIP340: fail if s ≥ n or P = lift_x(pk) fails. tiny-secp256k1 also
      // refuses r ≥ n, which BIP340 allows up to p: noble decides those.
      if (bytesToBigint(signature.subarray(32)) >= CURVE_ORDER) return false;
      if (bytesToBigint(signature.subarray(0, 32)) < CURVE_ORDER) {
        try {
          return w.verifySchnorr(message, publicKey, signature);
        } catch (err) {
          if (isBadPointError(err)) return false; // lift_x(pk) failed
          throw err;
        }
      }
    }
    // noble returns false for invalid points and scalars; it throws only for a
    // misconfigured hash backend, which must not read as "invalid".
    return secp.schnorr.verify(signature, message, publicKey);
  }

  function evenYScalar(k: bigint = randomScalar()): { k: bigint; P: GroupPoint } {
    const P = mulBase(k);
    if (hasEvenY(P)) return { k, P };
    const n = negateScalar(k);
    return { k: n, P: mulBase(n) };
  }

  return Object.freeze({
    backend: backend.name,
    mulBase,
    mul,
    mulPublic,
    add,
    decodePoint,
    liftX,
    schnorrPublicKey,
    schnorrSign,
    schnorrVerify,
    evenYScalar,
  });
}

// ## The process's group (DEFAULT_BACKEND, chosen once)

export const { mulBase, mul, mulPublic, add, decodePoint, liftX, schnorrPublicKey, schnorrSign, schnorrVerify, evenYScalar } =
  createGroup(DEFAULT_BACKEND);
