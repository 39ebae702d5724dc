/**
 * The internals of resharing (docs/PROTOCOL.md §3.9) behind the API of
 * reshare.ts: Q's dealings combined into C', X' (with the C'_0 = Y check),
 * a new custodian's share, the certificate's transcript, and reading
 * recovery data. Internal building block (not exported from dkg/index.ts).
 */
import { add, encodePoint, IDENTITY, isIdentity, modN, mul, mulBase, mulPublic, pointEquals, scalarToBytes } from '../crypto/group';
import type { GroupPoint } from '../crypto/group';
import { lagrangeCoefficients } from '../crypto/combine';
import { verificationShare } from '../crypto/shares';
import { taggedHash } from '../crypto/hash';
import { certeqFirstInvalid } from './certeq';
import { SIG_LEN } from './codec';
import { ReshareError } from './errors';
import { complaintWith } from './reshareComplaint';
import { checkDealing, dealingLength, openSubshare, receiverOf } from './reshareDealing';
import type { ParsedDealing } from './reshareDealing';
import { decodeParams, RESHARE_TAG, resolveParams } from './reshareParams';
import type { ResolvedParams } from './reshareParams';

/** The public outcome of a reshare (points as ser33 bytes, the new committee in rank order). */
interface ReshareOutput {
  /** Q, ascending. */
  readonly qualified: readonly number[];
  /** Y = C'_0. */
  readonly groupKey: Uint8Array;
  /** C'_0 … C'_{t_N−1}. */
  readonly commitments: readonly Uint8Array[];
  /** X'_j for the new committee in rank order (position = q_j − 1). */
  readonly publicShares: readonly Uint8Array[];
}

/** A new custodian's result: its own share and the public outcome. Holds a secret: keep it local. */
interface ReshareReceived extends ReshareOutput {
  readonly index: number;
  /** q_j, its rank in N. */
  readonly point: number;
  /** x'_j, 32 bytes. */
  readonly share: Uint8Array;
}

/** C'_0 … C'_{t_N−1} and X'_j in rank order, as points. */
interface Combined {
  readonly commitments: GroupPoint[];
  readonly publicShares: GroupPoint[];
}

// ## Combination (public)

/** Parses the dealings of Q and checks the set: ascending dealers (BAD_QUALIFIED_SET), at least t_O (NOT_ENOUGH_DEALERS). */
function qualifiedDealings(rp: ResolvedParams, dealings: readonly Uint8Array[]): ParsedDealing[] {
  if (!Array.isArray(dealings)) throw new TypeError('dealings must be an array');
  const parsed = dealings.map((d) => checkDealing(rp, d));
  if (parsed.some((d, k) => k > 0 && d.dealer <= parsed[k - 1]!.dealer)) {
    throw new ReshareError('BAD_QUALIFIED_SET', 'the dealings of Q must be in strictly ascending dealer order, one per dealer');
  }
  if (parsed.length < rp.params.oldThreshold) {
    throw new ReshareError('NOT_ENOUGH_DEALERS', `Q has ${parsed.length} dealers, t_O is ${rp.params.oldThreshold}`);
  }
  return parsed;
}

/** λ_i at 0 over the dealers' points p_i (not their indices: §3.1 ranks). */
function dealerLambdas(rp: ResolvedParams, q: readonly ParsedDealing[]): bigint[] {
  const points = q.map((d) => rp.old.get(d.dealer)!.point);
  const lambdas = lagrangeCoefficients(points);
  return points.map((p) => lambdas.get(p)!);
}

/** C', X' (points) and the C'_0 = Y check over parsed dealings. */
function combinePublic(rp: ResolvedParams, q: readonly ParsedDealing[]): Combined {
  const lambdas = dealerLambdas(rp, q);
  const commitments = Array.from({ length: rp.params.newThreshold }, (_, k) =>
    q.reduce<GroupPoint>((acc, d, m) => add(acc, mulPublic(d.commitments[k]!, lambdas[m]!)), IDENTITY),
  );
  // The one check that keeps the key (§3.9): every C_{i,0} is pinned to X_i, so C'_0 = Σ λ_i·X_i.
  if (!pointEquals(commitments[0]!, rp.Y)) throw new ReshareError('GROUP_KEY_CHANGED', "C'_0 = Σ λ_i·X_i is not the group key Y");
  const degenerate = commitments.findIndex(isIdentity);
  if (degenerate >= 0) throw new ReshareError('DEGENERATE_COMMITMENT', `C'_${degenerate} is the point at infinity`);
  const publicShares = rp.receivers.map((r) => verificationShare(commitments, r.point));
  if (publicShares.some(isIdentity)) throw new ReshareError('DEGENERATE_COMMITMENT', 'a new public share is the point at infinity');
  return { commitments, publicShares };
}

