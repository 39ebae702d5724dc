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
import { newestEpoch, retiredAmong } from '@custodes/shared/rules';
import { CustodesError } from '@custodes/shared';
import type { AuditState } from './checks/context';

export type EpochKeysCode = 'NO_REGISTRY' | 'UNKNOWN_EPOCH' | 'EPOCH_NOT_ACTIVE' | 'EPOCH_RETIRED';
export class EpochKeysError extends CustodesError<EpochKeysCode> {}

export interface ProvenEpochKeys {
  readonly publicKeySet: PublicKeySet;
  /** dkg: activated by the `epoch` entry at `activatedAt`; dealer: written in the registry. */
  readonly origin: 'dkg' | 'dealer';
  readonly activatedAt: number | null;
}

/**
 * The epoch a provider seals to at `now` (docs/PROTOCOL.md §3.10, providers
 * roll over): the active epoch with the highest number that is not retired
 * (while none is active, the newest proposed one, as newestEpoch). Throws
 * EPOCH_RETIRED when every active epoch is, naming the newest one's date.
 */
function sealingEpoch(reg: NonNullable<AuditState['registry']>, now: number) {
  const active = reg.entry.epochs.filter((e) => e.groupKey !== undefined).sort((a, b) => b.epoch - a.epoch);
  const newest = active[0];
  // None active: the newest proposed one, which the caller refuses as not active (§3.8).
  if (newest === undefined) return newestEpoch(reg.entry);
  const open = active.find((e) => retiredAmong(reg.entry, [e.epoch], now) === undefined);
  if (open) return open;
  throw new EpochKeysError('EPOCH_RETIRED', `no active epoch that is not retired to seal to (${retiredAmong(reg.entry, [newest.epoch], now)!.message})`);
}

/**
 * The key set of `epoch` (default: the newest active epoch, §3.8) in the
 * replayed `state`. With `sealAt` (Unix seconds: a provider about to seal),
 * the default is the newest active epoch not retired at that time and an
 * epoch retired by then is refused (§3.10): nothing sealed to it could ever
 * be opened. Throws EpochKeysError for no registry, an epoch the registry
 * does not list, one that no valid `epoch` entry activated, or a retired one.
 */
export function provenEpochKeys(state: AuditState, epoch?: number, sealAt?: number): ProvenEpochKeys {
  const reg = state.registry;
  if (!reg) throw new EpochKeysError('NO_REGISTRY', 'the log has no accepted genesis registry');
  const e = epoch !== undefined ? reg.epoch(epoch) : sealAt !== undefined ? sealingEpoch(reg, sealAt) : newestEpoch(reg.entry);
  if (!e) throw new EpochKeysError('UNKNOWN_EPOCH', `epoch ${epoch} is not in the registry`);
  const retired = sealAt === undefined ? undefined : retiredAmong(reg.entry, [e.epoch], sealAt);
  if (retired) throw new EpochKeysError('EPOCH_RETIRED', `${retired.message}; seal to a newer epoch`);
  if (e.groupKey === undefined || e.commitments === undefined) {
    throw new EpochKeysError('EPOCH_NOT_ACTIVE', `epoch ${e.epoch} is proposed: no valid epoch entry in the verified log activates it`);
  }
  const activation = state.activations.get(e.epoch);
  // X_i: the DKG's public shares as recomputed from the recovery data (participant p is the custodian of
  // rank p + 1, §3.1), or Σ_k p_i^k·C_k at its point p_i (§3.1) for a dealer epoch.
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
