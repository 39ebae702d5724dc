/**
 * Warrant rules (DESIGN.md §4.1, §5 step 2): intake checks and the public
 * cover sheet. A warrant's status and whether it admits a request are the
 * shared rules (@custodes/shared/rules warrantStatus, judgeRequest); this
 * file maps their verdicts to the coordinator's codes. No HTTP, no SQL.
 */
import { warrantCommitment, warrantCoverSheet, warrantProblems } from '@custodes/shared/records';
import type { SignedWarrant, WarrantEntry } from '@custodes/shared/records';
import { judgeRequest, reviewers, tallyDecisions } from '@custodes/shared/rules';
import type { Decision, RequestFacts } from '@custodes/shared/rules';
import { fail } from '../errors';
import type { Registry } from './registry';

export type { WarrantStatus } from '@custodes/shared/rules';

/** Who presented the warrant: an investigator token's binding. */
export interface InvestigatorIdentity {
  agency: string;
  investigator: string;
}

/**
 * Checks a signed warrant at intake against the registry and the caller, and
 * returns its commitment and cover sheet. Throws CoordinatorError.
 */
export function checkIntake(
  warrant: SignedWarrant,
  salt: string,
  caller: InvestigatorIdentity,
  registry: Registry,
  now: number,
): { commitment: string; cover: WarrantEntry } {
  if (warrant.investigator !== caller.investigator || warrant.agency !== caller.agency) {
    fail('FORBIDDEN', "the warrant's investigator and agency must be the token's");
  }
  // The shared checks of docs/PROTOCOL.md §7.5, in order; `custodes court sign` runs the same ones.
  const [problem] = warrantProblems(warrant, registry, now);
  if (problem !== undefined) fail(problem.code, problem.message);
  const commitment = warrantCommitment(warrant, salt);
  return { commitment, cover: warrantCoverSheet(warrant, commitment) };
}

/**
 * Throws the code that explains why a request cannot be made now: the
 * warrant's status, then the quorum of each epoch of its envelopes
 * (@custodes/shared/rules judgeRequest; docs/PROTOCOL.md §7.6, 409 WARRANT_*,
 * EPOCH_QUORUM, UNKNOWN_EPOCH).
 */
export function requireAdmissible(facts: RequestFacts, registry: Registry): void {
  const verdict = judgeRequest(facts, registry.entry);
  if (!verdict.ok) fail(verdict.code, verdict.message);
}

/** The distinct approving reviewers, ascending: the custodians asked for partials (@custodes/shared/rules tallyDecisions). */
export function approversOf(decisions: readonly Decision[], registry: Registry): readonly number[] {
  return tallyDecisions(decisions, reviewers(registry.entry)!.custodians).approvers;
}
