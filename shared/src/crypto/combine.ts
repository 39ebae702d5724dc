/**
 * Lagrange combination with the fast path and blame (docs/PROTOCOL.md §3.4):
 * λ_i = Π_{j∈S, j≠i} p_j·(p_j − p_i)^{−1} mod n; Z = Σ λ_i·D_i, where p_i is
 * custodian i's evaluation point in the epoch (its rank among the epoch's
 * indices, crypto/points.ts; = i when the indices are 1..n).
 * Fast path: combine t partials and try the AEAD; only if the tag fails,
 * verify every DLEQ proof, drop and blame the bad ones, and retry with others.
 */
import { ProtocolError } from '../errors';
import { assertParsedEnvelope, openWithSharedPoint } from './envelope';
import type { ParsedEnvelope } from './envelope';
import { add, IDENTITY, invertN, modN, mulPublic } from './group';
import type { GroupPoint } from './group';
import { parsePartial, verifyParsedPartial } from './partial';
import type { ParsedPartial } from './partial';
import { evaluationPoints } from './points';
import { MAX_CUSTODIANS } from './shares';

/**
 * λ per point set, keyed by the set in order. A coordinator combines every
 * envelope of a request with the same t custodians, so this turns t modular
 * inversions per envelope into t per request. Values are public (they depend
 * only on the points); callers get copies; the cache is bounded.
 */
const lagrangeCache = new Map<string, ReadonlyMap<number, bigint>>();
const LAGRANGE_CACHE_MAX = 1024;

/** λ_p at 0 for each evaluation point p of the set S (non-empty, distinct, each in [1, 255]), keyed by point. */
export function lagrangeCoefficients(points: readonly number[]): Map<number, bigint> {
  return new Map(lagrange(points));
}

function lagrange(indices: readonly number[]): ReadonlyMap<number, bigint> {
  if (!Array.isArray(indices)) throw new TypeError('points must be an array');
  if (indices.length === 0) throw new RangeError('points must not be empty');
  const seen = new Set<number>();
  for (const i of indices) {
    if (typeof i !== 'number' || !Number.isInteger(i)) throw new TypeError('points must be integers');
    if (i < 1 || i > MAX_CUSTODIANS) throw new RangeError(`point must be in [1, ${MAX_CUSTODIANS}], got ${i}`);
    if (seen.has(i)) throw new ProtocolError('DUPLICATE_INDEX', `point ${i} appears more than once`);
    seen.add(i);
  }
  const key = indices.join(',');
  const cached = lagrangeCache.get(key);
  if (cached) return cached;
  const out = new Map<number, bigint>();
  for (const i of indices) {
    let num = 1n;
    let den = 1n;
    for (const j of indices) {
      if (j === i) continue;
      num = modN(num * BigInt(j));
      den = modN(den * BigInt(j - i));
    }
    out.set(i, modN(num * invertN(den)));
  }
  if (lagrangeCache.size >= LAGRANGE_CACHE_MAX) lagrangeCache.clear();
  lagrangeCache.set(key, out);
  return out;
}

/**
 * Z = Σ λ_i·D_i over exactly the partials given; `points` maps each
 * partial's custodian index to its evaluation point (`evaluationPoints` of
 * the epoch's indices, crypto/points.ts).
 */
export function combinePoints(partials: readonly ParsedPartial[], points: ReadonlyMap<number, number>): GroupPoint {
  if (!Array.isArray(partials) || partials.some((p) => typeof p !== 'object' || p === null)) {
    throw new TypeError('partials must be an array of parsed partials');
  }
  if (!(points instanceof Map)) throw new TypeError('points must be a Map of custodian index to evaluation point');
  const pointOf = (index: number): number => points.get(index) ?? fail(index);
  const lambdas = lagrange(partials.map((p) => pointOf(p.index)));
  // Start from the first product, not from ∞: sums of backend-made points keep
  // their encoding (group.ts `add`), so encoding Z later costs no field inversion.
  let Z: GroupPoint | null = null;
  for (const p of partials) {
    const term = mulPublic(p.D, lambdas.get(pointOf(p.index))!);
    Z = Z === null ? term : add(Z, term);
  }
  return Z ?? IDENTITY;
}

function fail(index: number): never {
  throw new RangeError(`custodian ${index} has no evaluation point in this epoch`);
}

export interface CombineResult {
  plaintext: Uint8Array;
  /** The per-envelope key k (all the coordinator ever learns). */
  key: Uint8Array;
  /** Indices whose partials were combined. */
  used: number[];
  /** Indices whose partials failed their DLEQ proof or were malformed. */
  blamed: number[];
}

/**
 * Opens `env` from partials. `verificationShares` maps index → X_i for EVERY
 * custodian of the envelope's key epoch: its key set fixes the evaluation
 * points (§3.1, ranks), so pass the whole epoch, not a subset. Throws
 * ProtocolError DUPLICATE_INDEX (naming the index) or NOT_ENOUGH_PARTIALS (naming
 * blamed indices) when it cannot.
 */
export function combineAndOpen(
  env: ParsedEnvelope,
  partials: readonly unknown[],
  threshold: number,
  verificationShares: ReadonlyMap<number, GroupPoint>,
): CombineResult {
  assertParsedEnvelope(env);
  if (!Array.isArray(partials)) throw new TypeError('partials must be an array');
  if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError('threshold must be a positive integer');
  if (!(verificationShares instanceof Map)) throw new TypeError('verificationShares must be a Map of index to point');
  const points = evaluationPoints(verificationShares.keys());
  const parsed: ParsedPartial[] = [];
  const blamed: number[] = [];
  const seen = new Set<number>();
  for (const raw of partials) {
    const p = parsePartial(raw);
    const index = typeof raw === 'object' && raw !== null ? (raw as { index?: unknown }).index : undefined;
    if (typeof index === 'number' && seen.has(index)) {
      throw new ProtocolError('DUPLICATE_INDEX', `custodian ${index} appears more than once`);
    }
    if (typeof index === 'number') seen.add(index);
    if (!p || !verificationShares.has(p.index) || (points !== undefined && !points.has(p.index))) {
      if (typeof index === 'number') blamed.push(index);
      continue;
    }
    parsed.push(p);
  }
  // Fast path: the first t well-formed partials; the AEAD tag is the check.
  if (parsed.length >= threshold) {
    const first = parsed.slice(0, threshold);
    const opened = openWithSharedPoint(env, combinePoints(first, points));
    if (opened) return { ...opened, used: first.map((p) => p.index), blamed };
  }
  // Slow path: verify every proof, blame the bad, retry with t good ones.
  const good: ParsedPartial[] = [];
  for (const p of parsed) {
    if (verifyParsedPartial(p, verificationShares.get(p.index)!, env)) good.push(p);
    else blamed.push(p.index);
  }
  if (good.length < threshold) {
    const who = blamed.length ? `; bad partials from custodian ${blamed.join(', ')}` : '';
    throw new ProtocolError('NOT_ENOUGH_PARTIALS', `need ${threshold} valid partials, have ${good.length}${who}`);
  }
  const chosen = good.slice(0, threshold);
  const opened = openWithSharedPoint(env, combinePoints(chosen, points));
  if (!opened) {
    // t valid partials that still fail the tag: the envelope itself is bad
    // (e.g. sealed to another key), not any custodian.
    throw new ProtocolError('DECRYPT_FAILED', 'valid partials do not open this envelope (wrong group key or tampered envelope)');
  }
  return { ...opened, used: chosen.map((p) => p.index), blamed };
}
