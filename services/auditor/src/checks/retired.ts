/**
 * Retirement checks (docs/PROTOCOL.md §3.10, §8.8): forward secrecy as the log
 * shows it.
 *
 * - retired.valid: a `retired` statement stands only if the shared rule
 *   (@custodes/shared/rules judgeRetired) accepts it against the registry in
 *   force — an epoch with a retireAfter, by a custodian of it, dated on or
 *   after that date, signed (§3.5 kind `retired`) — else BAD_RETIREMENT; a
 *   second one by the same custodian for the same epoch is DUPLICATE_ENTRY.
 * - release.retirement (releaseRetirement): a release for a request covering
 *   an epoch is flagged RELEASE_AFTER_RETIREMENT if the log's clock (the
 *   latest time of the entries before it: a lower bound on when it was
 *   logged) has reached the epoch's retireAfter, or if the releasing
 *   custodian's own valid statement for the epoch precedes it (it claimed to
 *   have destroyed the share it then used).
 * - missingRetirements (end check): once now ≥ retireAfter + grace, every
 *   custodian of an active epoch (a proposed one never gave out shares) must
 *   have a valid statement, else RETIREMENT_MISSING.
 *
 * Everything read here is attacker-controlled: the log is what is on trial.
 */
import type { ReleaseEntry, RetiredEntry } from '@custodes/shared/records';
import { judgeRetired, retirementOf } from '@custodes/shared/rules';
import type { Finding } from '../findings';
import type { AuditState, Check, Context } from './context';
import { iso, short } from './context';

/** RuleOptions.retirementGraceSeconds by default: one day for a node that was sealed or down at the date. */
export const DEFAULT_RETIREMENT_GRACE_SECONDS = 86_400;

export const retiredChecks: readonly Check<RetiredEntry>[] = [
  {
    name: 'retired.valid',
    run(entry, ctx) {
      const reg = ctx.state.registry;
      if (!reg) return; // no genesis: reported once at index 0
      const verdict = judgeRetired(entry, reg.entry);
      if (!verdict.ok) ctx.report('BAD_RETIREMENT', `${verdict.message}; the statement proves nothing.`);
    },
  },
  {
    name: 'retired.unique',
    run(entry, ctx) {
      const seen = ctx.state.retirements.get(entry.epoch)?.get(entry.custodian);
      if (seen) ctx.report('DUPLICATE_ENTRY', `custodian ${entry.custodian} already logged its retirement of epoch ${entry.epoch} at #${seen.index}.`);
    },
  },
];

export function applyRetired(entry: RetiredEntry, ctx: Context): void {
  if (!ctx.state.registry || ctx.reported.size > 0) return;
  let byCustodian = ctx.state.retirements.get(entry.epoch);
  if (!byCustodian) ctx.state.retirements.set(entry.epoch, (byCustodian = new Map()));
  byCustodian.set(entry.custodian, { index: ctx.index, time: entry.time });
}

/** The release check (run in the release pipeline, checks/release.ts). */
export const releaseRetirement: Check<ReleaseEntry> = {
  name: 'release.retirement',
  run(entry, ctx) {
    const reg = ctx.state.registry;
    const r = ctx.state.requests.get(entry.requestId);
    if (!reg || !r) return;
    const clock = ctx.state.clock;
    for (const e of r.entry.epochs) {
      const own = ctx.state.retirements.get(e)?.get(entry.custodian);
      if (own) {
        ctx.report('RELEASE_AFTER_RETIREMENT', `custodian ${entry.custodian} released for request ${short(entry.requestId)} under epoch ${e} after stating at #${own.index} that it destroyed its share.`);
        return;
      }
      const after = retirementOf(reg.entry, e);
      if (after !== undefined && clock !== undefined && clock >= after) {
        ctx.report('RELEASE_AFTER_RETIREMENT', `custodian ${entry.custodian} released for request ${short(entry.requestId)} after ${iso(clock)}, when epoch ${e} was retired (${iso(after)}).`);
        return;
      }
    }
  },
};

/**
 * RETIREMENT_MISSING for each custodian of each active epoch of the registry
 * in force whose retireAfter + `graceSeconds` ≤ `now` and that has no valid
 * statement; attributed to the registry entry in force (where the date was set).
 * A custodian that logged `share-destroyed` for the epoch (§3.9: a reshare
 * moved its key on) owes none: its share is gone already, and a leaver is no
 * witness, so it may never see the date.
 */
export function missingRetirements(state: AuditState, now: number, graceSeconds: number): Finding[] {
  const reg = state.registry;
  if (!reg) return [];
  const out: Finding[] = [];
  for (const e of [...reg.entry.epochs].sort((a, b) => a.epoch - b.epoch)) {
    if (e.retireAfter === undefined || e.groupKey === undefined || now < e.retireAfter + graceSeconds) continue;
    const logged = state.retirements.get(e.epoch);
    const destroyed = state.destructions.get(e.epoch);
    for (const c of [...e.custodians].sort((a, b) => a.index - b.index)) {
      if (logged?.has(c.index) || destroyed?.has(c.index)) continue;
      out.push({
        index: reg.index,
        code: 'RETIREMENT_MISSING',
        message: `custodian ${c.index} (${c.name}) has not logged the retirement of epoch ${e.epoch}, due ${iso(e.retireAfter)} (grace ${graceSeconds} s).`,
      });
    }
  }
  return out;
}
