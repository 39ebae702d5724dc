/**
 * libsecp256k1 as a native Node addon (the `secp256k1` package, cryptocoinjs,
 * N-API with prebuilt binaries), adapted to the surface group.ts uses from
 * tiny-secp256k1 (backend.ts).
 *
 * Why: on this project's machines a native multiplication costs ~60 µs
 * against ~240 µs in WASM, and a custodian does three per envelope
 * (docs/PROTOCOL.md §3.3) besides a BIP340 check (§3.2); see BENCHMARKS.md.
 *
 * Constant time: secret-scalar products go through `secp256k1_ec_pubkey_tweak_mul`
 * (`ecmult_const`) and `secp256k1_ec_pubkey_create` (`ecmult_gen`), as in WASM.
 * The addon has no BIP340, so signing stays on the WASM module (libsecp256k1's
 * `schnorrsig_sign32`) and verification is composed here from the addon's
 * point operations, following BIP340's Verify step by step.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { TinySecp256k1 } from './backend';

/** The addon's surface used here (`secp256k1` 5.x, lib/index.js). Each throws on invalid input. */
interface NativeSecp256k1 {
  publicKeyCreate(seckey: Uint8Array, compressed?: boolean): Uint8Array;
  publicKeyConvert(pubkey: Uint8Array, compressed?: boolean): Uint8Array;
  publicKeyTweakMul(pubkey: Uint8Array, tweak: Uint8Array, compressed?: boolean): Uint8Array;
  publicKeyCombine(pubkeys: Uint8Array[], compressed?: boolean): Uint8Array;
}

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const CHALLENGE_TAG = createHash('sha256').update('BIP0340/challenge').digest();

function toBigint(b: Uint8Array): bigint {
  return BigInt('0x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex'));
}

function to32(k: bigint): Uint8Array {
  return Uint8Array.from(Buffer.from(k.toString(16).padStart(64, '0'), 'hex'));
}

/** null where the addon refuses (a scalar 0 or ≥ n, a sum at infinity): tiny-secp256k1's convention. */
function orNull(f: () => Uint8Array): Uint8Array | null {
  try {
    return f();
  } catch {
    return null;
  }
}

/**
 * Builds the adapter; throws if the addon cannot load (no prebuilt binary for
 * this platform and none compiled at install), so backend.ts falls back to WASM.
 */
export function loadNative(wasm: TinySecp256k1): TinySecp256k1 {
  const require = createRequire(import.meta.url);
  // bindings.js loads only the native addon; the package's index.js would fall back to JS silently.
  const lib = require('secp256k1/bindings.js') as NativeSecp256k1;

  /** A 33- or 65-byte SEC1 point re-encoded; tiny-secp256k1's TypeError for bytes that are not a point. */
  const convert = (p: Uint8Array, compressed: boolean): Uint8Array => {
    try {
      return lib.publicKeyConvert(p, compressed);
    } catch {
      throw new TypeError('Expected Point');
    }
  };

  /** BIP340 Verify (r < n and s < n are checked by the caller, group.ts schnorrVerify). */
  const verifySchnorr = (m: Uint8Array, pk: Uint8Array, sig: Uint8Array): boolean => {
    const P = convert(Uint8Array.from([2, ...pk]), true); // lift_x(pk): the even-y point, or fail
    const r = sig.subarray(0, 32);
    const s = toBigint(sig.subarray(32, 64));
    // e = int(hash_BIP0340/challenge(r ‖ pk ‖ m)) mod n
    const e = toBigint(createHash('sha256').update(CHALLENGE_TAG).update(CHALLENGE_TAG).update(r).update(pk).update(m).digest()) % N;
    // R = s·G − e·P; fail if R is infinity, has odd y, or x(R) ≠ r.
    const terms: Uint8Array[] = [];
    if (s !== 0n) terms.push(lib.publicKeyCreate(to32(s), true));
    if (e !== 0n) terms.push(lib.publicKeyTweakMul(P, to32(N - e), true));
    if (terms.length === 0) return false;
    const R = terms.length === 1 ? terms[0]! : orNull(() => lib.publicKeyCombine(terms, true));
    if (R === null || R[0] !== 2) return false;
    return Buffer.from(R.buffer, R.byteOffset + 1, 32).equals(Buffer.from(r.buffer, r.byteOffset, 32));
  };

  return {
    isPoint: (p) => orNull(() => lib.publicKeyConvert(p, true)) !== null,
    isXOnlyPoint: (p) => p.length === 32 && orNull(() => lib.publicKeyConvert(Uint8Array.from([2, ...p]), true)) !== null,
    pointCompress: (p, compressed = true) => convert(p, compressed),
    pointFromScalar: (d, compressed = true) => orNull(() => lib.publicKeyCreate(d, compressed)),
    pointMultiply: (p, tweak, compressed = true) => orNull(() => lib.publicKeyTweakMul(p, tweak, compressed)),
    pointAdd: (a, b, compressed = true) => orNull(() => lib.publicKeyCombine([a, b], compressed)),
    xOnlyPointFromScalar: (d) => lib.publicKeyCreate(d, true).subarray(1),
    signSchnorr: (h, d, e) => wasm.signSchnorr(h, d, e),
    verifySchnorr,
  };
}
