/**
 * The group: secp256k1 point and scalar arithmetic, and BIP340 signatures.
 *
 * This is the only module that imports @noble/secp256k1 (DESIGN.md §2), so a
 * faster backend can be swapped in here without touching protocol code.
 * Multiplications by secret scalars use noble's constant-time-shaped `multiply`;
 * `mulPublic` is variable time and only for public scalars (verification).
 */
import * as secp from '@noble/secp256k1';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from 'node:crypto';
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

/** 32-byte big-endian encoding (DESIGN.md §3). */
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

/** k·G for a secret k ∈ [1, n). */
export function mulBase(k: bigint): GroupPoint {
  if (!isScalar(k) || k === 0n) throw new RangeError('scalar must be in [1, n)');
  return Point.BASE.multiply(k);
}

/** k·P for a secret k ∈ [1, n). */
export function mul(P: GroupPoint, k: bigint): GroupPoint {
  apoint(P, 'point');
  if (!isScalar(k) || k === 0n) throw new RangeError('scalar must be in [1, n)');
  return P.multiply(k);
}

/** k·P for a public k ∈ [0, n): variable time, for verification only. */
export function mulPublic(P: GroupPoint, k: bigint): GroupPoint {
  apoint(P, 'point');
  if (!isScalar(k)) throw new RangeError('scalar must be in [0, n)');
  if (k === 0n || P.is0()) return Point.ZERO;
  return P.multiplyUnsafe(k);
}

export function add(P: GroupPoint, Q: GroupPoint): GroupPoint {
  return P.add(Q);
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
  return !P.is0() && (P.toAffine().y & 1n) === 0n;
}

/** 33-byte SEC1 compressed encoding; the identity has none. */
export function encodePoint(P: GroupPoint): Uint8Array {
  if (apoint(P, 'point').is0()) throw new RangeError('the point at infinity has no encoding');
  return P.toBytes(true);
}

/** Decodes 33-byte SEC1 compressed; throws RangeError off the curve or malformed. */
export function decodePoint(bytes: Uint8Array, name = 'point'): GroupPoint {
  abytes(bytes, 33, name);
  if (bytes[0] !== 2 && bytes[0] !== 3) throw new RangeError(`${name} must be SEC1 compressed`);
  try {
    const P = Point.fromBytes(bytes);
    P.assertValidity();
    return P;
  } catch {
    throw new RangeError(`${name} is not a point on secp256k1`);
  }
}

/** BIP340 lift_x: the point with even y and this x; throws if none exists. */
export function liftX(x: Uint8Array, name = 'x'): GroupPoint {
  abytes(x, 32, name);
  return decodePoint(Uint8Array.from([2, ...x]), name);
}

/** x-only 32-byte encoding (BIP340). */
export function xOnly(P: GroupPoint): Uint8Array {
  return encodePoint(P).subarray(1);
}

// ## BIP340 signatures

/** x-only public key of a 32-byte secret key. */
export function schnorrPublicKey(secretKey: Uint8Array): Uint8Array {
  abytes(secretKey, 32, 'secretKey');
  return secp.schnorr.getPublicKey(secretKey);
}

/** BIP340 signature; `aux` is fresh randomness unless given (for known-answer tests). */
export function schnorrSign(message: Uint8Array, secretKey: Uint8Array, aux?: Uint8Array): Uint8Array {
  abytes(message, undefined, 'message');
  abytes(secretKey, 32, 'secretKey');
  if (aux !== undefined) abytes(aux, 32, 'aux');
  return secp.schnorr.sign(message, secretKey, aux ?? randomBytes(32));
}

/** False for any malformed or invalid signature, key or message (never throws on bad data). */
export function schnorrVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
  if (!(message instanceof Uint8Array)) return false;
  // noble returns false for invalid points and scalars; it throws only for a
  // misconfigured hash backend, which must not read as "invalid".
  return secp.schnorr.verify(signature, message, publicKey);
}

export function randomSecretKey(): Uint8Array {
  return scalarToBytes(randomScalar());
}

/** Negation mod n, used to normalise `r` to an even-y `R` (DESIGN.md §3.2). */
export function negateScalar(k: bigint): bigint {
  return modN(-k);
}

