/**
 * The coordinator's rules for accepting a registry entry (DESIGN.md §4.2
 * `registry`): the genesis, and later t-of-n updates. The reading of an entry
 * (t, n, custodians, keys, courts, investigators) is the shared RegistryView,
 * the same one the auditors and custodians use. No HTTP, no SQL.
 */
import { allCustodians, registryProblems, registrySignatures, RegistryView } from '@custodes/shared/records';
import type { RegistryEntry } from '@custodes/shared/records';
import { fail } from '../errors';

/** The coordinator's name for the registry in force (imported across workflow/ and domain/). */
export { RegistryView as Registry, type RegistryCustodian } from '@custodes/shared/records';

/** Structural checks every registry entry must pass (DESIGN.md §3.1, §4.2); the first problem is fatal. */
function checkShape(entry: RegistryEntry): void {
  const [problem] = registryProblems(entry);
  if (problem !== undefined) fail('BAD_REGISTRY', problem);
}

/**
 * Distinct custodians whose signatures verify against `signers`. Unlike an
 * auditor, which reports and goes on, the coordinator refuses to log an entry
 * that carries a signature by an unknown custodian, a repeat or a bad one.
 */
function countSignatures(entry: RegistryEntry, signers: ReadonlyMap<number, { signingKey: string }>): Set<number> {
  const valid = new Set<number>();
  for (const s of registrySignatures(entry, signers)) {
    if (s.verdict === 'unknown') fail('UNKNOWN_CUSTODIAN', `registry signature by unknown custodian ${s.custodian}`);
    if (s.repeated) fail('BAD_REGISTRY', `custodian ${s.custodian} signed twice`);
    if (s.verdict === 'invalid') fail('BAD_SIGNATURE', `registry signature by custodian ${s.custodian} does not verify`);
    valid.add(s.custodian);
  }
  return valid;
}

/** The genesis entry: sequence 0, our log key, signed by every custodian it names. */
export function checkGenesis(entry: RegistryEntry, logKey: string): void {
  if (entry.sequence !== 0) fail('BAD_REGISTRY', 'the genesis registry must have sequence 0');
  if (entry.logKey !== logKey) fail('BAD_REGISTRY', 'registry logKey is not the public key of this log');
  checkShape(entry);
  const custodians = allCustodians(entry);
  const signed = countSignatures(entry, custodians);
  for (const index of custodians.keys()) {
    if (!signed.has(index)) fail('BAD_SIGNATURE', `the genesis registry lacks custodian ${index}'s signature`);
  }
}

/**
 * A later update: sequence = previous + 1, same origin and log key, and at
 * least t valid signatures by custodians of the previous registry's newest epoch.
 */
export function checkUpdate(entry: RegistryEntry, previous: RegistryView): void {
  if (entry.sequence !== previous.entry.sequence + 1) {
    fail('REGISTRY_SEQUENCE', `sequence must be ${previous.entry.sequence + 1}, got ${entry.sequence}`);
  }
  if (entry.origin !== previous.entry.origin) fail('BAD_REGISTRY', 'origin cannot change');
  if (entry.logKey !== previous.entry.logKey) fail('BAD_REGISTRY', 'logKey cannot change');
  checkShape(entry);
  const signers = new Map(previous.custodians.map((c) => [c.index, c] as const));
  const signed = countSignatures(entry, signers);
  if (signed.size < previous.threshold) {
    fail('BAD_SIGNATURE', `a registry update needs ${previous.threshold} custodian signatures, has ${signed.size}`);
  }
}
