/**
 * Completion checks (docs/PROTOCOL.md §5 step 6): for a logged request, once, within
 * its envelopes, with t releases for any decryption, blaming only custodians
 * with a misbehavior entry.
 *
 * Everything read here is attacker-controlled: the log is what is on trial.
 */
import type { DecryptionCompleteEntry } from '@custodes/shared/records';
import { short } from './context';
import type { Check, Context } from './context';

export const completeChecks: readonly Check<DecryptionCompleteEntry>[] = [
  {
    name: 'complete.request',
    run(entry, ctx) {
      const r = ctx.state.requests.get(entry.requestId);
      if (!r) {
        ctx.report('UNKNOWN_REQUEST', `a completion refers to request ${short(entry.requestId)}, which is not logged before it.`);
        return;
      }
      if (r.complete) ctx.report('DUPLICATE_ENTRY', `request ${short(entry.requestId)} was already completed at #${r.complete.index}.`);
      if (entry.decrypted + entry.failed > r.entry.envelopeCount) {
        ctx.report('COMPLETE_MISMATCH', `request ${short(entry.requestId)} reports ${entry.decrypted} decrypted and ${entry.failed} failed of ${r.entry.envelopeCount} envelopes.`);
      }
      const t = ctx.state.registry?.threshold;
      if (entry.decrypted > 0 && t !== undefined && r.releases.size < t) {
        ctx.report('COMPLETE_WITHOUT_RELEASES', `request ${short(entry.requestId)} reports ${entry.decrypted} envelopes decrypted with ${r.releases.size} of the ${t} releases needed in the log.`);
      }
      for (const b of new Set(entry.blamed)) {
        if (!r.misbehaving.has(b)) ctx.report('UNSUPPORTED_BLAME', `request ${short(entry.requestId)} blames custodian ${b} without a misbehavior entry.`);
      }
    },
  },
];

export function applyComplete(entry: DecryptionCompleteEntry, ctx: Context): void {
  const r = ctx.state.requests.get(entry.requestId);
  if (r && !r.complete) r.complete = { index: ctx.index, entry };
}

