/**
 * Byte encodings shared by every ChillDKG message: 33-byte points where the
 * point at infinity is 33 zero bytes (the BIP's
 * `to_bytes_compressed_with_infinity`), 32-byte scalars that must be < n
 * (`Scalar.from_bytes_checked`), and u32 big-endian integers.
 */
import { equalBytes } from '../crypto/bytes';
import { CURVE_ORDER, decodePoint, encodePoint, IDENTITY, isIdentity, modN } from '../crypto/group';
import type { GroupPoint } from '../crypto/group';

const POINT_LEN = 33;
const SCALAR_LEN = 32;
const SIG_LEN = 64;
const INFINITY_BYTES = new Uint8Array(POINT_LEN);

// ## Points

/** BIP `to_bytes_compressed_with_infinity`: ∞ ↦ 0x00 × 33, so a VSS sum may contain ∞. */
function encodePointOrInfinity(P: GroupPoint): Uint8Array {
  return isIdentity(P) ? new Uint8Array(POINT_LEN) : encodePoint(P);
}

/** BIP `from_bytes_compressed_with_infinity`; RangeError for any other non-point. */
function decodePointOrInfinity(bytes: Uint8Array, name: string): GroupPoint {
  return equalBytes(bytes, INFINITY_BYTES) ? IDENTITY : decodePoint(bytes, name);
}

// ## Scalars and integers

function bytesToBigint(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt('0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex'));
}

/** BIP `Scalar.from_bytes_wrapping`: int(b) mod n (for hash outputs used as pads). */
function scalarFromBytesWrapping(bytes: Uint8Array): bigint {
  return modN(bytesToBigint(bytes));
}

/** BIP `Scalar.from_bytes_checked` without the length check: null if int(b) ≥ n. */
function scalarOrNull(bytes: Uint8Array): bigint | null {
  const k = bytesToBigint(bytes);
  return k < CURVE_ORDER ? k : null;
}

function readU32(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, false);
}

// ## Slicing

/** `count` consecutive chunks of `size` bytes from `offset` (the caller has checked the length). */
function chunks(bytes: Uint8Array, offset: number, size: number, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => bytes.slice(offset + i * size, offset + (i + 1) * size));
}

export {
  bytesToBigint,
  chunks,
  decodePointOrInfinity,
  encodePointOrInfinity,
  POINT_LEN,
  readU32,
  scalarFromBytesWrapping,
  scalarOrNull,
  SCALAR_LEN,
  SIG_LEN,
};
