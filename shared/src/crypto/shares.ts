/**
 * Dealer key ceremony: Shamir shares with Feldman commitments (docs/PROTOCOL.md §3.1).
 * f(x) = Σ a_k·x^k mod n; custodian i gets x_i = f(i); C_k = a_k·G; Y = C_0;
 * verification share X_i = Σ_k i^k·C_k (= x_i·G).
 */
import { add, apoint, decodePoint, encodePoint, IDENTITY, modN, mulBase, mulPublic, pointEquals, randomScalar } from './group';
import type { GroupPoint } from './group';

export const MAX_CUSTODIANS = 255;

export interface Ceremony {
  threshold: number;
  total: number;
  /** Feldman commitments C_0 … C_{t−1}; C_0 is the group key Y. */
  commitments: GroupPoint[];
  /** x_i for i = 1..n (index i at position i−1). */
  shares: bigint[];
}

/** Requires n ≤ 255 and n/2 < t ≤ n (docs/PROTOCOL.md §3.1, §1 goal 8). */
export function checkThreshold(threshold: number, total: number): void {
  if (!Number.isInteger(threshold) || !Number.isInteger(total)) throw new TypeError('threshold and total must be integers');
  if (total < 1 || total > MAX_CUSTODIANS) throw new RangeError(`total must be in [1, ${MAX_CUSTODIANS}], got ${total}`);
  if (threshold > total) throw new RangeError(`threshold ${threshold} exceeds total ${total}`);
  if (2 * threshold <= total) throw new RangeError(`threshold must be more than half of total (t > n/2), got ${threshold} of ${total}`);
}

/** Evaluates f(i) by Horner's rule. */
function evalPoly(coefficients: readonly bigint[], i: number): bigint {
  let acc = 0n;
  const x = BigInt(i);
  for (let k = coefficients.length - 1; k >= 0; k--) acc = modN(acc * x + coefficients[k]!);
  return acc;
}

/**
 * Runs the dealer ceremony. `coefficients` (a_0 … a_{t−1}, each in [1, n−1]) may
 * be given for known-answer tests; otherwise they are drawn uniformly.
 */
export function dealShares(threshold: number, total: number, coefficients?: readonly bigint[]): Ceremony {
  checkThreshold(threshold, total);
  if (coefficients !== undefined && !Array.isArray(coefficients)) throw new TypeError('coefficients must be an array of scalars');
  const coeffs = coefficients ? [...coefficients] : Array.from({ length: threshold }, randomScalar);
  if (coeffs.length !== threshold) throw new RangeError(`expected ${threshold} coefficients, got ${coeffs.length}`);
  const commitments = coeffs.map((a) => mulBase(a));
  const shares = Array.from({ length: total }, (_, k) => evalPoly(coeffs, k + 1));
  coeffs.fill(0n);
  return { threshold, total, commitments, shares };
}

/** X = Σ_k p^k·C_k, the public share at evaluation point `point` (docs/PROTOCOL.md §3.1: custodian i's point is its rank in the epoch, = i for indices 1..n). */
export function verificationShare(commitments: readonly GroupPoint[], point: number): GroupPoint {
  if (!Number.isInteger(point) || point < 1 || point > MAX_CUSTODIANS) throw new RangeError('point must be in [1, 255]');
  if (!Array.isArray(commitments)) throw new TypeError('commitments must be an array of points');
  if (commitments.length === 0) throw new RangeError('commitments must not be empty');
  commitments.forEach((C, k) => apoint(C, `commitments[${k}]`));
  let acc = IDENTITY;
  let power = 1n;
  for (const C of commitments) {
    acc = add(acc, mulPublic(C, power));
    power = modN(power * BigInt(point));
  }
  return acc;
}

/** A custodian rejects a share with x_i·G ≠ X_i (docs/PROTOCOL.md §3.1); `point` is where the share sits (a dealer's share file: its index). */
export function shareMatchesCommitments(share: bigint, point: number, commitments: readonly GroupPoint[]): boolean {
  if (typeof share !== 'bigint' || share <= 0n || modN(share) !== share) return false;
  return pointEquals(mulBase(share), verificationShare(commitments, point));
}

export function encodePoints(points: readonly GroupPoint[]): Uint8Array[] {
  return points.map(encodePoint);
}

export function decodePoints(encoded: readonly Uint8Array[], name = 'commitment'): GroupPoint[] {
  return encoded.map((b, i) => decodePoint(b, `${name}[${i}]`));
}
