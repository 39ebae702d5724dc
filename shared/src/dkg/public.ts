/**
 * What anyone can read from a logged ChillDKG session (docs/PROTOCOL.md §3.8):
 * the epoch's group key, Feldman commitments and public shares, recomputed
 * from the recovery data alone. No secret: every service and the auditor
 * call this, none of them ever holds a share sum or the group secret.
 *
 * ChillDKG's threshold key is C'_0 = Σ_j com_j[0] + tweak·G (BIP341 unspendable
 * tweak, vss.ts taprootTweak) and participant p's share is evaluated at p + 1,
 * so with C_0 = C'_0 and C_k = Σ_j com_j[k] (k ≥ 1) every public share is
 * X_{p+1} = Σ_k (p+1)^k·C_k: a custodian at index i = p + 1 verifies with
 * the same formula as a dealer epoch (§3.1), and the envelope, partial and
 * DLEQ code needs no change.
 */
import { abytes, bytesToHex } from '../crypto/bytes';
import { encodePoint, isIdentity } from '../crypto/group';
import { sha256 } from '../crypto/hash';
import { coordinatorRecover } from './recovery';
import { DkgError } from './errors';
import { MalformedMessage, parseRecoveryData } from './messages';
import { taprootTweak } from './vss';

/** The public outcome of a ChillDKG session; points as lower-case hex of ser33 (§3 encodings). */
interface EpochKeys {
  readonly threshold: number;
  /** The session's host public keys, in participant order (= custodian index − 1). */
  readonly hostKeys: readonly string[];
  /** C_0, the threshold public key. */
  readonly groupKey: string;
  /** C_0 … C_{t−1}. */
  readonly commitments: readonly string[];
  /** X_1 … X_n (index i at position i − 1). */
  readonly publicShares: readonly string[];
}

/**
 * The group key, commitments, public shares and host keys of the session
 * whose recovery data (eq_input ‖ cert) is `recoveryData`. Throws DkgError
 * RECOVERY_DATA if it does not parse, its parameters are invalid, its
 * certificate does not verify, or a commitment is the point at infinity
 * (which no JSON field can carry; with the commit step of §3.8 no
 * participant can force one).
 */
function epochFromRecovery(recoveryData: Uint8Array): EpochKeys {
  abytes(recoveryData, undefined, 'recoveryData');
  // Checks parameters and the certificate, and recomputes the public shares.
  const { output, params } = coordinatorRecover(recoveryData);
  let sumComs;
  try {
    sumComs = parseRecoveryData(recoveryData).transcript.sumComs;
  } catch (err) {
    if (err instanceof MalformedMessage) throw new DkgError('RECOVERY_DATA', 'Failed to deserialize recovery data', { cause: err });
    throw err;
  }
  const { tweaked } = taprootTweak(sumComs);
  if (tweaked.some(isIdentity)) throw new DkgError('RECOVERY_DATA', 'a commitment is the point at infinity');
  const commitments = tweaked.map((P) => bytesToHex(encodePoint(P)));
  // recover computed them as pubshareOf(tweaked, p) = Σ_k (p+1)^k·C_k (vss.ts).
  const publicShares = output.pubshares.map(bytesToHex);
  return {
    threshold: params.t,
    hostKeys: params.hostpubkeys.map(bytesToHex),
    groupKey: bytesToHex(output.threshPk),
    commitments,
    publicShares,
  };
}

/** The commit step's payload (§3.8): SHA256(pmsg1). */
function pmsg1Commitment(pmsg1: Uint8Array): Uint8Array {
  abytes(pmsg1, undefined, 'pmsg1');
  return sha256(pmsg1);
}

export { epochFromRecovery, pmsg1Commitment, type EpochKeys };
