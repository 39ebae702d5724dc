/**
 * Warrant rules (docs/PROTOCOL.md §4.1, §5 step 2): intake checks and the public
 * cover sheet. A warrant's status and whether it admits a request are the
 * shared rules (@custodes/shared/rules warrantStatus, judgeRequest); this
 * file maps their verdicts to the coordinator's codes. No HTTP, no SQL.
 */
import { warrantCommitment, warrantCoverSheet, warrantProblems } from '@custodes/shared/records';
import type { SignedWarrant, WarrantEntry } from '@custodes/shared/records';
import { judgeRequest, quorumOf, retiredAmong, reviewers, tallyDecisions } from '@custodes/shared/rules';
import type { Decision, RequestFacts } from '@custodes/shared/rules';
import { fail } from '../errors';
import type { Registry } from './registryChecks';

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

/**
 * 409 EPOCH_RETIRED if an epoch of the request's envelopes is retired at
 * `now` (@custodes/shared/rules retiredAmong; docs/PROTOCOL.md §3.10): its
 * custodians have destroyed their shares, so a request could only fail, and
 * logging it would show a release attempt after the providers' retention period.
 */
export function requireNotRetired(epochs: Iterable<number>, registry: Registry, now: number): void {
  const retired = retiredAmong(registry.entry, epochs, now);
  if (retired) fail('EPOCH_RETIRED', retired.message);
}

/** The distinct approving reviewers, ascending (@custodes/shared/rules tallyDecisions). */
export function approversOf(decisions: readonly Decision[], registry: Registry): readonly number[] {
  return tallyDecisions(decisions, reviewers(registry.entry)!.custodians).approvers;
}

/** Who is asked for a request's partials, and how many must serve. */
export interface ReleasePlan {
  /** Approvers that are custodians of every epoch of the request, ascending: the order they are asked in. */
  readonly candidates: readonly number[];
  /** max over the request's epochs e of t_e: enough answers for every envelope to reach its epoch's threshold. */
  readonly needed: number;
}

/**
 * The custodians to ask for partials of a request whose envelopes are of
 * `epochs`, and how many must serve (docs/PROTOCOL.md §8.1 "Epochs and
 * quorum", §8.2 (h)). One call carries all of a request's envelopes (§7.12,
 * rule (e)), and a custodian releases only for epochs it holds a share of
 * (rule (h), `judgeRelease`), so each one asked must be a custodian of every
 * epoch e of the request (`quorumOf`); each answer then gives a partial for
 * every envelope, and max_e t_e answers give each envelope of epoch e its t_e.
 * An epoch the registry does not list leaves no candidate. Requires epochs ≠ ∅.
 */
export function releasePlan(approvers: readonly number[], registry: Registry, epochs: readonly number[]): ReleasePlan {
  if (epochs.length === 0) throw new RangeError('epochs must name at least one epoch');
  const quorums = epochs.map((e) => quorumOf(registry.entry, e));
  const candidates = approvers.filter((i) => quorums.every((q) => q?.custodians.has(i) === true));
  const needed = Math.max(...quorums.map((q) => q?.threshold ?? 1));
  return { candidates, needed };
}