function encodeOutput(q: readonly ParsedDealing[], c: Combined): ReshareOutput {
  return {
    qualified: q.map((d) => d.dealer),
    groupKey: encodePoint(c.commitments[0]!),
    commitments: c.commitments.map(encodePoint),
    publicShares: c.publicShares.map(encodePoint),
  };
}

// ## Receiving (a new custodian)

/** Decrypts and checks every sub-share of Q for `position`, combines, checks x'_j·G = X'_j. */
function receiveWith(rp: ResolvedParams, hostseckey: Uint8Array, dealings: readonly Uint8Array[]): ReshareReceived {
  const { position, d: sk } = receiverOf(rp, hostseckey);
  const r = rp.receivers[position]!;
  const q = qualifiedDealings(rp, dealings);
  const combined = combinePublic(rp, q);
  const lambdas = dealerLambdas(rp, q);
  let share = 0n;
  q.forEach((d, m) => {
    const s = openSubshare(rp, d, position, mul(d.R, sk));
    if (s === null) {
      throw new ReshareError('BAD_SUBSHARE', `custodian ${d.dealer} dealt a bad sub-share to custodian ${r.index}`, {
        dealer: d.dealer,
        participant: r.index,
        complaint: complaintWith(rp, hostseckey, d),
      });
    }
    share = modN(share + lambdas[m]! * s);
  });
  // Check the combination before trusting it (STYLE.md).
  if (share === 0n || !pointEquals(mulBase(share), combined.publicShares[position]!)) {
    throw new ReshareError('PUBLIC_SHARE_MISMATCH', `the combined share of custodian ${r.index} does not match X'_${r.index}`);
  }
  return { ...encodeOutput(q, combined), index: r.index, point: r.point, share: scalarToBytes(share) };
}

// ## Certificate (CertEq shape, certeq.ts)

/** H("custodes/v1/reshare transcript", ctx ‖ u8(|Q|) ‖ dealings of Q). */
function transcriptHash(rp: ResolvedParams, dealings: readonly Uint8Array[]): Uint8Array {
  return taggedHash(RESHARE_TAG.transcript, rp.ctx, Uint8Array.of(dealings.length), ...dealings);
}

/** The position (rank − 1) of the first certificate signature that fails, or −1. */
function firstBadSignature(rp: ResolvedParams, dealings: readonly Uint8Array[], sigs: readonly Uint8Array[]): number {
  const hostKeys = rp.receivers.map((r) => r.hostKey);
  return certeqFirstInvalid('reshare-certificate', hostKeys, transcriptHash(rp, dealings), sigs);
}

// ## Recovery data

/** Splits recovery data into parameters, dealings and signatures (RECOVERY_DATA if it does not parse or its parameters are invalid). */
function parseRecovery(recoveryData: Uint8Array): { rp: ResolvedParams; dealings: Uint8Array[]; sigs: Uint8Array[] } {
  const { params, end } = decodeParams(recoveryData);
  let rp: ResolvedParams;
  try {
    rp = resolveParams(params);
  } catch (err) {
    if (err instanceof ReshareError) throw new ReshareError('RECOVERY_DATA', `invalid parameters in recovery data: ${err.message}`, { cause: err });
    throw err;
  }
  const count = recoveryData[end];
  if (count === undefined) throw new ReshareError('RECOVERY_DATA', 'recovery data ends before the dealer count');
  const dl = dealingLength(rp);
  const n = rp.receivers.length;
  const expected = end + 1 + count * dl + n * SIG_LEN;
  if (recoveryData.length !== expected) throw new ReshareError('RECOVERY_DATA', `recovery data must be ${expected} bytes, got ${recoveryData.length}`);
  const at = end + 1;
  const dealings = Array.from({ length: count }, (_, k) => recoveryData.slice(at + k * dl, at + (k + 1) * dl));
  const sigAt = at + count * dl;
  const sigs = Array.from({ length: n }, (_, k) => recoveryData.slice(sigAt + k * SIG_LEN, sigAt + (k + 1) * SIG_LEN));
  return { rp, dealings, sigs };
}

/** Everything epochFromReshare checks; returns the parsed pieces for the caller. */
function verifyRecovery(recoveryData: Uint8Array): { rp: ResolvedParams; q: ParsedDealing[]; combined: Combined } {
  const { rp, dealings, sigs } = parseRecovery(recoveryData);
  const bad = firstBadSignature(rp, dealings, sigs);
  if (bad >= 0) {
    const participant = rp.receivers[bad]!.index;
    throw new ReshareError('BAD_CERTIFICATE', `the certificate signature of custodian ${participant} does not verify`, { participant });
  }
  const q = qualifiedDealings(rp, dealings);
  return { rp, q, combined: combinePublic(rp, q) };
}

export {
  combinePublic,
  encodeOutput,
  parseRecovery,
  qualifiedDealings,
  receiveWith,
  transcriptHash,
  verifyRecovery,
  type Combined,
  type ReshareOutput,
  type ReshareReceived,
};
