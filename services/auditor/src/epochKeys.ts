/**
 * `public.json` as an export of what the log proves (docs/PROTOCOL.md §3.8,
 * §7.16): the key set of an epoch read from a log the
 * auditor verified (checkpoint signed, cosigned by t custodians, entries
 * reproducing its root) and replayed. For a DKG epoch the group key,
 * commitments and public shares are the ones recomputed from the logged
 * recovery data by the `epoch` entry that activated it (judgeEpochEntry, its
 * certificate checked); for a dealer epoch they are the registry's. No
 * secret is involved: anyone can run this and get the same file.
 */
import { bytesToHex, encodePoint } from '@custodes/shared/crypto';
import type { PublicKeySet } from '@custodes/shared/records';
import { newestEpoch } from '@custodes/shared/rules';
import { CustodesError } from '@custodes/shared';
import type { AuditState } from './checks/context';

export type EpochKeysCode = 'NO_REGISTRY' | 'UNKNOWN_EPOCH' | 'EPOCH_NOT_ACTIVE';
export class EpochKeysError extends CustodesError<EpochKeysCode> {}

export interface ProvenEpochKeys {
  readonly publicKeySet: PublicKeySet;
  /** dkg: activated by the `epoch` entry at `activatedAt`; dealer: written in the registry. */
  readonly origin: 'dkg' | 'dealer';
  readonly activatedAt: number | null;
}

/**
 * The key set of `epoch` (default: the newest active epoch, §3.8) in the
 * replayed `state`. Throws EpochKeysError for no registry, an epoch the
 * registry does not list, or one that no valid `epoch` entry activated.
 */
export function provenEpochKeys(state: AuditState, epoch?: number): ProvenEpochKeys {
  const reg = state.registry;
  if (!reg) throw new EpochKeysError('NO_REGISTRY', 'the log has no accepted genesis registry');
  const e = epoch === undefined ? newestEpoch(reg.entry) : reg.epoch(epoch);
  if (!e) throw new EpochKeysError('UNKNOWN_EPOCH', `epoch ${epoch} is not in the registry`);
  if (e.groupKey === undefined || e.commitments === undefined) {
    throw new EpochKeysError('EPOCH_NOT_ACTIVE', `epoch ${e.epoch} is proposed: no valid epoch entry in the verified log activates it`);
  }
  const activation = state.activations.get(e.epoch);
  // X_i: the DKG's or reshare's public shares as recomputed from the recovery data (in rank
  // order, §3.1), or Σ_k p^k·C_k at the custodian's point p for a dealer epoch.
  const shares = reg.verificationShares(e.epoch);
  const verificationShares: Record<string, string> = {};
  for (const [rank, c] of [...e.custodians].sort((a, b) => a.index - b.index).entries()) {
    const dealt = shares?.get(c.index);
    const X = activation ? activation.keys.publicShares[rank] : dealt && bytesToHex(encodePoint(dealt));
    if (X === undefined) throw new EpochKeysError('EPOCH_NOT_ACTIVE', `epoch ${e.epoch}: no public share for custodian ${c.index}`);
    verificationShares[String(c.index)] = X;
  }
  return {
    publicKeySet: {
      format: 'custodes.public.v1',
      epoch: e.epoch,
      threshold: e.threshold,
      total: e.total,
      groupKey: e.groupKey,
      commitments: [...e.commitments],
      verificationShares,
    },
    origin: activation ? 'dkg' : 'dealer',
    activatedAt: activation?.index ?? null,
  };
}
