/**
 * Unsealing checks (docs/PROTOCOL.md §1 goal 6): the opening reproduces the logged
 * commitment and cover sheet, both signatures verify; at the end, warrants
 * still sealed after sealedUntil (@custodes/shared/rules sealState).
 *
 * Everything read here is attacker-controlled: the log is what is on trial.
 */
import { canonicalJson, verifyWarrantSignature, warrantCommitment, warrantCoverSheet } from '@custodes/shared/records';
import type { UnsealEntry } from '@custodes/shared/records';
import { judgeRevocation, sealState } from '@custodes/shared/rules';
import type { Finding } from '../findings';
import { iso, rejected, short, warrantFor } from './context';
import type { AuditState, Check, Context } from './context';

export const unsealChecks: readonly Check<UnsealEntry>[] = [
  {
    name: 'unseal.opens',
    run(entry, ctx) {
      const w = warrantFor(entry.warrantId, 'an unsealing', ctx);
      if (!w) return;
      if (w.unseal) ctx.report('DUPLICATE_ENTRY', `warrant ${short(entry.warrantId)} was already unsealed at #${w.unseal.index}.`);
      if (entry.warrant.id !== entry.warrantId || warrantCommitment(entry.warrant, entry.salt) !== w.entry.commitment) {
        ctx.report('UNSEAL_DOES_NOT_OPEN', `the unsealing of warrant ${short(entry.warrantId)} does not open the commitment logged at #${w.index}.`);
        return;
      }
      if (canonicalJson(warrantCoverSheet(entry.warrant, w.entry.commitment)) !== canonicalJson(w.entry)) {
        ctx.report('COVER_SHEET_MISMATCH', `the cover sheet logged at #${w.index} does not match the unsealed warrant ${short(entry.warrantId)}.`);
      }
    },
  },
  {
    name: 'unseal.signatures',
    run(entry, ctx) {
      const reg = ctx.state.registry;
      if (!reg) return;
      const warrant = entry.warrant;
      const court = reg.court(warrant.court);
      if (!court) ctx.report('UNKNOWN_COURT', `unsealed warrant ${short(entry.warrantId)} names court "${warrant.court}", which is not registered.`);
      else if (!verifyWarrantSignature(warrant, warrant.courtSignature, court.key)) {
        ctx.report('BAD_SIGNATURE', `unsealed warrant ${short(entry.warrantId)} has a court signature that does not verify.`);
      }
      if (!verifyWarrantSignature(warrant, warrant.investigatorSignature, warrant.investigator)) {
        ctx.report('BAD_SIGNATURE', `unsealed warrant ${short(entry.warrantId)} has an investigator signature that does not verify.`);
      }
      if (!reg.isInvestigator(warrant.agency, warrant.investigator)) {
        ctx.report('UNKNOWN_INVESTIGATOR', `unsealed warrant ${short(entry.warrantId)} is signed by ${short(warrant.investigator)}…, not a registered investigator of ${warrant.agency}.`);
      }
    },
  },
  {
    name: 'unseal.investigator',
    run(entry, ctx) {
      const w = ctx.state.warrants.get(entry.warrantId);
      if (!w || ctx.reported.has('UNSEAL_DOES_NOT_OPEN')) return;
      for (const r of w.requests) {
        if (r.entry.investigator !== entry.warrant.investigator) {
          ctx.report('INVESTIGATOR_MISMATCH', `request ${short(r.entry.requestId)} (#${r.index}) was signed by another investigator than unsealed warrant ${short(entry.warrantId)} names.`);
        }
      }
      // The revocation passed the cover-sheet rule where it was logged; knowing the investigator now, the shared
      // rule is re-run against that registry (@custodes/shared/rules judgeRevocation, docs/PROTOCOL.md §8.1).
      const rev = w.revocation;
      const verdict = rev && judgeRevocation(rev.entry, rev.registry.entry, w.entry, entry.warrant.investigator);
      if (rev && verdict && !verdict.ok) {
        ctx.report('UNAUTHORIZED_REVOCATION', `the revocation at #${rev.index} was signed by another investigator than unsealed warrant ${short(entry.warrantId)} names.`);
      }
    },
  },
];

export function applyUnseal(entry: UnsealEntry, ctx: Context): void {
  const w = ctx.state.warrants.get(entry.warrantId);
  if (w && !w.unseal && !rejected(ctx)) w.unseal = { index: ctx.index, entry };
}

// ## End checks

/** Warrants still sealed after sealedUntil, relative to `now` (docs/PROTOCOL.md §1 goal 6). */
export function overdueFindings(state: AuditState, now: number): Finding[] {
  const out: Finding[] = [];
  for (const w of state.warrants.values()) {
    if (sealState(w.entry.sealedUntil, w.unseal !== undefined, now) === 'overdue') {
      out.push({
        index: w.index,
        code: 'UNSEAL_OVERDUE',
        message: `warrant ${short(w.entry.warrantId)} was due to be unsealed at ${iso(w.entry.sealedUntil)} and is still sealed.`,
      });
    }
  }
  return out;
}

