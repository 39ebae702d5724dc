/**
 * The coordinator's decisions in a reshare (docs/PROTOCOL.md §3.9), pure: which
 * dealers reveal, which dealings form the qualified set Q, what a logged
 * complaint proves, and the `epoch` entry that activates the new epoch. The
 * session's I/O (asking custodians, logging, timeouts) is DkgWorkflow's
 * (dkg.ts); every custodian re-checks each decision from its replica.
 */
import { base64ToBytes, bytesToBase64, bytesToHex, hexToBytes, sha256 } from '@custodes/shared/crypto';
import { epochFromReshare, ReshareError, reshareRecoveryData, verifyComplaint, verifyDealingPublic } from '@custodes/shared/dkg';
import type { ReshareParams } from '@custodes/shared/dkg';
import type { DkgEntry, EpochEntry } from '@custodes/shared/records';

/**
 * The dealers whose reveal matches their commit and whose dealing passes
 * every public check (verifyDealingPublic: form, C_{i,0} = X_i), ascending,
 * and the others among `dealers` (no reveal, a mismatch or a bad dealing).
 */
export function validDealings(
  params: ReshareParams,
  dealers: readonly number[],
  commits: ReadonlyMap<number, DkgEntry>,
  reveals: ReadonlyMap<number, DkgEntry>,
): { valid: Map<number, Uint8Array>; failed: number[] } {
  const valid = new Map<number, Uint8Array>();
  const failed: number[] = [];
  for (const i of [...dealers].sort((a, b) => a - b)) {
    const reveal = reveals.get(i);
    const dealing = reveal && base64ToBytes(reveal.payload, 'reveal');
    if (!dealing || bytesToHex(sha256(dealing)) !== commits.get(i)?.payload || !publicOk(params, dealing, i)) failed.push(i);
    else valid.set(i, dealing);
  }
  return { valid, failed };
}

function publicOk(params: ReshareParams, dealing: Uint8Array, dealer: number): boolean {
  try {
    verifyDealingPublic(params, dealing, dealer);
    return true;
  } catch (err) {
    if (err instanceof ReshareError) return false;
    throw err;
  }
}

/**
 * Who a logged complaint convicts (§3.9): the dealer it names if the
 * revealed sub-share is wrong, else the complainer. Anyone recomputes this
 * from the log; a complaint that does not parse convicts its complainer.
 */
export function convicted(params: ReshareParams, blame: DkgEntry, dealings: ReadonlyMap<number, Uint8Array>): number {
  const dealer = blame.blamed![0]!;
  const dealing = dealings.get(dealer);
  if (!dealing) return blame.custodian!;
  try {
    return verifyComplaint(params, dealing, base64ToBytes(blame.payload, 'complaint')) === 'dealer' ? dealer : blame.custodian!;
  } catch (err) {
    if (err instanceof ReshareError || err instanceof RangeError) return blame.custodian!;
    throw err;
  }
}

/** The `epoch` entry of a completed reshare: the recovery data of Q's dealings and N's certificate (rank order). */
export function reshareEpochEntry(params: ReshareParams, session: string, q: readonly Uint8Array[], certificate: readonly DkgEntry[], time: number): EpochEntry {
  const recoveryData = reshareRecoveryData(params, q, certificate.map((c) => hexToBytes(c.payload, 64)));
  const keys = epochFromReshare(recoveryData);
  return { type: 'epoch', epoch: params.newEpoch, session, groupKey: keys.groupKey, commitments: [...keys.commitments], recoveryData: bytesToBase64(recoveryData), time };
}
