/**
 * `epoch` entry checks (docs/PROTOCOL.md §3.8, §8.8): the entry activates its
 * proposed epoch only if the shared rule (@custodes/shared/rules
 * judgeEpochEntry) accepts it against the registry in force — its recovery
 * data parses and carries a valid certificate by exactly the registry's host
 * keys with the epoch's threshold, and its groupKey and commitments are the
 * ones recomputed from that data (epochFromRecovery). On acceptance the
 * registry in force is re-resolved (resolveRegistry), so every later quorum
 * and every X_i that misbehavior evidence is checked against is the one the
 * logged DKG yields, never the coordinator's word.
 *
 * Everything read here is attacker-controlled: the log is what is on trial.
 */
import { RegistryView } from '@custodes/shared/records';
import type { EpochEntry } from '@custodes/shared/records';
import { judgeEpochEntry, resolveRegistry } from '@custodes/shared/rules';
import type { EpochCode } from '@custodes/shared/rules';
import type { FindingCode } from '../findings';
import type { Check, Context } from './context';

/** The finding for each refusal of judgeEpochEntry (NOT_PROPOSED is told apart by the check). */
const FINDING: Record<Exclude<EpochCode, 'NOT_PROPOSED'>, FindingCode> = {
  UNKNOWN_EPOCH: 'UNKNOWN_EPOCH',
  BAD_RECOVERY_DATA: 'BAD_EPOCH_CERTIFICATE',
  THRESHOLD_MISMATCH: 'EPOCH_SESSION_MISMATCH',
  HOST_KEYS_MISMATCH: 'EPOCH_SESSION_MISMATCH',
  GROUP_KEY_MISMATCH: 'EPOCH_KEY_MISMATCH',
  COMMITMENTS_MISMATCH: 'EPOCH_KEY_MISMATCH',
  // A reshare (§3.9): dealings not anchored to the old public shares, and a
  // reshare that moves the group key, have codes of their own (§8.8); a
  // reshare of something other than the registry's old epoch is a session mismatch.
  DEALING_CONSTANT_MISMATCH: 'RESHARE_COMMITMENT_MISMATCH',
  GROUP_KEY_CHANGED: 'RESHARE_KEY_CHANGED',
  OLD_EPOCH_NOT_ACTIVE: 'EPOCH_SESSION_MISMATCH',
  OLD_EPOCH_MISMATCH: 'EPOCH_SESSION_MISMATCH',
  SESSION_MISMATCH: 'EPOCH_SESSION_MISMATCH',
  OLD_EPOCH_SUPERSEDED: 'RESHARE_OF_SUPERSEDED',
};

export const epochChecks: readonly Check<EpochEntry>[] = [
  {
    name: 'epoch.activate',
    run(entry, ctx) {
      const reg = ctx.state.registry;
      if (!reg) return; // no genesis: reported once at index 0
      const verdict = judgeEpochEntry(entry, reg.entry);
      if (verdict.ok) return;
      if (verdict.code !== 'NOT_PROPOSED') {
        ctx.report(FINDING[verdict.code], `${verdict.message}; the epoch entry activates nothing.`);
        return;
      }
      const earlier = ctx.state.activations.get(entry.epoch);
      if (earlier) ctx.report('DUPLICATE_ENTRY', `epoch ${entry.epoch} was already activated at #${earlier.index}.`);
      else ctx.report('EPOCH_NOT_PROPOSED', `${verdict.message}; the epoch entry activates nothing.`);
    },
  },
];

/** Re-resolves the registry in force with the activations so far, in log order (§3.8). */
export function resolveInForce(ctx: Context): void {
  const { logged, registry } = ctx.state;
  if (!logged || !registry) return;
  const entries = [...ctx.state.activations.values()].map((a) => a.entry);
  ctx.state.registry = new RegistryView(resolveRegistry(logged, entries), registry.index);
}

export function applyEpoch(entry: EpochEntry, ctx: Context): void {
  const reg = ctx.state.registry;
  if (!reg || ctx.reported.size > 0) return;
  // The check accepted it; judged again for the keys (n certificate signatures, once per epoch).
  const verdict = judgeEpochEntry(entry, reg.entry);
  if (!verdict.ok) return;
  ctx.state.activations.set(entry.epoch, { index: ctx.index, entry, keys: verdict.keys });
  resolveInForce(ctx);
}
