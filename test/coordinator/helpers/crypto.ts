/** Crypto helpers for the coordinator tests: a dealer ceremony in hex. */
import { bytesToHex, dealShares, encodePoint } from '@custodes/shared/crypto';

export {
  bytesToHex,
  decodePoint,
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

/** A dealer ceremony (DESIGN.md §3.1): group key and commitments hex33, shares hex32. */
export function ceremonyFilesPoints(threshold: number, total: number): { groupKey: string; commitments: string[]; shares: string[] } {
  const c = dealShares(threshold, total);
  const commitments = c.commitments.map((C) => bytesToHex(encodePoint(C)));
  return { groupKey: commitments[0]!, commitments, shares: c.shares.map((x) => x.toString(16).padStart(64, '0')) };
}
