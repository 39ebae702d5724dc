/**
 * The checks a signed warrant must pass against the registry in force, in the
 * order of docs/PROTOCOL.md §7.5 (after the caller's own check, which is the
 * coordinator's): the coordinator refuses on the first problem
 * (`checkIntake`), and `custodes court sign` runs the same function before a
 * warrant leaves the court, listing every problem.
 */
import { warrantDateProblems } from './dates';
import type { RegistryView } from './registry';
import type { SignedWarrant, Warrant } from './schemas';
import { verifyWarrantSignature } from './warrant';

export type WarrantProblemCode = 'UNKNOWN_INVESTIGATOR' | 'UNKNOWN_COURT' | 'BAD_COURT_SIGNATURE' | 'BAD_INVESTIGATOR_SIGNATURE' | 'BAD_DATES';

export interface WarrantProblem {
  readonly code: WarrantProblemCode;
  readonly message: string;
}

/**
 * Every problem of `warrant` under `registry` at `now` (Unix seconds). A
 * signature field that is absent is not checked (the court checks a warrant
 * the investigator has not signed yet); one that is present must verify.
 */
export function warrantProblems(warrant: Warrant | Partial<SignedWarrant> & Warrant, registry: RegistryView, now: number): WarrantProblem[] {
  const problems: WarrantProblem[] = [];
  const add = (code: WarrantProblemCode, message: string) => problems.push({ code, message });
  if (!registry.isInvestigator(warrant.agency, warrant.investigator)) add('UNKNOWN_INVESTIGATOR', 'the investigator is not registered with that agency');
  const court = registry.court(warrant.court);
  if (!court) add('UNKNOWN_COURT', `court ${warrant.court} is not registered`);
  const signed = warrant as Partial<SignedWarrant>;
  if (court && signed.courtSignature !== undefined && !verifyWarrantSignature(warrant, signed.courtSignature, court.key)) {
    add('BAD_COURT_SIGNATURE', "the court's signature does not verify");
  }
  if (signed.investigatorSignature !== undefined && !verifyWarrantSignature(warrant, signed.investigatorSignature, warrant.investigator)) {
    add('BAD_INVESTIGATOR_SIGNATURE', "the investigator's signature does not verify");
  }
  for (const message of warrantDateProblems(warrant, now)) add('BAD_DATES', message);
  return problems;
}
