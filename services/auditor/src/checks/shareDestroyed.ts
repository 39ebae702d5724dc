/**
 * `share-destroyed` checks (docs/PROTOCOL.md §3.9, §8.8): after a reshare
 * moved epoch O's key to epoch N, each custodian of O deletes its share and
 * says so in the log. The shared rule (@custodes/shared/rules
 * judgeShareDestroyed, with the registry resolved by the `epoch` entries
 * before the statement) decides whether a statement may stand: a statement
 * before N's `epoch` entry — before every new custodian acknowledged a
 * verified share by signing the certificate — is SHARE_DESTROYED_EARLY. At
 * the end, every custodian of a superseded epoch that has not logged a valid
 * statement within the grace period after N's activation is
 * SHARE_NOT_DESTROYED: its share of the old key may still exist.
 *
 * Everything read here is attacker-controlled: the log is what is on trial.
 */
import type { ShareDestroyedEntry } from '@custodes/shared/records';
import { judgeShareDestroyed } from '@custodes/shared/rules';
import type { ShareDestroyedCode } from '@custodes/shared/rules';
import type { Finding, FindingCode } from '../findings';
import { iso, rejected } from './context';
import type { AuditState, Check, Context } from './context';

/** How long after a reshare's activation each old custodian has to log its statement (§3.9), unless RuleOptions says otherwise. */
export const DESTROY_GRACE_SECONDS = 86_400;

const FINDING: Record<ShareDestroyedCode, FindingCode> = {
  UNKNOWN_EPOCH: 'UNKNOWN_EPOCH',
  NOT_SUPERSEDED: 'SHARE_DESTROYED_EARLY',
  UNKNOWN_CUSTODIAN: 'UNKNOWN_CUSTODIAN',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
};

export const shareDestroyedChecks: readonly Check<ShareDestroyedEntry>[] = [
  {
    name: 'share-destroyed.signer',
    run(entry, ctx) {
      const reg = ctx.state.registry;
      if (!reg) return;
      const verdict = judgeShareDestroyed(entry, reg.entry);
      if (!verdict.ok) ctx.report(FINDING[verdict.code], `${verdict.message} (share-destroyed of custodian ${entry.custodian}).`);
    },
  },
  {
    name: 'share-destroyed.unique',
    run(entry, ctx) {
      const seen = ctx.state.destructions.get(entry.epoch)?.get(entry.custodian);
      if (seen) ctx.report('DUPLICATE_ENTRY', `custodian ${entry.custodian} already logged the destruction of its share of epoch ${entry.epoch} at #${seen.index}.`);
    },
  },
];

export function applyShareDestroyed(entry: ShareDestroyedEntry, ctx: Context): void {
  if (!ctx.state.registry || ctx.reported.size > 0 || rejected(ctx)) return;
  let byCustodian = ctx.state.destructions.get(entry.epoch);
  if (!byCustodian) ctx.state.destructions.set(entry.epoch, (byCustodian = new Map()));
  byCustodian.set(entry.custodian, { index: ctx.index, time: entry.time, successor: entry.successor });
}

// ## End checks

/**
 * Custodians of each superseded epoch O without a valid statement, once
 * `now` is past the activation of O's successor plus `grace` seconds
 * (§3.9: old shares die after the new ones are safe). Attributed to the
 * successor's `epoch` entry, where the duty arose.
 */
export function undestroyedFindings(state: AuditState, now: number, grace = DESTROY_GRACE_SECONDS): Finding[] {
  const reg = state.registry;
  if (!reg) return [];
  const out: Finding[] = [];
  for (const a of state.activations.values()) {
    const n = reg.epoch(a.entry.epoch);
    const o = n?.reshareOf === undefined ? undefined : reg.epoch(n.reshareOf);
    if (!o || now <= a.entry.time + grace) continue;
    const done = state.destructions.get(o.epoch);
    for (const c of [...o.custodians].sort((x, y) => x.index - y.index)) {
      if (done?.get(c.index)?.successor === a.entry.epoch) continue;
      out.push({
        index: a.index,
        code: 'SHARE_NOT_DESTROYED',
        message: `custodian ${c.index} of epoch ${o.epoch} logged no share-destroyed statement by ${iso(a.entry.time + grace)}, though epoch ${a.entry.epoch} took over its key at #${a.index}.`,
      });
    }
  }
  return out;
}
