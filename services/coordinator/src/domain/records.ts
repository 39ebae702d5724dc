/**
 * Rules for signed records that others bring to the log (DESIGN.md §4.2):
 * approvals and releases by custodians, revocations by the court or the
 * investigator, and unsealings. Each check returns the entry's unique key
 * (so it is never logged twice). No HTTP, no SQL.
 */
import { verifyRecordSignature, verifyWarrantSignature, warrantCommitment } from '@custodes/shared/records';
import type { ApprovalEntry, ReleaseEntry, RevocationEntry, SignedWarrant, UnsealEntry } from '@custodes/shared/records';
import { judgeApproval } from '@custodes/shared/rules';
import { fail } from '../errors';
import type { Registry } from './registry';

/** What the coordinator knows of a logged warrant. */
export interface LoggedWarrant {
  id: string;
  commitment: string;
  court: string;
  investigator: string;
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

/** release: a registered custodian, its signature, a logged request. */
export function checkRelease(entry: ReleaseEntry, registry: Registry, requestLogged: boolean): void {
  const custodian = registry.custodian(entry.custodian);
  if (!custodian) fail('UNKNOWN_CUSTODIAN', `custodian ${entry.custodian} is not registered`);
  if (!verifyRecordSignature(entry, 'release', entry.signature, custodian.signingKey)) {
    fail('BAD_SIGNATURE', `the release's signature by custodian ${entry.custodian} does not verify`);
  }
  if (!requestLogged) fail('REQUEST_NOT_LOGGED', `request ${entry.requestId} is not in the log`);
}

/** revocation: by the warrant's court or its investigator, under that party's key. */
export function checkRevocation(entry: RevocationEntry, registry: Registry, warrant: LoggedWarrant | undefined): void {
  if (!warrant) fail('WARRANT_NOT_LOGGED', `warrant ${entry.warrantId} is not in the log`);
  const expected = entry.by === 'court' ? registry.court(warrant.court)?.key : warrant.investigator;
  if (expected === undefined || entry.signer !== expected) {
    fail('FORBIDDEN', `only the warrant's ${entry.by} may sign this revocation`);
  }
  if (!verifyRecordSignature(entry, 'revocation', entry.signature, entry.signer)) {
    fail('BAD_SIGNATURE', "the revocation's signature does not verify");
  }
}

/**
 * unseal: only after sealedUntil, the opening must reproduce the logged
 * commitment, and both signatures must verify (DESIGN.md §1 goal 6).
 */
export function buildUnseal(
  input: { warrantId: string; salt: string; warrant: SignedWarrant },
  logged: LoggedWarrant | undefined,
  registry: Registry,
  now: number,
): UnsealEntry {
  if (!logged) fail('WARRANT_NOT_LOGGED', `warrant ${input.warrantId} is not in the log`);
  if (now < logged.sealedUntil) fail('NOT_YET', `the warrant is sealed until ${logged.sealedUntil}`);
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
