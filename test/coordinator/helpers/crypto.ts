/** Crypto helpers for the coordinator tests: a dealer ceremony in hex. */
import { bytesToHex, CURVE_ORDER, dealShares, encodePoint, evaluationPoints, mulBase, randomScalar } from '@custodes/shared/crypto';

export {
  bytesToHex,
  decodePoint,
  ed25519PublicKey,
  ed25519SecretKey,
  hexToBytes,
  openSealedResult,
  parseEnvelope,
  randomSecretKey,
  resultContext,
  schnorrPublicKey,
  sealEnvelope,
  utf8,
  type Envelope,
  type Label,
} from '@custodes/shared/crypto';

/** A dealer ceremony (docs/PROTOCOL.md §3.1): group key and commitments hex33, shares hex32. */
export function ceremonyFilesPoints(threshold: number, total: number): { groupKey: string; commitments: string[]; shares: string[] } {
  const c = dealShares(threshold, total);
  const commitments = c.commitments.map((C) => bytesToHex(encodePoint(C)));
  return { groupKey: commitments[0]!, commitments, shares: c.shares.map((x) => x.toString(16).padStart(64, '0')) };
}

/**
 * A dealer ceremony for an epoch listing only `indices` (docs/PROTOCOL.md §3.1):
 * f of degree t − 1, C_k = a_k·G, and f(i) for the listed i only, as hex by
 * index. dealShares deals to 1..n with t > n/2, which a set such as {4, 5}
 * with t = 2 is not.
 */
export function epochCeremony(threshold: number, indices: readonly number[]): { groupKey: string; commitments: string[]; shares: Map<number, string> } {
  const a = Array.from({ length: threshold }, randomScalar);
  const commitments = a.map((x) => bytesToHex(encodePoint(mulBase(x))));
  const f = (p: number) => a.reduceRight((acc, x) => (acc * BigInt(p) + x) % CURVE_ORDER, 0n);
  // Custodian i's share sits at its rank among the epoch's indices (docs/PROTOCOL.md §3.1).
  const points = evaluationPoints(indices);
  return { groupKey: commitments[0]!, commitments, shares: new Map(indices.map((i) => [i, f(points.get(i)!).toString(16).padStart(64, '0')] as const)) };
}
