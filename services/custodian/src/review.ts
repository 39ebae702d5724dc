/**
 * Review (docs/PROTOCOL.md §5 step 3): a delivered warrant is checked against its
 * logged cover sheet and the registry, queued, and decided by an operator or by
 * the auto-approval policy. A decision is a signed `approval` entry (§3.5),
 * persisted in the outbox before it is sent to the coordinator.
 */
import { canonicalJson, signRecord, verifyWarrantSignature, warrantCommitment, warrantCoverSheet } from '@custodes/shared/records';
import type { ApprovalEntry, LogEntry, SignedWarrant } from '@custodes/shared/records';
import type { Context } from './context';
import { nowSeconds } from './context';
import { CustodianError } from './errors';
import { evaluatePolicy } from './policy';
import type { PolicyVerdict } from './policy';
import { agencyInvestigators, courtKey } from './registry';
import { currentRegistry, loggedWarrant } from './replica';
import { isRevoked } from './revocation';
import { warrantState } from './warrantState';
import type { ReviewRow } from './store';

/** Warrants may be issued at most this far in our future (clock skew). */
const MAX_SKEW_SECONDS = 300;

export type ReviewStatus = ReviewRow['status'];

export interface WarrantAnswer {
  warrantId: string;
  status: ReviewStatus;
  /** The signed decision, once there is one: the coordinator may log it from here (docs/PROTOCOL.md §7.11). */
  approval?: ApprovalEntry;
}

/** The answer for a reviewed warrant: its status and, if decided, the signed decision. */
function answer(ctx: Context, warrantId: string, status: ReviewStatus): WarrantAnswer {
  const decided = status === 'pending' ? undefined : ctx.store.outbox(`approval:${warrantId}`);
  return decided ? { warrantId, status, approval: JSON.parse(decided.entry) as ApprovalEntry } : { warrantId, status };
}

/**
 * WARRANT_NOT_LOGGED unless warrant `warrantId` is in the replica or among
 * `added`, the entries a checkpoint is about to add: the cheap first check of
 * a delivery, before its checkpoint is witnessed.
 */
export function requireLogged(ctx: Context, warrantId: string, added: readonly LogEntry[]): void {
  if (loggedWarrant(ctx.store, warrantId) || added.some((e) => e.type === 'warrant' && e.warrantId === warrantId)) return;
  throw new CustodianError('WARRANT_NOT_LOGGED', `warrant ${warrantId} is neither in this node's log replica nor added by the checkpoint delivered with it`);
}

/**
 * Checks and queues a delivered warrant; idempotent (a known warrant returns
 * its status). `answerTaken`: the caller logs the answer's decision itself
 * (the coordinator's single-exchange delivery), so the outbox waits before
 * posting it.
 */
export function receiveWarrant(ctx: Context, warrant: SignedWarrant, salt: string, answerTaken = false): WarrantAnswer {
  const logged = loggedWarrant(ctx.store, warrant.id);
  if (!logged) throw new CustodianError('WARRANT_NOT_LOGGED', `warrant ${warrant.id} is not yet in this node's log replica`);
  const commitment = warrantCommitment(warrant, salt);
  if (commitment !== logged.entry.commitment) throw new CustodianError('BAD_COMMITMENT', 'the warrant and salt do not open the logged commitment');
  // The commitment binds the warrant, so the logged cover sheet must be exactly its summary.
  if (canonicalJson(warrantCoverSheet(warrant, commitment)) !== canonicalJson(logged.entry)) {
    throw new CustodianError('BAD_COMMITMENT', 'the logged cover sheet does not match the warrant');
  }
  const known = ctx.store.review(warrant.id);
  if (known) return answer(ctx, warrant.id, known.status);

  const registry = currentRegistry(ctx.store)!.entry; // a logged warrant implies a registry
  const court = courtKey(registry, warrant.court);
  if (!court) throw new CustodianError('UNKNOWN_COURT', `court ${warrant.court} is not registered`);
  if (!verifyWarrantSignature(warrant, warrant.courtSignature, court)) throw new CustodianError('BAD_COURT_SIGNATURE', 'the court signature does not verify');
  const investigators = agencyInvestigators(registry, warrant.agency) ?? [];
  if (!investigators.includes(warrant.investigator)) {
    throw new CustodianError('UNKNOWN_INVESTIGATOR', `the investigator is not registered for agency ${warrant.agency}`);
  }
  if (!verifyWarrantSignature(warrant, warrant.investigatorSignature, warrant.investigator)) {
    throw new CustodianError('BAD_INVESTIGATOR_SIGNATURE', 'the investigator signature does not verify');
  }
  const now = nowSeconds(ctx);
  if (warrant.expiresAt <= now) throw new CustodianError('BAD_DATES', 'the warrant has already expired');
  if (warrant.issuedAt > now + MAX_SKEW_SECONDS) throw new CustodianError('BAD_DATES', 'the warrant is issued in the future');

  const verdict = evaluatePolicy(ctx.policy, warrant);
  // The review and an automatic decision are one commit: both are persisted before the 202.
  ctx.store.tx(() => {
    ctx.store.insertReview({
      warrantId: warrant.id,
      warrant: JSON.stringify(warrant),
      salt,
      commitment,
      receivedAt: now,
      policy: JSON.stringify(verdict),
    });
    if (verdict.auto) decide(ctx, warrant.id, 'approve', undefined, 'policy', false);
  });
  ctx.log.info({ warrantId: warrant.id, agency: warrant.agency, court: warrant.court, auto: verdict.auto }, 'warrant queued for review');
  if (!verdict.auto) return { warrantId: warrant.id, status: 'pending' };
  // Sent only once committed: the caller took the decision (its pass comes after the grace
  // period, long after a surrounding commit, Witness.addThen), or now, after ours.
  if (answerTaken) ctx.outbox.kickLater(`approval:${warrant.id}`);
  else void ctx.outbox.kick();
  return answer(ctx, warrant.id, 'approved');
}

