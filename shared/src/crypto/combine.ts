/**
 * Lagrange combination with the fast path and blame (DESIGN.md §3.4):
 * λ_i = Π_{j∈S, j≠i} j·(j − i)^{−1} mod n; Z = Σ λ_i·D_i.
 * Fast path: combine t partials and try the AEAD; only if the tag fails,
 * verify every DLEQ proof, drop and blame the bad ones, and retry with others.
 */
import { ProtocolError } from '../errors';
import { openWithSharedPoint } from './envelope';
import type { ParsedEnvelope } from './envelope';
import { add, IDENTITY, invertN, modN, mulPublic } from './group';
import type { GroupPoint } from './group';
import { parsePartial, verifyParsedPartial } from './partial';
import type { ParsedPartial } from './partial';

/** λ_i for each i in the index set S (distinct, 1..255). */
export function lagrangeCoefficients(indices: readonly number[]): Map<number, bigint> {
  if (new Set(indices).size !== indices.length) throw new ProtocolError('DUPLICATE_INDEX', 'indices must be distinct');
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
  return out;
}

/** Z = Σ λ_i·D_i over exactly the partials given. */
export function combinePoints(partials: readonly ParsedPartial[]): GroupPoint {
  const lambdas = lagrangeCoefficients(partials.map((p) => p.index));
  let Z = IDENTITY;
  for (const p of partials) Z = add(Z, mulPublic(p.D, lambdas.get(p.index)!));
  return Z;
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
 * Opens `env` from partials. `verificationShares` maps index → X_i. Throws
 * ProtocolError DUPLICATE_INDEX (naming the index) or NOT_ENOUGH_PARTIALS (naming
 * blamed indices) when it cannot.
 */
export function combineAndOpen(
  env: ParsedEnvelope,
  partials: readonly unknown[],
  threshold: number,
  verificationShares: ReadonlyMap<number, GroupPoint>,
): CombineResult {
  if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError('threshold must be a positive integer');
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
    if (!p || !verificationShares.has(p.index)) {
      if (typeof index === 'number') blamed.push(index);
      continue;
    }
    parsed.push(p);
  }
  // Fast path: the first t well-formed partials; the AEAD tag is the check.
  if (parsed.length >= threshold) {
    const first = parsed.slice(0, threshold);
    const opened = openWithSharedPoint(env, combinePoints(first));
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
  const opened = openWithSharedPoint(env, combinePoints(chosen));
  if (!opened) {
    // t valid partials that still fail the tag: the envelope itself is bad
    // (e.g. sealed to another key), not any custodian.
    throw new ProtocolError('DECRYPT_FAILED', 'valid partials do not open this envelope (wrong group key or tampered envelope)');
  }
  return { ...opened, used: chosen.map((p) => p.index), blamed };
}
