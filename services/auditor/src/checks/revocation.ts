/**
 * Revocation checks (DESIGN.md §4.2 `revocation`): by the warrant's court or an
 * investigator of its agency, with a valid signature, once.
 *
 * Everything read here is attacker-controlled: the log is what is on trial.
 */
import { verifyRecordSignature } from '@custodes/shared/records';
import type { RevocationEntry } from '@custodes/shared/records';
import { rejected, short, warrantFor } from './context';
import type { Check, Context } from './context';

export const revocationChecks: readonly Check<RevocationEntry>[] = [
  {
    name: 'revocation.signer',
    run(entry, ctx) {
      const w = warrantFor(entry.warrantId, 'a revocation', ctx);
      const reg = ctx.state.registry;
      if (w && reg) {
        const allowed = entry.by === 'court' ? reg.court(w.entry.court)?.key === entry.signer : reg.isInvestigator(w.entry.agency, entry.signer);
        if (!allowed) {
          ctx.report('UNAUTHORIZED_REVOCATION', `warrant ${short(entry.warrantId)} is revoked by ${short(entry.signer)}…, who is not its ${entry.by}.`);
        }
      }
      if (!verifyRecordSignature(entry, 'revocation', entry.signature, entry.signer)) {
        ctx.report('BAD_SIGNATURE', `the revocation of warrant ${short(entry.warrantId)} has a signature that does not verify.`);
      }
      if (w?.revocation) ctx.report('DUPLICATE_ENTRY', `warrant ${short(entry.warrantId)} was already revoked at #${w.revocation.index}.`);
    },
  },
];

export function applyRevocation(entry: RevocationEntry, ctx: Context): void {
  const w = ctx.state.warrants.get(entry.warrantId);
  if (w && !rejected(ctx)) w.revocation = { index: ctx.index, entry };
}

