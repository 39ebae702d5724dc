/**
 * Revocation checks (docs/PROTOCOL.md §4.2 `revocation`): by the warrant's court or an
 * investigator of its agency (its own, once the warrant is unsealed), with a
 * valid signature, once.
 *
 * Everything read here is attacker-controlled: the log is what is on trial.
 */
import { verifyRecordSignature } from '@custodes/shared/records';
import type { RevocationEntry } from '@custodes/shared/records';
import { judgeRevocation } from '@custodes/shared/rules';
import { rejected, short, warrantFor } from './context';
import type { Check, Context } from './context';

export const revocationChecks: readonly Check<RevocationEntry>[] = [
  {
    name: 'revocation.signer',
    run(entry, ctx) {
      const w = warrantFor(entry.warrantId, 'a revocation', ctx);
      const reg = ctx.state.registry;
      if (w && reg) {
        // The shared rule (@custodes/shared/rules judgeRevocation, docs/PROTOCOL.md §8.1): from the cover sheet, and
        // knowing the investigator if the warrant is already unsealed (an earlier one is re-judged at unseal).
        const verdict = judgeRevocation(entry, reg.entry, w.entry, w.unseal?.entry.warrant.investigator);
        if (!verdict.ok) ctx.report(verdict.code === 'BAD_SIGNATURE' ? 'BAD_SIGNATURE' : 'UNAUTHORIZED_REVOCATION', verdict.message + '.');
      } else if (!verifyRecordSignature(entry, 'revocation', entry.signature, entry.signer)) {
        ctx.report('BAD_SIGNATURE', `the revocation of warrant ${short(entry.warrantId)} has a signature that does not verify.`);
      }
      if (w?.revocation) ctx.report('DUPLICATE_ENTRY', `warrant ${short(entry.warrantId)} was already revoked at #${w.revocation.index}.`);
    },
  },
];

export function applyRevocation(entry: RevocationEntry, ctx: Context): void {
  const w = ctx.state.warrants.get(entry.warrantId);
  if (w && ctx.state.registry && !rejected(ctx)) w.revocation = { index: ctx.index, entry, registry: ctx.state.registry };
}

