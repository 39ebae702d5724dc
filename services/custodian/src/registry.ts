/**
 * Lookups in a `registry` entry (DESIGN.md §4.2) and the two acceptance rules:
 * the genesis registry must carry every listed custodian's signature and name
 * this node; a later registry needs t signatures from the current one. The
 * entry's structure is judged by the shared registryProblems, as the
 * coordinator and the auditors judge it.
 */
import { allCustodians, newestEpoch, registryAgency, registryCourt, registryCustodians, registryEpoch, registryProblems, validRegistrySigners, verifyRecordSignature } from '@custodes/shared/records';
import type { RegistryEntry } from '@custodes/shared/records';

export { registryEpoch };

/** The signing keys registered for custodian `index` (one per epoch listing it). */
export function custodianKeys(reg: RegistryEntry, index: number): string[] {
  const keys = new Set<string>();
  for (const e of reg.epochs) for (const c of e.custodians) if (c.index === index) keys.add(c.signingKey);
  return [...keys];
}

/**
 * The custodian's registry record in the newest epoch (highest number, as in
 * newestEpoch) listing it: the name it cosigns under (DESIGN.md §4.3), which
 * auditors look up in the newest epoch.
 */
export function custodianRecord(reg: RegistryEntry, index: number): { name: string; signingKey: string } | undefined {
  const epochs = [...reg.epochs].sort((a, b) => b.epoch - a.epoch);
  for (const e of epochs) {
    const c = e.custodians.find((x) => x.index === index);
    if (c) return { name: c.name, signingKey: c.signingKey };
  }
  return undefined;
}

/** True iff `signature` on `record` verifies under a registered key of custodian `index`. */
export function signedByCustodian(reg: RegistryEntry, record: object, kind: string, index: number, signature: string): boolean {
  const keys = custodianKeys(reg, index);
  return keys.length > 0 && keys.some((k) => verifyRecordSignature(record, kind, signature, k));
}

export function courtKey(reg: RegistryEntry, court: string): string | undefined {
  return registryCourt(reg, court)?.key;
}

export function agencyInvestigators(reg: RegistryEntry, agency: string): string[] | undefined {
  return registryAgency(reg, agency)?.investigators;
}

/** The quorum t: the largest threshold of any registered epoch (all epochs in v1 share one custodian set). */
export function quorum(reg: RegistryEntry): number {
  return Math.max(...reg.epochs.map((e) => e.threshold));
}

export interface OwnIdentity {
  custodian: number;
  epoch: number;
  signingKey: string;
  groupKey: string;
  commitments: string[];
  name: string | null;
}

/** Why `reg` is not an acceptable genesis for this node, or null if it is. */
export function genesisProblem(reg: RegistryEntry, me: OwnIdentity): string | null {
  if (reg.sequence !== 0) return 'entry 0 must be the genesis registry (sequence 0)';
  const [shape] = registryProblems(reg);
  if (shape !== undefined) return `genesis registry: ${shape}`;
  // registryProblems allows one signing key per index, so each custodian is judged by that key.
  const custodians = allCustodians(reg);
  const signed = new Set(validRegistrySigners(reg, custodians));
  const missing = [...custodians.keys()].sort((a, b) => a - b).filter((i) => !signed.has(i));
  if (missing.length) return `genesis registry lacks valid signatures from custodian ${missing.join(', ')}`;
  const mine = registryEpoch(reg, me.epoch);
  if (!mine) return `genesis registry does not list this node's epoch ${me.epoch}`;
  if (mine.groupKey !== me.groupKey || mine.commitments.join() !== me.commitments.join()) {
    return `genesis registry's epoch ${me.epoch} group key does not match this node's share commitments`;
  }
  const self = mine.custodians.find((c) => c.index === me.custodian);
  if (!self || self.signingKey !== me.signingKey) return `genesis registry does not list this node's signing key at index ${me.custodian}`;
  if (me.name !== null && self.name !== me.name) return `genesis registry names index ${me.custodian} "${self.name}", not "${me.name}"`;
  return null;
}

/**
 * Why a later registry `next` is not acceptable after `current`, or null: the
 * same rules as the coordinator's checkUpdate and the auditors' (DESIGN.md
 * §4.2), so every party accepts exactly the same registry history. The next
 * sequence number, the same origin and log key (a new log key would let
 * whoever holds it sign checkpoints this node trusts), a well-formed entry,
 * and valid signatures from t custodians of the current newest epoch.
 */
export function updateProblem(next: RegistryEntry, current: RegistryEntry): string | null {
  if (next.sequence !== current.sequence + 1) return `registry sequence must be ${current.sequence + 1}`;
  if (next.origin !== current.origin) return 'a registry update cannot change the origin';
  if (next.logKey !== current.logKey) return 'a registry update cannot change the log key';
  const [shape] = registryProblems(next);
  if (shape !== undefined) return `registry update: ${shape}`;
  const t = newestEpoch(current)?.threshold;
  if (t === undefined) return 'the current registry lists no epoch';
  const signed = validRegistrySigners(next, registryCustodians(current)).length;
  if (signed < t) return `registry update has ${signed} valid signatures from the current custodians, needs ${t}`;
  return null;
}
