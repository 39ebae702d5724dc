/**
 * Feldman VSS for SimplPedPop (BIP ChillDKG, "DKG Protocol SimplPedPop";
 * chilldkg_ref/vss.py).
 *
 * f(Z) = a[0] + a[1]·Z + … + a[t−1]·Z^(t−1); participant i gets f(i+1);
 * com = (a[0]·G, …, a[t−1]·G); pubshare_i = Σ_j (i+1)^j·com[j].
 * A commitment may hold ∞ (a summed commitment can be ∞ without anyone
 * cheating, and the encoding allows it: codec.ts).
 */
import { u32 } from '../crypto/bytes';
import { taggedHash } from '../crypto/hash';
import { add, IDENTITY, isIdentity, modN, mulBase, mulPublic, pointEquals, scalarFromBytes, xOnly } from '../crypto/group';
import type { GroupPoint } from '../crypto/group';
import { DKG_TAG, dkgHash } from './tags';

/** A VSS commitment: t points, ∞ allowed. */
type VssCommitment = readonly GroupPoint[];

// ## Polynomial

/**
 * BIP `VSS.generate`: a[i] = H("BIP DKG/vss coeffs", seed ‖ u32(i)) for
 * i < t, read as a scalar (≥ n is a RangeError, with probability ~2^−128).
 */
function vssCoefficients(seed: Uint8Array, t: number): bigint[] {
  return Array.from({ length: t }, (_, i) => scalarFromBytes(dkgHash(DKG_TAG.vssCoeffs, seed, u32(i)), 'vss coefficient'));
}

/** f(x) by Horner's rule. */
function evalPolynomial(coefficients: readonly bigint[], x: bigint): bigint {
  let acc = 0n;
  for (let j = coefficients.length - 1; j >= 0; j--) acc = modN(acc * x + coefficients[j]!);
  return acc;
}

/** [f(1), …, f(n)]: the share for participant i is f(i+1), never f(0) (the secret). */
function vssShares(coefficients: readonly bigint[], n: number): bigint[] {
  return Array.from({ length: n }, (_, i) => evalPolynomial(coefficients, BigInt(i + 1)));
}

/** k·G for a secret k ∈ [0, n) (0·G = ∞, which mulBase refuses). */
function mulBaseOrIdentity(k: bigint): GroupPoint {
  return k === 0n ? IDENTITY : mulBase(k);
}

function vssCommit(coefficients: readonly bigint[]): GroupPoint[] {
  return coefficients.map(mulBaseOrIdentity);
}

// ## Commitments

/** pubshare_i = Σ_j (i+1)^j·com[j], by Horner's rule on points (public values: variable time). */
function pubshareOf(com: VssCommitment, i: number): GroupPoint {
  const x = BigInt(i + 1);
  let acc = IDENTITY;
  for (let j = com.length - 1; j >= 0; j--) acc = add(mulPublic(acc, x), com[j]!);
  return acc;
}

/** secshare·G = pubshare: the share matches the commitment (BIP `verify_secshare`). */
function verifySecshare(secshare: bigint, pubshare: GroupPoint): boolean {
  return pointEquals(mulBaseOrIdentity(secshare), pubshare);
}

/** P_0 + … + P_{k−1} (∞ for none). */
function sumPoints(points: readonly GroupPoint[]): GroupPoint {
  return points.reduce<GroupPoint>((acc, P) => add(acc, P), IDENTITY);
}

/**
 * BIP `invalid_taproot_commit` (BIP341 "unspendable script path"): tweak =
 * H("TapTweak", xonly(com[0])) and com[0] += tweak·G, so the threshold key
 * commits to no script a participant could have hidden in its contribution.
 * Every secret share must get `tweak` added. com[0] = ∞ has no x-only form:
 * Error (the reference asserts here too; a forced ∞ needs a rushing participant).
 */
function taprootTweak(com: VssCommitment): { tweaked: GroupPoint[]; tweak: bigint; pubtweak: GroupPoint } {
  const pk = com[0]!;
  if (isIdentity(pk)) throw new Error('BIP DKG: the sum of the commitments to the secrets is the point at infinity');
  const tweak = scalarFromBytes(taggedHash('TapTweak', xOnly(pk)), 'TapTweak');
  const pubtweak = mulBaseOrIdentity(tweak);
  return { tweaked: [add(pk, pubtweak), ...com.slice(1)], tweak, pubtweak };
}

export {
  evalPolynomial,
  mulBaseOrIdentity,
  pubshareOf,
  sumPoints,
  taprootTweak,
  verifySecshare,
  vssCoefficients,
  vssCommit,
  vssShares,
  type VssCommitment,
};
