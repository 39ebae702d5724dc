/**
 * Approval checks (docs/PROTOCOL.md §4.2 `approval`, §1 goal 3) and a warrant's
 * tally and status, all by the shared rules (@custodes/shared/rules): an
 * approval is signed by a reviewer (a custodian of the newest epoch), a
 * custodian's first decision counts, and status has the precedence
 * revoked > expired > denied > approved > pending.
 *
 * Everything read here is attacker-controlled: the log is what is on trial.
 */
import type { ApprovalEntry, RegistryView } from '@custodes/shared/records';
import { decisionStatus, judgeApproval, judgeRequest, reviewers, tallyDecisions, warrantStatus } from '@custodes/shared/rules';
import type { DecisionStatus, Tally, WarrantStatus } from '@custodes/shared/rules';
import { rejected, short, warrantFor } from './context';
import type { Check, Context, WarrantState } from './context';

export const approvalChecks: readonly Check<ApprovalEntry>[] = [
  {
    name: 'approval.signature',
    run(entry, ctx) {
      const reg = ctx.state.registry;
      if (!reg) return;
      const verdict = judgeApproval(entry, reg.entry);
      if (verdict.ok) return;
      if (verdict.code === 'UNKNOWN_CUSTODIAN') {
        ctx.report('UNKNOWN_CUSTODIAN', `an approval is signed as custodian ${entry.custodian}, who is not a custodian of the newest epoch.`);
      } else {
        ctx.report('BAD_SIGNATURE', `the ${entry.decision} by custodian ${entry.custodian} of warrant ${short(entry.warrantId)} has a signature that does not verify.`);
      }
    },
  },
  {
    name: 'approval.warrant',
    run(entry, ctx) {
      const w = warrantFor(entry.warrantId, `an approval by custodian ${entry.custodian}`, ctx);
      if (w && w.entry.commitment !== entry.commitment) {
        ctx.report('COMMITMENT_MISMATCH', `custodian ${entry.custodian} decided on another commitment than warrant ${short(entry.warrantId)}'s.`);
      }
    },
  },
  {
    name: 'approval.unique',
    run(entry, ctx) {
      const seen = ctx.state.warrants.get(entry.warrantId)?.decisions.get(entry.custodian);
      if (seen) ctx.report('DUPLICATE_ENTRY', `custodian ${entry.custodian} already decided on warrant ${short(entry.warrantId)} at #${seen.index}.`);
    },
  },
];

export function applyApproval(entry: ApprovalEntry, ctx: Context): void {
  const w = ctx.state.warrants.get(entry.warrantId);
  if (!w || rejected(ctx)) return;
  w.decisions.set(entry.custodian, { decision: entry.decision, time: entry.time, index: ctx.index });
  const reg = ctx.state.registry;
  if (w.quorum === undefined && reg && decisionStatusOf(w, reg) === 'approved') w.quorum = { time: entry.time, index: ctx.index };
}

/** The warrant's decisions tallied among the reviewers of `reg` (each custodian's first valid decision). */
export function tallyOf(w: WarrantState, reg: RegistryView): Tally {
  const inOrder = [...w.decisions].sort((a, b) => a[1].index - b[1].index).map(([custodian, d]) => ({ custodian, decision: d.decision }));
  return tallyDecisions(inOrder, reviewers(reg.entry)!.custodians);
}

/** What the decisions alone say under `reg`: approved, denied (a quorum is impossible) or pending. */
export function decisionStatusOf(w: WarrantState, reg: RegistryView): DecisionStatus {
  const { approvers, deniers } = tallyOf(w, reg);
  return decisionStatus({ approvals: approvers.length, denials: deniers.length }, reg);
}

/** The warrant's status at `now` (Unix seconds) under `reg`, as the coordinator answers it. */
export function warrantStatusOf(w: WarrantState, reg: RegistryView, now: number): WarrantStatus {
  const { approvers, deniers } = tallyOf(w, reg);
  return warrantStatus({ approvals: approvers.length, denials: deniers.length, revoked: w.revocation !== undefined, expiresAt: w.entry.expiresAt }, reg, now);
}

/**
 * Why a request or release for envelopes of `epochs` lacks a quorum — the
 * warrant's (t reviewers) or an epoch's (t_e approvers among its custodians)
 * — or undefined if it has one (judgeRequest; unknown epochs are reported by
 * their own check).
 */
export function quorumShortfall(w: WarrantState, reg: RegistryView | undefined, epochs: readonly number[]): string | undefined {
  if (!reg) return undefined;
  const { approvers, deniers } = tallyOf(w, reg);
  const status = decisionStatus({ approvals: approvers.length, denials: deniers.length }, reg);
  const verdict = judgeRequest({ status, epochs, approvers }, reg.entry);
  if (verdict.ok || verdict.code === 'UNKNOWN_EPOCH') return undefined;
  if (verdict.code === 'EPOCH_QUORUM') return `lacks a quorum for its envelopes: ${verdict.message}`;
  const impossible = status === 'denied' ? `; ${deniers.length} denials make a quorum impossible` : '';
  return `has ${approvers.length} of the ${reg.threshold} approvals needed${impossible}`;
}
