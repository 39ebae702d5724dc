/**
 * Warrant intake and status (docs/PROTOCOL.md §5 step 2; docs/PROTOCOL.md §7.5): check,
 * log the cover sheet, then deliver it with its checkpoint in the background.
 */
import type { SignedWarrant } from '@custodes/shared/records';
import type { Context } from '../context';
import { entryKey } from '../rules/recordChecks';
import { reviewers, tallyDecisions, warrantStatus } from '@custodes/shared/rules';
import { checkIntake } from '../rules/warrantChecks';
import type { InvestigatorIdentity, WarrantStatus } from '../rules/warrantChecks';
import { fail } from '../errors';

export function submitWarrant(
  ctx: Context,
  caller: InvestigatorIdentity,
  warrant: SignedWarrant,
  salt: string,
): { warrantId: string; index: number; fresh: boolean } {
  const registry = ctx.registry();
  const { commitment, cover } = checkIntake(warrant, salt, caller, registry, ctx.now());
  const known = ctx.repo.warrant(warrant.id);
  if (known) {
    // Idempotent by warrant id: the same warrant again is the same answer.
    if (known.commitment !== commitment) fail('CONFLICT', `warrant ${warrant.id} was already submitted with different contents`);
    ctx.delivery.kick();
    return { warrantId: warrant.id, index: known.logIndex, fresh: false };
  }
  const { index, fresh } = ctx.ledger.appendOnce(entryKey.warrant(warrant.id), cover, (i) => {
    ctx.repo.putWarrant(
      {
        id: warrant.id,
        logIndex: i,
        commitment,
        agency: warrant.agency,
        investigator: warrant.investigator,
        court: warrant.court,
        expiresAt: warrant.expiresAt,
        sealedUntil: warrant.sealedUntil,
        maxEnvelopes: warrant.maxEnvelopes,
        warrantJson: JSON.stringify(warrant),
        salt,
      },
      ctx.now(),
    );
    ctx.repo.putDeliveries(warrant.id, registry.custodians.map((c) => c.index));
  }, { publish: true });
  ctx.logger.info({ warrantId: warrant.id, index }, 'warrant logged');
  // Each delivery carries the checkpoint with the cover sheet (published in the append's
  // commit), so one exchange per custodian both cosigns it and delivers the warrant.
  ctx.delivery.kick();
  return { warrantId: warrant.id, index, fresh };
}

/** The answer of `GET /v1/warrants/:id` (docs/PROTOCOL.md §7.5). */
export interface WarrantStatusView {
  status: WarrantStatus;
  approvals: number;
  denials: number;
  threshold: number;
}

export interface WarrantTally extends WarrantStatusView {
  /** The distinct approving reviewers (for the per-epoch quorum of a request). */
  approvers: readonly number[];
}

export function statusOf(ctx: Context, warrantId: string): WarrantStatusView {
  const w = ctx.repo.warrant(warrantId);
  if (!w) fail('NOT_FOUND', `no warrant ${warrantId}`);
  const { status, approvals, denials, threshold } = tally(ctx, warrantId, w.expiresAt);
  return { status, approvals, denials, threshold };
}

/** The warrant's status from its logged decisions among the reviewers (@custodes/shared/rules). */
export function tally(ctx: Context, warrantId: string, expiresAt: number): WarrantTally {
  const quorum = reviewers(ctx.registry().entry)!; // a parsed registry lists at least one epoch
  const { approvers, deniers } = tallyDecisions(ctx.repo.decisions(warrantId), quorum.custodians);
  const counts = { approvals: approvers.length, denials: deniers.length };
  const status = warrantStatus({ ...counts, revoked: ctx.repo.isRevoked(warrantId), expiresAt }, quorum, ctx.now());
  return { status, ...counts, threshold: quorum.threshold, approvers };
}

/** The warrant, if `caller` is its investigator; 404 if unknown, 403 if someone else's. */
export function ownWarrant(ctx: Context, caller: InvestigatorIdentity, warrantId: string) {
  const w = ctx.repo.warrant(warrantId);
  if (!w) fail('NOT_FOUND', `no warrant ${warrantId}`);
  if (w.investigator !== caller.investigator || w.agency !== caller.agency) fail('FORBIDDEN', 'this warrant is not yours');
  return w;
}
