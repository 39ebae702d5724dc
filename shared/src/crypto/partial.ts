/**
 * Partial decryption with a Chaum–Pedersen DLEQ proof (docs/PROTOCOL.md §3.3):
 * D_i = x_i·R; A = w·G, B = w·R;
 * c = Hs("custodes/v1/dleq", ser33(X_i) ‖ Rx ‖ ser33(D_i) ‖ ser33(A) ‖ ser33(B) ‖ μ);
 * z = w + c·x_i mod n.
 */
import { bytesToHex, hexToBytes } from './bytes';
import { hashToScalar, TAG } from './hash';
import {
  apoint,
  decodePoint,
  encodePoint,
  GENERATOR,
  isIdentity,
  isPoint,
  isScalar,
  modN,
  mul,
  mulBase,
  mulPublic,
  randomScalar,
  scalarFromBytes,
  scalarToBytes,
  subtract,
} from './group';
import type { GroupPoint } from './group';
import { assertParsedEnvelope } from './envelope';
import type { ParsedEnvelope } from './envelope';

/** Partial JSON (docs/PROTOCOL.md §3.3). */
export interface Partial {
  index: number;
  D: string; // hex33
  c: string; // hex32
  z: string; // hex32
}

/** A partial decoded once (points and scalars checked for form, not for the proof). */
export interface ParsedPartial {
  index: number;
  D: GroupPoint;
  c: bigint;
  z: bigint;
}

function challenge(X: GroupPoint, env: ParsedEnvelope, D: GroupPoint, A: GroupPoint, B: GroupPoint): bigint {
  return hashToScalar(TAG.dleq, encodePoint(X), env.Rx, encodePoint(D), encodePoint(A), encodePoint(B), env.mu);
}

/**
 * Custodian `index` with share x_i computes its partial for `env`. `w` may be
 * fixed for known-answer tests only. `verificationShare` is X_i = x_i·G: a
 * custodian serving many envelopes computes it once per epoch and passes it
 * (docs/PROTOCOL.md §3.1 guarantees X_i = x_i·G for an accepted share), saving a base
 * multiplication per envelope; omitted, it is computed here. A wrong X_i only
 * yields a proof that fails verification (docs/PROTOCOL.md §3.3), never a leak.
 */
export function createPartial(
  share: bigint,
  index: number,
  env: ParsedEnvelope,
  w: bigint = randomScalar(),
  verificationShare?: GroupPoint,
): Partial {
  if (!isScalar(share) || share === 0n) throw new RangeError('share must be in [1, n)');
  if (!Number.isInteger(index) || index < 1 || index > 255) throw new RangeError('index must be in [1, 255]');
  assertParsedEnvelope(env);
  if (verificationShare !== undefined && isIdentity(apoint(verificationShare, 'verificationShare'))) {
    throw new RangeError('verificationShare must not be the point at infinity');
  }
  const X = verificationShare ?? mulBase(share);
  const D = mul(env.R, share);
  const A = mulBase(w);
  const B = mul(env.R, w);
  const c = challenge(X, env, D, A, B);
  const z = modN(w + c * share);
  return { index, D: bytesToHex(encodePoint(D)), c: bytesToHex(scalarToBytes(c)), z: bytesToHex(scalarToBytes(z)) };
}

/** Decodes a partial (attacker-controlled); null if any field is malformed, off-curve or out of range. */
export function parsePartial(input: unknown): ParsedPartial | null {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return null;
  const p = input as Record<string, unknown>;
  const keys = Object.keys(p).sort();
  if (keys.join(',') !== 'D,c,index,z') return null;
  if (typeof p.index !== 'number' || !Number.isInteger(p.index) || p.index < 1 || p.index > 255) return null;
  if (typeof p.D !== 'string' || typeof p.c !== 'string' || typeof p.z !== 'string') return null;
  try {
    const D = decodePoint(hexToBytes(p.D, 33, 'D'), 'D');
    const c = scalarFromBytes(hexToBytes(p.c, 32, 'c'), 'c');
    const z = scalarFromBytes(hexToBytes(p.z, 32, 'z'), 'z');
    return { index: p.index, D, c, z };
  } catch (err) {
    if (err instanceof RangeError) return null; // malformed encodings only
    throw err;
  }
}

/**
 * Verifies a partial against verification share X_i (docs/PROTOCOL.md §3.3): D a valid
 * point ≠ ∞, 0 ≤ c, z < n, A' = z·G − c·X_i, B' = z·R − c·D (neither ∞), and c
 * recomputes. Returns false for anything malformed.
 */
export function verifyPartial(partial: unknown, verificationShare: GroupPoint, env: ParsedEnvelope): boolean {
  apoint(verificationShare, 'verificationShare');
  assertParsedEnvelope(env);
  const p = parsePartial(partial);
  return p !== null && verifyParsedPartial(p, verificationShare, env);
}

export function verifyParsedPartial(p: ParsedPartial, X: GroupPoint, env: ParsedEnvelope): boolean {
  apoint(X, 'verificationShare');
  assertParsedEnvelope(env);
  if (typeof p !== 'object' || p === null || !isScalar(p.c) || !isScalar(p.z)) return false;
  if (!isPoint(p.D) || isIdentity(p.D) || isIdentity(X)) return false;
  const A = subtract(mulPublic(GENERATOR, p.z), mulPublic(X, p.c));
  const B = subtract(mulPublic(env.R, p.z), mulPublic(p.D, p.c));
  if (isIdentity(A) || isIdentity(B)) return false;
  return challenge(X, env, p.D, A, B) === p.c;
}

