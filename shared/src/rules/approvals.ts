/**
 * Approvals (docs/PROTOCOL.md §4.2 `approval`, §1 goal 3, §5 step 3): who may sign
 * one, and the tally of decisions among a custodian set.
 *
 * - An approval or denial is signed by a reviewer, a custodian of the newest
 *   epoch of the registry in force (rules/epochs.ts), under that custodian's
 *   signing key, over the logged warrant's commitment.
 * - The tally counts distinct custodians. A custodian's first logged decision
 *   is its decision: a log entry cannot be taken back, and the coordinator
 *   refuses a second one (DUPLICATE_DECISION), so a later entry by the same
 *   custodian changes nothing. A decision by a custodian outside the set
 *   does not count.
 *
 * Pure: no HTTP, no SQL.
 */
import type { ApprovalEntry, RegistryEntry } from '../records/schemas';
import { verifyRecordSignature } from '../records/signing';
import { reviewers } from './epochs';

type ApprovalCode = 'UNKNOWN_CUSTODIAN' | 'BAD_SIGNATURE' | 'COMMITMENT_MISMATCH';
type ApprovalVerdict = { readonly ok: true } | { readonly ok: false; readonly code: ApprovalCode; readonly message: string };

/**
 * Judges an `approval` entry against the registry in force: by a reviewer,
 * with a valid signature, over `commitment` (the logged warrant's) if given.
 */
function judgeApproval(entry: ApprovalEntry, registry: Omit<RegistryEntry, 'signatures'>, commitment?: string): ApprovalVerdict {
  if (typeof entry !== 'object' || entry === null) throw new TypeError('entry must be an approval entry');
  const signer = reviewers(registry)?.custodians.get(entry.custodian);
  if (!signer) return { ok: false, code: 'UNKNOWN_CUSTODIAN', message: `custodian ${entry.custodian} is not a custodian of the newest epoch` };
  if (!verifyRecordSignature(entry, 'approval', entry.signature, signer.signingKey)) {
    return { ok: false, code: 'BAD_SIGNATURE', message: `the ${entry.decision} by custodian ${entry.custodian} has a signature that does not verify` };
  }
  if (commitment !== undefined && entry.commitment !== commitment) {
    return { ok: false, code: 'COMMITMENT_MISMATCH', message: `custodian ${entry.custodian} decided on another commitment than the logged warrant's` };
  }
  return { ok: true };
}

interface Decision {
  readonly custodian: number;
  readonly decision: 'approve' | 'deny';
}

/** Distinct approvers and deniers, ascending. */
interface Tally {
  readonly approvers: readonly number[];
  readonly deniers: readonly number[];
}

/**
 * The tally of `decisions` (valid ones, in log order) among `custodians`:
 * each custodian's first decision counts, once; others are ignored.
 */
function tallyDecisions(decisions: Iterable<Decision>, custodians: ReadonlySet<number> | ReadonlyMap<number, unknown>): Tally {
  if (decisions === null || typeof decisions !== 'object' || typeof (decisions as Iterable<Decision>)[Symbol.iterator] !== 'function') {
    throw new TypeError('decisions must be iterable');
  }
  const first = new Map<number, 'approve' | 'deny'>();
  for (const d of decisions) if (custodians.has(d.custodian) && !first.has(d.custodian)) first.set(d.custodian, d.decision);
  const pick = (which: 'approve' | 'deny') => [...first].filter(([, d]) => d === which).map(([c]) => c).sort((a, b) => a - b);
  return { approvers: pick('approve'), deniers: pick('deny') };
}

export { judgeApproval, tallyDecisions, type ApprovalCode, type ApprovalVerdict, type Decision, type Tally };
