/**
 * Warrant intake and status (DESIGN.md §5 step 2; docs/PROTOCOL.md §7.5): check,
 * log the cover sheet, then deliver it with its checkpoint in the background.
 */
import type { SignedWarrant } from '@custodes/shared/records';
import type { Context } from '../context';
import { entryKey } from '../domain/records';
import { checkIntake, warrantStatus } from '../domain/warrants';
import type { InvestigatorIdentity, WarrantStatus } from '../domain/warrants';
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

export interface WarrantStatusView {
  status: WarrantStatus;
  approvals: number;
  denials: number;
  threshold: number;
}

export function statusOf(ctx: Context, warrantId: string): WarrantStatusView {
  const w = ctx.repo.warrant(warrantId);
  if (!w) fail('NOT_FOUND', `no warrant ${warrantId}`);
  return tally(ctx, warrantId, w.expiresAt);
}

export function tally(ctx: Context, warrantId: string, expiresAt: number): WarrantStatusView {
  const registry = ctx.registry();
  const decisions = ctx.repo.decisions(warrantId).filter((d) => registry.custodian(d.custodian));
  const approvals = decisions.filter((d) => d.decision === 'approve').length;
  const denials = decisions.length - approvals;
  const status = warrantStatus(
    { approvals, denials, revoked: ctx.repo.isRevoked(warrantId), expiresAt },
    registry.threshold,
    registry.total,
    ctx.now(),
  );
  return { status, approvals, denials, threshold: registry.threshold };
}

/** The warrant, if `caller` is its investigator; 404 if unknown, 403 if someone else's. */
export function ownWarrant(ctx: Context, caller: InvestigatorIdentity, warrantId: string) {
  const w = ctx.repo.warrant(warrantId);
  if (!w) fail('NOT_FOUND', `no warrant ${warrantId}`);
  if (w.investigator !== caller.investigator || w.agency !== caller.agency) fail('FORBIDDEN', 'this warrant is not yours');
  return w;
}
