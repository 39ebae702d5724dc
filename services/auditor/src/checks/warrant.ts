/**
 * Warrant cover sheet checks (docs/PROTOCOL.md §4.2 `warrant`): one per id, a
 * registered court and agency, dates that make sense.
 *
 * Everything read here is attacker-controlled: the log is what is on trial.
 */
import type { WarrantEntry } from '@custodes/shared/records';
import { short } from './context';
import type { Check, Context } from './context';

export const warrantChecks: readonly Check<WarrantEntry>[] = [
  {
    name: 'warrant.unique',
    run(entry, ctx) {
      const seen = ctx.state.warrants.get(entry.warrantId);
      if (seen) ctx.report('DUPLICATE_ENTRY', `warrant ${short(entry.warrantId)} was already logged at #${seen.index}.`);
    },
  },
  {
    name: 'warrant.parties',
    run(entry, ctx) {
      const reg = ctx.state.registry;
      if (!reg) return;
      if (!reg.court(entry.court)) ctx.report('UNKNOWN_COURT', `warrant ${short(entry.warrantId)} names court "${entry.court}", which is not registered.`);
      if (!reg.agency(entry.agency)) ctx.report('UNKNOWN_AGENCY', `warrant ${short(entry.warrantId)} names agency "${entry.agency}", which is not registered.`);
    },
  },
  {
    name: 'warrant.dates',
    run(entry, ctx) {
      if (entry.expiresAt <= entry.issuedAt) ctx.report('BAD_WARRANT', `warrant ${short(entry.warrantId)} expires before it is issued.`);
      if (entry.notAfter < entry.notBefore) ctx.report('BAD_WARRANT', `warrant ${short(entry.warrantId)} has a scope that ends before it begins.`);
    },
  },
];

export function applyWarrant(entry: WarrantEntry, ctx: Context): void {
  if (ctx.reported.has('DUPLICATE_ENTRY')) return;
  ctx.state.warrants.set(entry.warrantId, {
    index: ctx.index,
    entry,
    decisions: new Map(),
    quorum: undefined,
    revocation: undefined,
    unseal: undefined,
    requests: [],
    envelopesRequested: 0,
  });
}


