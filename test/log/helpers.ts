/**
 * Test helpers for the log: an independent RFC 6962 §2.1 reference (plain
 * recursion straight from the RFC's definitions, sharing no code with
 * shared/src/log), and bit-flipping utilities.
 */
import { createHash } from 'node:crypto';

const sha = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

/** RFC 6962 §2.1: the largest power of two smaller than n. */
function k(n: number): number {
  let p = 1;
  while (p * 2 < n) p *= 2;
  return p;
}

/** A reference tree over raw leaves, memoising MTH(D[lo:hi]). */
export class ReferenceTree {
  readonly leaves: Uint8Array[];
  readonly #memo = new Map<string, Uint8Array>();
  constructor(leaves: Uint8Array[]) {
    this.leaves = leaves;
  }

  /** MTH(D[lo:hi]) per RFC 6962 §2.1. */
  mth(lo = 0, hi = this.leaves.length): Uint8Array {
    const key = `${lo}:${hi}`;
    const cached = this.#memo.get(key);
    if (cached) return cached;
    let out: Uint8Array;
    const n = hi - lo;
    if (n === 0) out = sha();
    else if (n === 1) out = sha(Uint8Array.of(0), this.leaves[lo]!);
    else {
      const split = k(n);
      out = sha(Uint8Array.of(1), this.mth(lo, lo + split), this.mth(lo + split, hi));
    }
    this.#memo.set(key, out);
    return out;
  }

  /** PATH(m, D[lo:hi]) per RFC 6962 §2.1.1. */
  path(m: number, lo: number, hi: number): Uint8Array[] {
    const n = hi - lo;
    if (n <= 1) return [];
    const split = k(n);
    if (m < split) return [...this.path(m, lo, lo + split), this.mth(lo + split, hi)];
    return [...this.path(m - split, lo + split, hi), this.mth(lo, lo + split)];
  }

  /** PROOF(m, D[0:n]) per RFC 6962 §2.1.2. */
  proof(m: number, n: number): Uint8Array[] {
    return this.subproof(m, 0, n, true);
  }

  subproof(m: number, lo: number, hi: number, b: boolean): Uint8Array[] {
    const n = hi - lo;
    if (m === n) return b ? [] : [this.mth(lo, hi)];
    const split = k(n);
    if (m <= split) return [...this.subproof(m, lo, lo + split, b), this.mth(lo + split, hi)];
    return [...this.subproof(m - split, lo + split, hi, false), this.mth(lo, lo + split)];
  }
}

/** A copy of `bytes` with bit `bit` (0 = most significant of byte 0) flipped. */
export function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >> 3]! ^= 0x80 >> (bit & 7);
  return out;
}

/** `proof` with element `i` replaced by `value`. */
export function replaceAt(proof: readonly Uint8Array[], i: number, value: Uint8Array): Uint8Array[] {
  const out = [...proof];
  out[i] = value;
  return out;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const fromHex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

/** Deterministic leaves for sizes up to n: leaf i is "leaf-<i>". */
export function leavesUpTo(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => new TextEncoder().encode(`leaf-${i}`));
}

/** Byte-exact equality of two hash lists (cheaper than a deep toEqual in hot loops). */
export function sameHashes(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  return a.length === b.length && a.every((x, i) => Buffer.from(x).equals(b[i]!));
}
