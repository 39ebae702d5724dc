/**
 * Rules for signed records that others bring to the log (docs/PROTOCOL.md §4.2):
 * approvals, releases and retirements by custodians, revocations by the court or the
 * investigator, and unsealings. Each check returns the entry's unique key
 * (so it is never logged twice). No HTTP, no SQL.
 */
import { isoTime, verifyWarrantSignature, warrantCommitment } from '@custodes/shared/records';
import type { ApprovalEntry, ReleaseEntry, RetiredEntry, RevocationEntry, SignedWarrant, UnsealEntry } from '@custodes/shared/records';
import { judgeApproval, judgeRelease, judgeRetired, judgeRevocation } from '@custodes/shared/rules';
import type { RetiredCode } from '@custodes/shared/rules';
import type { CoordinatorCode } from '../errors';
import { fail } from '../errors';
import type { Registry } from './registryChecks';

/** What the coordinator knows of a logged warrant. */
export interface LoggedWarrant {
  id: string;
  commitment: string;
  court: string;
  investigator: string;
  agency: string;
  sealedUntil: number;
}

export const entryKey = {
  warrant: (warrantId: string) => `warrant:${warrantId}`,
  approval: (warrantId: string, custodian: number) => `approval:${warrantId}:${custodian}`,
  revocation: (warrantId: string) => `revocation:${warrantId}`,
  unseal: (warrantId: string) => `unseal:${warrantId}`,
  request: (requestId: string) => `request:${requestId}`,
  release: (requestId: string, custodian: number) => `release:${requestId}:${custodian}`,
  misbehavior: (requestId: string, custodian: number) => `misbehavior:${requestId}:${custodian}`,
  complete: (requestId: string) => `complete:${requestId}`,
  registry: (sequence: number) => `registry:${sequence}`,
  retired: (epoch: number, custodian: number) => `retired:${epoch}:${custodian}`,
} as const;

/**
 * approval: by a reviewer with a valid signature (@custodes/shared/rules
 * judgeApproval), on a logged warrant, over its commitment.
 */
export function checkApproval(entry: ApprovalEntry, registry: Registry, warrant: LoggedWarrant | undefined): void {
  const verdict = judgeApproval(entry, registry.entry, warrant?.commitment);
  if (!verdict.ok && verdict.code !== 'COMMITMENT_MISMATCH') fail(verdict.code, verdict.message);
  if (!warrant) fail('WARRANT_NOT_LOGGED', `warrant ${entry.warrantId} is not in the log`);
  if (!verdict.ok) fail('BAD_COMMITMENT', "the approval's commitment is not the logged warrant's");
}

/**
 * release: for a logged request, by a custodian of every epoch it covers,
 * signed (@custodes/shared/rules judgeRelease; docs/PROTOCOL.md §8.1).
 * `epochs` is the logged request's, undefined if it is not logged.
 */
export function checkRelease(entry: ReleaseEntry, registry: Registry, epochs: readonly number[] | undefined): void {
  if (!epochs) fail('REQUEST_NOT_LOGGED', `request ${entry.requestId} is not in the log`);
  const verdict = judgeRelease(entry, registry.entry, epochs);
  // A registered custodian releasing for an epoch it holds no share of is not allowed to, hence 403 (§7.4).
  if (!verdict.ok) fail(verdict.code === 'NOT_EPOCH_CUSTODIAN' ? 'FORBIDDEN' : verdict.code, verdict.message);
}

/** docs/PROTOCOL.md §7.4: how a refused `retired` statement is answered. */
const RETIRED_CODE: Record<RetiredCode, CoordinatorCode> = {
  UNKNOWN_EPOCH: 'UNKNOWN_EPOCH',
  NOT_RETIRABLE: 'FORBIDDEN',
  UNKNOWN_CUSTODIAN: 'UNKNOWN_CUSTODIAN',
  TOO_EARLY: 'FORBIDDEN',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
};

/**
 * retired: by a custodian of an epoch with a retireAfter, dated on or after
 * it, signed (@custodes/shared/rules judgeRetired; docs/PROTOCOL.md §3.10),
 * and not dated more than 300 s in the coordinator's future (as a request, §4.2).
 */
export function checkRetired(entry: RetiredEntry, registry: Registry, now: number): void {
  if (entry.time > now + 300) fail('BAD_REQUEST', 'the retirement statement is dated in the future');
  const verdict = judgeRetired(entry, registry.entry);
  if (!verdict.ok) fail(RETIRED_CODE[verdict.code], verdict.message);
}

/**
 * revocation: the shared rule knowing the warrant (@custodes/shared/rules
 * judgeRevocation with its investigator; docs/PROTOCOL.md §8.1, §8.5): by its
 * court, or by its own investigator, never a colleague of the agency.
 */
export function checkRevocation(entry: RevocationEntry, registry: Registry, warrant: LoggedWarrant | undefined): void {
  if (!warrant) fail('WARRANT_NOT_LOGGED', `warrant ${entry.warrantId} is not in the log`);
  const verdict = judgeRevocation(entry, registry.entry, { warrantId: warrant.id, court: warrant.court, agency: warrant.agency }, warrant.investigator);
  if (!verdict.ok) fail(verdict.code === 'BAD_SIGNATURE' ? 'BAD_SIGNATURE' : 'FORBIDDEN', verdict.message);
}

/**
 * unseal: only after sealedUntil, the opening must reproduce the logged
 * commitment, and both signatures must verify (docs/PROTOCOL.md §1 goal 6).
 */
export function buildUnseal(
  input: { warrantId: string; salt: string; warrant: SignedWarrant },
  logged: LoggedWarrant | undefined,
  registry: Registry,
  now: number,
): UnsealEntry {
  if (!logged) fail('WARRANT_NOT_LOGGED', `warrant ${input.warrantId} is not in the log`);
  if (now < logged.sealedUntil) fail('NOT_YET', `the warrant is sealed until ${isoTime(logged.sealedUntil)}`);
  if (input.warrant.id !== input.warrantId || warrantCommitment(input.warrant, input.salt) !== logged.commitment) {
    fail('BAD_OPENING', 'the warrant and salt do not open the logged commitment');
  }
  const court = registry.court(input.warrant.court);
  if (!court || !verifyWarrantSignature(input.warrant, input.warrant.courtSignature, court.key)) {
    fail('BAD_COURT_SIGNATURE', "the court's signature does not verify");
  }
  if (!verifyWarrantSignature(input.warrant, input.warrant.investigatorSignature, input.warrant.investigator)) {
    fail('BAD_INVESTIGATOR_SIGNATURE', "the investigator's signature does not verify");
  }
  return { type: 'unseal', warrantId: input.warrantId, salt: input.salt, warrant: input.warrant, time: now };
}
