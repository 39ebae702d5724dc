/**
 * Warrant rules (DESIGN.md §4.1, §5 step 2): intake checks, the public cover
 * sheet, and a warrant's status from its logged approvals and revocations.
 * No HTTP, no SQL.
 */
import { warrantCommitment, warrantCoverSheet, warrantProblems } from '@custodes/shared/records';
import type { SignedWarrant, WarrantEntry } from '@custodes/shared/records';
import { fail } from '../errors';
import type { Registry } from './registry';

export type WarrantStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'revoked';

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

export interface WarrantTally {
  approvals: number;
  denials: number;
  revoked: boolean;
  expiresAt: number;
}

/**
 * revoked > expired > denied (denials > n − t: a quorum is impossible) >
 * approved (approvals ≥ t) > pending.
 */
export function warrantStatus(tally: WarrantTally, threshold: number, total: number, now: number): WarrantStatus {
  if (tally.revoked) return 'revoked';
  if (now >= tally.expiresAt) return 'expired';
  if (tally.denials > total - threshold) return 'denied';
  if (tally.approvals >= threshold) return 'approved';
  return 'pending';
}

/** Throws the code that explains why a warrant in `status` cannot be used for a request. */
export function requireApproved(status: WarrantStatus): void {
  switch (status) {
    case 'approved':
      return;
    case 'revoked':
      fail('WARRANT_REVOKED', 'the warrant has been revoked');
    case 'expired':
      fail('WARRANT_EXPIRED', 'the warrant has expired');
    case 'denied':
      fail('WARRANT_DENIED', 'the warrant was denied by the custodians');
    case 'pending':
      fail('WARRANT_NOT_APPROVED', 'the warrant does not yet have a quorum of approvals');
  }
}
