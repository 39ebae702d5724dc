/**
 * Warrant status and request admissibility (docs/PROTOCOL.md §1 goals 3, 6 and 7;
 * §5 steps 3–5).
 *
 * Status, by precedence: revoked > expired > denied > approved > pending.
 * - revoked: a valid `revocation` is logged (§4.2); final.
 * - expired: now ≥ expiresAt (§4.1; the instant itself is expired).
 * - denied: more than n − t reviewers denied, so t approvals are impossible.
 * - approved: at least t reviewers approved.
 * - pending: anything else.
 * t and n are the newest epoch's (the reviewers, rules/epochs.ts); a tally
 * counts reviewers only (rules/approvals.ts). With distinct custodians among
 * n, "denied" and "approved" cannot both hold.
 *
 * Sealing is a flag, not a status: a warrant is sealed, unsealed or overdue
 * (§1 goal 6) whatever its status, and unsealing publishes a warrant without
 * changing what it allows. `sealState` gives it.
 *
 * A request is admissible when its warrant is approved and, for every epoch e
 * of its envelopes, at least t_e custodians of epoch e approved
 * (rules/epochs.ts quorumOf). Pure: no HTTP, no SQL.
 */
import type { RegistryEntry } from '../records/schemas';
import { quorumOf } from './epochs';

type WarrantStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'revoked';
/** What the decisions alone say, before revocation and expiry. */
type DecisionStatus = 'pending' | 'approved' | 'denied';
type SealState = 'sealed' | 'unsealed' | 'overdue';

interface Counts {
  readonly approvals: number;
  readonly denials: number;
}

interface QuorumSize {
  readonly threshold: number;
  readonly total: number;
}

function acount(n: unknown, name: string): number {
  if (typeof n !== 'number') throw new TypeError(`${name} must be a number`);
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be an integer ≥ 0`);
  return n;
}

/** denied if denials > n − t, approved if approvals ≥ t, else pending. */
function decisionStatus(counts: Counts, quorum: QuorumSize): DecisionStatus {
  const approvals = acount(counts.approvals, 'approvals');
  const denials = acount(counts.denials, 'denials');
  const t = acount(quorum.threshold, 'threshold');
  const n = acount(quorum.total, 'total');
  if (denials > n - t) return 'denied';
  if (approvals >= t) return 'approved';
  return 'pending';
}

interface WarrantFacts extends Counts {
  readonly revoked: boolean;
  readonly expiresAt: number;
}

/** revoked > expired (now ≥ expiresAt) > decisionStatus. */
function warrantStatus(facts: WarrantFacts, quorum: QuorumSize, now: number): WarrantStatus {
  if (typeof facts.revoked !== 'boolean') throw new TypeError('revoked must be a boolean');
  if (typeof facts.expiresAt !== 'number' || typeof now !== 'number') throw new TypeError('expiresAt and now must be numbers');
  if (facts.revoked) return 'revoked';
  if (now >= facts.expiresAt) return 'expired';
  return decisionStatus(facts, quorum);
}

/** unsealed once a valid `unseal` is logged; overdue after sealedUntil without one (§1 goal 6); else sealed. */
function sealState(sealedUntil: number, unsealed: boolean, now: number): SealState {
  if (unsealed) return 'unsealed';
  return now > sealedUntil ? 'overdue' : 'sealed';
}

type RequestCode = 'WARRANT_REVOKED' | 'WARRANT_EXPIRED' | 'WARRANT_DENIED' | 'WARRANT_NOT_APPROVED' | 'EPOCH_QUORUM' | 'UNKNOWN_EPOCH';
type RequestVerdict = { readonly ok: true } | { readonly ok: false; readonly code: RequestCode; readonly message: string };

const STATUS_REFUSAL: Record<Exclude<WarrantStatus, 'approved'>, { code: RequestCode; message: string }> = {
  revoked: { code: 'WARRANT_REVOKED', message: 'the warrant has been revoked' },
  expired: { code: 'WARRANT_EXPIRED', message: 'the warrant has expired' },
  denied: { code: 'WARRANT_DENIED', message: 'the warrant was denied by the custodians' },
  pending: { code: 'WARRANT_NOT_APPROVED', message: 'the warrant does not yet have a quorum of approvals' },
};

/** Whether a warrant in `status` admits a request at all. */
function statusAdmits(status: WarrantStatus): RequestVerdict {
  if (status === 'approved') return { ok: true };
  const refusal = STATUS_REFUSAL[status];
  if (!refusal) throw new RangeError(`unknown warrant status ${String(status)}`);
  return { ok: false, ...refusal };
}

interface RequestFacts {
  readonly status: WarrantStatus;
  /** The epochs of the request's envelopes. */
  readonly epochs: Iterable<number>;
  /** Distinct approvers (rules/approvals.ts tallyDecisions over the reviewers). */
  readonly approvers: Iterable<number>;
}

/**
 * A request's admissibility, in this order: the warrant's status; then, for
 * every listed epoch e (ascending), ≥ t_e approvers among epoch e's
 * custodians (EPOCH_QUORUM); then every epoch listed by the registry
 * (UNKNOWN_EPOCH), last, as services screen envelopes after the warrant.
 */
function judgeRequest(facts: RequestFacts, registry: Omit<RegistryEntry, 'signatures'>): RequestVerdict {
  const byStatus = statusAdmits(facts.status);
  if (!byStatus.ok) return byStatus;
  const approvers = new Set(facts.approvers);
  const epochs = [...new Set(facts.epochs)].sort((a, b) => a - b);
  for (const e of epochs) {
    const q = quorumOf(registry, e);
    if (!q) continue;
    const n = [...approvers].filter((c) => q.custodians.has(c)).length;
    if (n < q.threshold) return { ok: false, code: 'EPOCH_QUORUM', message: `epoch ${e} needs approvals from ${q.threshold} of its custodians, has ${n}` };
  }
  const unknown = epochs.find((e) => !quorumOf(registry, e));
  if (unknown !== undefined) return { ok: false, code: 'UNKNOWN_EPOCH', message: `epoch ${unknown} is not registered` };
  return { ok: true };
}

export {
  decisionStatus,
  judgeRequest,
  sealState,
  statusAdmits,
  warrantStatus,
  type Counts,
  type DecisionStatus,
  type QuorumSize,
  type RequestCode,
  type RequestFacts,
  type RequestVerdict,
  type SealState,
  type WarrantFacts,
  type WarrantStatus,
};
