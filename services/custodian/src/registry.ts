/**
 * Lookups in a `registry` entry (docs/PROTOCOL.md §4.2) and this node's answer to
 * one. Whether an entry is accepted is the shared rule
 * (@custodes/shared/rules judgeGenesis, judgeRegistryUpdate), the one the
 * coordinator and the auditors apply; this node adds only what concerns
 * itself (the genesis must name it with the key of its share).
 */
import { registryAgency, registryCourt, registryEpoch } from '@custodes/shared/records';
import type { RegistryEntry } from '@custodes/shared/records';
import { judgeGenesis, judgeRegistryUpdate } from '@custodes/shared/rules';

export { registryEpoch };

/** The signing keys registered for custodian `index` (one per epoch listing it). */
export function custodianKeys(reg: RegistryEntry, index: number): string[] {
  const keys = new Set<string>();
  for (const e of reg.epochs) for (const c of e.custodians) if (c.index === index) keys.add(c.signingKey);
  return [...keys];
}

/**
 * The custodian's registry record in the newest epoch (highest number, as in
 * newestEpoch) listing it: the name it cosigns under (docs/PROTOCOL.md §4.3), which
 * auditors look up in the newest epoch.
 */
export function custodianRecord(reg: RegistryEntry, index: number): { name: string; signingKey: string; witnessKey: string } | undefined {
  const epochs = [...reg.epochs].sort((a, b) => b.epoch - a.epoch);
  for (const e of epochs) {
    const c = e.custodians.find((x) => x.index === index);
    if (c) return { name: c.name, signingKey: c.signingKey, witnessKey: c.witnessKey };
  }
  return undefined;
}

export function courtKey(reg: RegistryEntry, court: string): string | undefined {
  return registryCourt(reg, court)?.key;
}

export function agencyInvestigators(reg: RegistryEntry, agency: string): string[] | undefined {
  return registryAgency(reg, agency)?.investigators;
}

export interface OwnIdentity {
  custodian: number;
  epoch: number;
  signingKey: string;
  /** Ed25519, public half: what the registry must list as this node's `witnessKey` (docs/PROTOCOL.md §4.3). */
  witnessKey: string;
  groupKey: string;
  commitments: string[];
  name: string | null;
}

/** A DKG node (no dealer share) whose epoch `reg` does not list yet: a custodian joining by a reshare (§3.9). */
export function isJoining(reg: RegistryEntry, me: OwnIdentity): boolean {
  return me.groupKey === '' && registryEpoch(reg, me.epoch) === undefined;
}

/** Why `reg` is not an acceptable genesis for this node, or null if it is. */
export function genesisProblem(reg: RegistryEntry, me: OwnIdentity): string | null {
  const verdict = judgeGenesis(reg);
  if (!verdict.ok) return `genesis registry: ${verdict.message}`;
  const mine = registryEpoch(reg, me.epoch);
  // A node joining by a reshare (docs/PROTOCOL.md §3.9, Joining) holds no key and is listed by a later
  // update: the witness replicates only up to a checkpoint whose registry lists it (witness.ts).
  if (!mine && isJoining(reg, me)) return null;
  if (!mine) return `genesis registry does not list this node's epoch ${me.epoch}`;
  // A proposed epoch has no key yet (docs/PROTOCOL.md §3.8): the node's share comes from the DKG, not from a file.
  if (mine.groupKey !== undefined && (mine.groupKey !== me.groupKey || mine.commitments?.join() !== me.commitments.join())) {
    return `genesis registry's epoch ${me.epoch} group key does not match this node's share commitments`;
  }
  const self = mine.custodians.find((c) => c.index === me.custodian);
  if (!self || self.signingKey !== me.signingKey) return `genesis registry does not list this node's signing key at index ${me.custodian}`;
  if (self.witnessKey !== me.witnessKey) return `genesis registry does not list this node's witness key at index ${me.custodian}`;
  if (me.name !== null && self.name !== me.name) return `genesis registry names index ${me.custodian} "${self.name}", not "${me.name}"`;
  return null;
}

/** Why a later registry `next` is not acceptable after `current` (the shared rule), or null. */
export function updateProblem(next: RegistryEntry, current: RegistryEntry): string | null {
  const verdict = judgeRegistryUpdate(next, current);
  return verdict.ok ? null : `registry update: ${verdict.message}`;
}
