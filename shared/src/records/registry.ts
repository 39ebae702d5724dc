/**
 * The registry entry (DESIGN.md §4.2): who the custodians, courts, agencies and
 * investigators are. Genesis is signed by every custodian; later updates by t.
 */
import type { RegistryEntry } from './schemas';
import { signRecord, verifyRecordSignature } from './signing';

export type RegistryBody = Omit<RegistryEntry, 'signatures'>;

/** The registry's newest epoch (highest number), as the services read it. */
export function newestEpoch(entry: RegistryBody): RegistryBody['epochs'][number] | undefined {
  return entry.epochs.reduce<RegistryBody['epochs'][number] | undefined>((a, b) => (a === undefined || b.epoch > a.epoch ? b : a), undefined);
}

/** Custodians (index → signing key) of the registry's newest epoch. */
export function registryCustodians(entry: RegistryBody): Map<number, { name: string; signingKey: string; url: string }> {
  const latest = newestEpoch(entry);
  const out = new Map<number, { name: string; signingKey: string; url: string }>();
  for (const c of latest?.custodians ?? []) out.set(c.index, { name: c.name, signingKey: c.signingKey, url: c.url });
  return out;
}

/** Adds (or replaces) custodian `index`'s signature over `entry`. */
export function signRegistry(entry: RegistryEntry, index: number, secretKey: string | Uint8Array): RegistryEntry {
  const signature = signRecord(entry, 'registry', secretKey);
  const others = entry.signatures.filter((s) => s.custodian !== index);
  return { ...entry, signatures: [...others, { custodian: index, signature }].sort((a, b) => a.custodian - b.custodian) };
}

/**
 * Indices of custodians whose signatures over `entry` verify against `signers`
 * (the custodians of the registry in force: the entry itself at genesis, the
 * previous registry for updates). Duplicates count once.
 */
export function validRegistrySigners(entry: RegistryEntry, signers: ReadonlyMap<number, { signingKey: string }>): number[] {
  const ok = new Set<number>();
  for (const s of entry.signatures) {
    const key = signers.get(s.custodian)?.signingKey;
    if (key && verifyRecordSignature(entry, 'registry', s.signature, key)) ok.add(s.custodian);
  }
  return [...ok].sort((a, b) => a - b);
}

/** Genesis: every custodian it lists has signed it. */
export function isValidGenesis(entry: RegistryEntry): boolean {
  if (entry.sequence !== 0) return false;
  const custodians = registryCustodians(entry);
  return custodians.size > 0 && validRegistrySigners(entry, custodians).length === custodians.size;
}

/** An update: the next sequence, signed by at least t custodians of the registry in force. */
export function isValidRegistryUpdate(entry: RegistryEntry, current: RegistryEntry): boolean {
  if (entry.sequence !== current.sequence + 1) return false;
  const threshold = newestEpoch(current)?.threshold ?? Infinity;
  return validRegistrySigners(entry, registryCustodians(current)).length >= threshold;
}
