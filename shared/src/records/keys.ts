/**
 * Ceremony files (docs/PROTOCOL.md §3.1) decoded into group elements, with their
 * internal consistency checked: Y = C_0 and X_i = Σ_k i^k·C_k for every i.
 */
import { ProtocolError } from '../errors';
import { auint, bytesToHex, hexToBytes } from '../crypto/bytes';
import { decodePoint, encodePoint, pointEquals, scalarFromBytes } from '../crypto/group';
import type { GroupPoint } from '../crypto/group';
import { checkThreshold, shareMatchesCommitments, verificationShare } from '../crypto/shares';
import { evaluationPoints } from '../crypto/points';
import type { Ceremony } from '../crypto/shares';
import { PublicKeySetSchema, ShareFileSchema } from './schemas';
import type { PublicKeySet, ShareFile } from './schemas';
import { formatZodError } from './validate';

export interface EpochKeys {
  epoch: number;
  threshold: number;
  total: number;
  groupKey: GroupPoint;
  commitments: GroupPoint[];
  verificationShares: Map<number, GroupPoint>;
}

export interface CustodianShare {
  epoch: number;
  index: number;
  threshold: number;
  total: number;
  share: bigint;
  commitments: GroupPoint[];
}

function decodeCommitments(hexes: readonly string[]): GroupPoint[] {
  return hexes.map((h, i) => decodePoint(hexToBytes(h, 33), `commitments[${i}]`));
}

/** Parses and checks `public.json`; throws ProtocolError BAD_FORMAT. */
export function parsePublicKeySet(input: unknown): EpochKeys {
  const r = PublicKeySetSchema.safeParse(input);
  if (!r.success) throw new ProtocolError('BAD_FORMAT', `public key set: ${formatZodError(r.error)}`);
  const p = r.data;
  try {
    checkThreshold(p.threshold, p.total);
    if (p.commitments.length !== p.threshold) throw new RangeError('there must be exactly t commitments');
    const commitments = decodeCommitments(p.commitments);
    const groupKey = decodePoint(hexToBytes(p.groupKey, 33), 'groupKey');
    if (!pointEquals(groupKey, commitments[0]!)) throw new RangeError('groupKey must equal commitments[0]');
    const verificationShares = new Map<number, GroupPoint>();
    const indices = Object.keys(p.verificationShares).map(Number);
    if (indices.length !== p.total) throw new RangeError('there must be one verification share per custodian');
    // Keyed by custodian index; each share sits at the custodian's rank among them (§3.1, crypto/points.ts).
    for (const [i, point] of evaluationPoints(indices)) {
      const X = decodePoint(hexToBytes(p.verificationShares[String(i)]!, 33), `verificationShares.${i}`);
      if (!pointEquals(X, verificationShare(commitments, point))) throw new RangeError(`verification share ${i} does not match the commitments`);
      verificationShares.set(i, X);
    }
    return { epoch: p.epoch, threshold: p.threshold, total: p.total, groupKey, commitments, verificationShares };
  } catch (err) {
    if (err instanceof RangeError) throw new ProtocolError('BAD_FORMAT', `public key set: ${err.message}`);
    throw err;
  }
}

/** Parses `share-<i>.json` and rejects a share with x_i·G ≠ X_i (BAD_SHARE). */
export function parseShareFile(input: unknown): CustodianShare {
  const r = ShareFileSchema.safeParse(input);
  if (!r.success) throw new ProtocolError('BAD_FORMAT', `share file: ${formatZodError(r.error)}`);
  const s = r.data;
  let commitments: GroupPoint[];
  let share: bigint;
  const point = s.point ?? s.index;
  try {
    checkThreshold(s.threshold, s.total);
    if (point > s.total) throw new RangeError(s.point === undefined ? 'index exceeds total' : 'point exceeds total');
    if (s.commitments.length !== s.threshold) throw new RangeError('there must be exactly t commitments');
    commitments = decodeCommitments(s.commitments);
    if (s.groupKey !== s.commitments[0]) throw new RangeError('groupKey must equal commitments[0]');
    share = scalarFromBytes(hexToBytes(s.share, 32), 'share');
  } catch (err) {
    if (err instanceof RangeError) throw new ProtocolError('BAD_FORMAT', `share file: ${err.message}`);
    throw err;
  }
  if (!shareMatchesCommitments(share, point, commitments)) {
    throw new ProtocolError('BAD_SHARE', `share ${s.index} does not match its Feldman commitments`);
  }
  return { epoch: s.epoch, index: s.index, threshold: s.threshold, total: s.total, share, commitments };
}

/** The ceremony's output files (docs/PROTOCOL.md §3.1). */
export function ceremonyFiles(ceremony: Ceremony, epoch: number): { publicKeySet: PublicKeySet; shares: ShareFile[] } {
  if (typeof ceremony !== 'object' || ceremony === null || !Array.isArray(ceremony.commitments) || !Array.isArray(ceremony.shares)) {
    throw new TypeError('ceremony must come from dealShares');
  }
  // The files must parse again (docs/PROTOCOL.md §3.1): epoch is a u32.
  auint(epoch, 0xffffffff, 'epoch');
  const commitments = ceremony.commitments.map((C) => bytesToHex(encodePoint(C)));
  const groupKey = commitments[0]!;
  const verificationShares: Record<string, string> = {};
  for (let i = 1; i <= ceremony.total; i++) {
    verificationShares[String(i)] = bytesToHex(encodePoint(verificationShare(ceremony.commitments, i)));
  }
  const publicKeySet: PublicKeySet = {
    format: 'custodes.public.v1',
    epoch,
    threshold: ceremony.threshold,
    total: ceremony.total,
    groupKey,
    commitments,
    verificationShares,
  };
  const shares: ShareFile[] = ceremony.shares.map((x, k) => ({
    format: 'custodes.share.v1',
    epoch,
    index: k + 1,
    threshold: ceremony.threshold,
    total: ceremony.total,
    share: x.toString(16).padStart(64, '0'),
    groupKey,
    commitments,
  }));
  return { publicKeySet, shares };
}