/**
 * Signs and records a decision, queues the `approval` entry for the coordinator.
 * Repeating the same decision returns the recorded entry; a different one is 409.
 */
export function decide(
  ctx: Context,
  warrantId: string,
  decision: 'approve' | 'deny',
  reason: string | undefined,
  by: string,
  /** False inside a caller's transaction: the caller kicks the outbox after its commit. */
  send = true,
): { status: ReviewStatus; entry: ApprovalEntry } {
  const review = ctx.store.review(warrantId);
  if (!review) throw new CustodianError('UNKNOWN_WARRANT', `no warrant ${warrantId} awaits review here`);
  const key = `approval:${warrantId}`;
  const wanted: ReviewStatus = decision === 'approve' ? 'approved' : 'denied';
  if (review.status !== 'pending') {
    const prior = ctx.store.outbox(key);
    if (review.status === wanted && prior) return { status: review.status, entry: JSON.parse(prior.entry) as ApprovalEntry };
    throw new CustodianError('ALREADY_DECIDED', `warrant ${warrantId} was already ${review.status}`);
  }
  const now = nowSeconds(ctx);
  const unsigned: Omit<ApprovalEntry, 'signature'> = {
    type: 'approval',
    warrantId,
    commitment: review.commitment,
    custodian: ctx.node.custodian,
    decision,
    ...(reason !== undefined ? { reason } : {}),
    time: now,
  };
  const entry: ApprovalEntry = { ...unsigned, signature: signRecord(unsigned, 'approval', ctx.vault.signingKey()) };
  ctx.store.tx(() => {
    if (!ctx.store.decide(warrantId, wanted, reason ?? null, by, now)) throw new CustodianError('ALREADY_DECIDED', `warrant ${warrantId} was decided meanwhile`);
    ctx.store.insertOutbox(key, canonicalJson(entry));
  });
  ctx.log.info({ warrantId, decision, by }, 'warrant decided');
  if (send) void ctx.outbox.kick();
  return { status: wanted, entry };
}

export function queue(ctx: Context) {
  return ctx.store.pendingReviews().map((r) => {
    const w = JSON.parse(r.warrant) as SignedWarrant;
    return {
      warrantId: r.warrantId,
      agency: w.agency,
      court: w.court,
      caseNumber: w.caseNumber,
      receivedAt: r.receivedAt,
      expiresAt: w.expiresAt,
      policy: JSON.parse(r.policy) as PolicyVerdict,
    };
  });
}

export function showWarrant(ctx: Context, warrantId: string) {
  const r = ctx.store.review(warrantId);
  if (!r) throw new CustodianError('UNKNOWN_WARRANT', `no warrant ${warrantId} here`);
  const logged = loggedWarrant(ctx.store, warrantId);
  const approvals = ctx.store.approvals(warrantId);
  const revoked = isRevoked(ctx.store, warrantId);
  const warrant = JSON.parse(r.warrant) as SignedWarrant;
  const registry = currentRegistry(ctx.store)?.entry;
  // The status every party computes (@custodes/shared/rules), from this node's replica.
  const status = logged && registry ? warrantState(ctx.store, registry, logged.entry, nowSeconds(ctx)).status : null;
  return {
    warrant,
    commitment: r.commitment,
    logIndex: logged?.idx ?? null,
    receivedAt: r.receivedAt,
    // every check passed at delivery, else the warrant would not be here
    checks: { commitment: 'ok', courtSignature: 'ok', investigatorSignature: 'ok', dates: 'ok' },
    policy: JSON.parse(r.policy) as PolicyVerdict,
    decision: { status: r.status, reason: r.reason, decidedBy: r.decidedBy, decidedAt: r.decidedAt },
    logged: {
      approvals: approvals.filter((a) => a.decision === 'approve').map((a) => a.custodian),
      denials: approvals.filter((a) => a.decision === 'deny').map((a) => a.custodian),
      revoked,
      expired: warrant.expiresAt <= nowSeconds(ctx),
      status,
    },
  };
}
