/**
 * The registry entry (docs/PROTOCOL.md §4.2): who the custodians, courts, agencies and
 * investigators are. Genesis is signed by every custodian; later updates by t.
 *
 * One reading of the entry for every service: the coordinator, the custodians
 * and the auditors must agree on who may sign, who may ask and which keys
 * verify a partial, or one of them accepts what another refuses. Pure: no
 * HTTP, no SQL; how a service answers a problem (an error code, a finding) is
 * the service's own. Which epoch is in force and whether an entry is accepted
 * are rules, in shared/src/rules/ (epochs.ts, registry.ts).
 */
import { hexToBytes } from '../crypto/bytes';
import { decodePoint } from '../crypto/group';
import type { GroupPoint } from '../crypto/group';
import { evaluationPoints } from '../crypto/points';
import { verificationShare } from '../crypto/shares';
import { newestEpoch } from '../rules/epochs';
import { RegistryEntrySchema } from './schemas';
import type { RegistryEntry } from './schemas';
import { signRecord, verifyRecordSignature } from './signing';
import { formatZodError } from './validate';

export type RegistryBody = Omit<RegistryEntry, 'signatures'>;
export type RegistryEpoch = RegistryEntry['epochs'][number];
export type RegistryCustodian = RegistryEpoch['custodians'][number];
export type RegistryCourt = RegistryEntry['courts'][number];
export type RegistryAgency = RegistryEntry['agencies'][number];
export type RegistryWitness = NonNullable<RegistryEntry['witnesses']>[number];

// ## Lookups

/**
 * Every custodian named in any epoch of `entry`, by index (the first listing
 * of each). The genesis must be signed by all of them (docs/PROTOCOL.md §4.2).
 */
export function allCustodians(entry: RegistryBody): Map<number, RegistryCustodian> {
  const out = new Map<number, RegistryCustodian>();
  for (const e of entry.epochs) for (const c of e.custodians) if (!out.has(c.index)) out.set(c.index, c);
  return out;
}

/** Epoch `epoch` of `entry`, or undefined if the registry does not list it. */
export function registryEpoch(entry: RegistryBody, epoch: number): RegistryEpoch | undefined {
  return entry.epochs.find((e) => e.epoch === epoch);
}

/** Court `id` (its name and warrant-signing key), or undefined. */
export function registryCourt(entry: RegistryBody, id: string): RegistryCourt | undefined {
  return entry.courts.find((c) => c.id === id);
}

/** Agency `id` with its investigator keys, or undefined. */
export function registryAgency(entry: RegistryBody, id: string): RegistryAgency | undefined {
  return entry.agencies.find((a) => a.id === id);
}

/**
 * The Feldman verification shares X_i = Σ_k p^k·C_k (docs/PROTOCOL.md §3.1) of every
 * custodian of `epoch`, at its evaluation point p (its rank among the epoch's
 * indices; p = i when the indices are 1..n), or null if a commitment is not a
 * point on secp256k1 or an index repeats (a malformed registry; registryProblems reports it).
 */
export function epochShares(epoch: RegistryEpoch): Map<number, GroupPoint> | null {
  if (epoch.commitments === undefined) return null;
  if (new Set(epoch.custodians.map((c) => c.index)).size !== epoch.custodians.length) return null;
  let commitments: GroupPoint[];
  try {
    commitments = epoch.commitments.map((h, i) => decodePoint(hexToBytes(h, 33), `commitments[${i}]`));
  } catch (err) {
    if (err instanceof RangeError) return null;
    throw err;
  }
  // Custodian i's share sits at its evaluation point, its rank in the epoch (§3.1, crypto/points.ts).
  const points = evaluationPoints(epoch.custodians.map((c) => c.index));
  const shares = new Map<number, GroupPoint>();
  for (const c of epoch.custodians) shares.set(c.index, verificationShare(commitments, points.get(c.index)!));
  return shares;
}

// ## Structure

/**
 * Structural problems of a registry entry (docs/PROTOCOL.md §3.1, §4.2): distinct
 * epochs, court ids and agency ids; per epoch n custodians and t commitments
 * with n/2 < t ≤ n (an honest majority must be needed), groupKey = C_0,
 * distinct custodian indices and names (cosignatures are named by `name`,
 * §4.3), commitments on the curve; one signing key per custodian index across
 * epochs (the index is the custodian's identity in approvals and releases).
 * Returns one sentence per problem, in a fixed order; [] for a sound entry.
 */
export function registryProblems(entry: RegistryBody): string[] {
  const problems: string[] = [];
  if (new Set(entry.epochs.map((e) => e.epoch)).size !== entry.epochs.length) problems.push('epochs are not distinct');
  if (new Set(entry.courts.map((c) => c.id)).size !== entry.courts.length) problems.push('court ids are not distinct');
  if (new Set(entry.agencies.map((a) => a.id)).size !== entry.agencies.length) problems.push('agency ids are not distinct');
  const keys = new Map<number, string>();
  for (const e of entry.epochs) {
    if (e.custodians.length !== e.total) problems.push(`epoch ${e.epoch} lists ${e.custodians.length} custodians but total is ${e.total}`);
    if (2 * e.threshold <= e.total || e.threshold > e.total) problems.push(`epoch ${e.epoch} breaks n/2 < t ≤ n (t=${e.threshold}, n=${e.total})`);
    if (new Set(e.custodians.map((c) => c.index)).size !== e.custodians.length) problems.push(`epoch ${e.epoch} repeats a custodian index`);
    if (new Set(e.custodians.map((c) => c.name)).size !== e.custodians.length) problems.push(`epoch ${e.epoch} repeats a custodian name`);
    for (const c of e.custodians) {
      const seen = keys.get(c.index);
      if (seen !== undefined && seen !== c.signingKey) problems.push(`custodian ${c.index} has two signing keys`);
      keys.set(c.index, c.signingKey);
    }
    problems.push(...reshareProblems(entry, e));
    if (e.commitments === undefined && e.groupKey === undefined) problems.push(...proposedEpochProblems(e));
    else if (e.commitments === undefined || e.groupKey === undefined) problems.push(`epoch ${e.epoch} has one of groupKey and commitments without the other`);
    else {
      if (e.commitments.length !== e.threshold) problems.push(`epoch ${e.epoch} has ${e.commitments.length} commitments for threshold ${e.threshold}`);
      if (e.groupKey !== e.commitments[0]) problems.push(`epoch ${e.epoch}: groupKey is not commitments[0]`);
      if (!e.commitments.every((h) => isPoint(h))) problems.push(`epoch ${e.epoch}: a commitment is not a point on secp256k1`);
    }
  }
  return [...problems, ...witnessKeyProblems(entry)];
}

/**
 * The Ed25519 note keys (docs/PROTOCOL.md §4.3): one witness key per custodian
 * index across epochs (its cosignatures must verify under one key whichever
 * epoch a verifier reads); external witnesses with distinct names that are
 * valid note key names and name neither a custodian nor the log; and every
 * cosigner's key distinct from every other's and from the log's note key
 * (C2SP tlog-cosignature: the signed message does not commit to the name, so
 * one key under two names would be one witness counted twice).
 */
function witnessKeyProblems(entry: RegistryBody): string[] {
  const problems: string[] = [];
  const byIndex = new Map<number, string>();
  const custodianNames = new Set<string>();
  for (const e of entry.epochs) {
    for (const c of e.custodians) {
      custodianNames.add(c.name);
      const seen = byIndex.get(c.index);
      if (seen !== undefined && seen !== c.witnessKey) problems.push(`custodian ${c.index} has two witness keys`);
      byIndex.set(c.index, c.witnessKey);
    }
  }
  const external = entry.witnesses ?? [];
  if (new Set(external.map((w) => w.name)).size !== external.length) problems.push('external witness names are not distinct');
  for (const w of external) {
    if (w.name.length === 0 || /[\s+]/u.test(w.name)) problems.push(`external witness "${w.name}" is not a valid note key name`);
    if (custodianNames.has(w.name) || w.name === entry.origin) problems.push(`external witness "${w.name}" has the name of a custodian or of the log`);
  }
  const keys = [entry.logNoteKey, ...byIndex.values(), ...external.map((w) => w.key)];
  if (new Set(keys).size !== keys.length) problems.push('the log note key and the witness keys are not distinct');
  return problems;
}

/**
 * A proposed epoch (docs/PROTOCOL.md §3.8, §3.9) gets its key by ChillDKG or
 * a reshare, both of which evaluate custodian i at its rank among the
 * epoch's indices (§3.1), so the indices may have gaps; every custodian
 * needs a host key, all distinct and on the curve (ChillDKG's session
 * parameters, a reshare's new committee: the host keys in index order).
 */
function proposedEpochProblems(e: RegistryEpoch): string[] {
  const problems: string[] = [];
  const hostKeys = e.custodians.map((c) => c.hostKey);
  if (hostKeys.some((k) => k === undefined)) problems.push(`proposed epoch ${e.epoch}: every custodian needs a hostKey`);
  else {
    if (new Set(hostKeys).size !== hostKeys.length) problems.push(`proposed epoch ${e.epoch}: host keys are not distinct`);
    if (hostKeys.some((k) => !isPoint(k!))) problems.push(`proposed epoch ${e.epoch}: a host key is not a point on secp256k1`);
  }
  return problems;
}

/**
 * `reshareOf` (§3.9) names another epoch of this registry with a lower number
 * (so the old epoch stays listed while the new one is), whose `retireAfter`
 * it carries (§3.10).
 */
function reshareProblems(entry: RegistryBody, e: RegistryEpoch): string[] {
  if (e.reshareOf === undefined) return [];
  if (e.reshareOf >= e.epoch) return [`proposed epoch ${e.epoch}: reshareOf must name a lower epoch, got ${e.reshareOf}`];
  const source = entry.epochs.find((o) => o.epoch === e.reshareOf);
  if (!source) return [`proposed epoch ${e.epoch}: reshareOf names epoch ${e.reshareOf}, which the registry does not list`];
  // Retirement is per key (§3.10): the successor holds the source's key, so it retires when the source does.
  if (source.retireAfter !== e.retireAfter) {
    return [`epoch ${e.epoch} reshares epoch ${e.reshareOf} and must carry its retireAfter (${source.retireAfter ?? 'none'}), not ${e.retireAfter ?? 'none'}`];
  }
  return [];
}

function isPoint(hex: string): boolean {
  try {
    decodePoint(hexToBytes(hex, 33), 'point');
    return true;
  } catch (err) {
    if (err instanceof RangeError) return false;
    throw err;
  }
}

/** Whether `epoch` is proposed: listed without keys, so usable only once a logged `epoch` entry activates it (§3.8). */
export function isProposed(epoch: RegistryEpoch): boolean {
  return epoch.groupKey === undefined;
}

// ## Signatures

/** What one entry of `signatures` is worth against the signers in force. */
export interface RegistrySignatureVerdict {
  custodian: number;
  /** `unknown`: not among the signers; `invalid`: the BIP340 signature does not verify. */
  verdict: 'valid' | 'invalid' | 'unknown';
  /** An earlier entry of `signatures` names the same custodian. */
  repeated: boolean;
}

/**
 * Judges each signature over `entry` against `signers` (the custodians of the
 * registry in force: every custodian the entry names at genesis, the newest
 * epoch of the previous registry for updates; docs/PROTOCOL.md §4.2), in order.
 * rules/registry.ts refuses an entry with any repeat, unknown or bad one.
 */
export function registrySignatures(entry: RegistryEntry, signers: ReadonlyMap<number, { signingKey: string }>): RegistrySignatureVerdict[] {
  const seen = new Set<number>();
  return entry.signatures.map((s) => {
    const repeated = seen.has(s.custodian);
    seen.add(s.custodian);
    const key = signers.get(s.custodian)?.signingKey;
    if (key === undefined) return { custodian: s.custodian, verdict: 'unknown', repeated };
    const ok = verifyRecordSignature(entry, 'registry', s.signature, key);
    return { custodian: s.custodian, verdict: ok ? 'valid' : 'invalid', repeated };
  });
}

/** Adds (or replaces) custodian `index`'s signature over `entry`. */
export function signRegistry(entry: RegistryEntry, index: number, secretKey: string | Uint8Array): RegistryEntry {
  const signature = signRecord(entry, 'registry', secretKey);
  const others = entry.signatures.filter((s) => s.custodian !== index);
  return { ...entry, signatures: [...others, { custodian: index, signature }].sort((a, b) => a.custodian - b.custodian) };
}

// ## The view

/**
 * A logged registry entry with the lookups every service makes: the newest
 * epoch's t, n and custodians, each epoch's keys, courts, agencies and
 * investigators (docs/PROTOCOL.md §4.2). It does not judge the entry: a caller checks
 * registryProblems and the signatures before it trusts the view.
 *
 * Throws TypeError if `entry` does not parse as a §4.2 registry entry and
 * RangeError unless 0 ≤ index < 2^53 (a caller's bug: entries are parsed at
 * the edge before they reach here).
 */
export class RegistryView {
  readonly entry: RegistryEntry;
  /** The log index the entry was found at. */
  readonly index: number;
  /** The newest epoch (highest number): its custodians review, witness and sign updates. */
  readonly current: RegistryEpoch;
  readonly #shares = new Map<number, Map<number, GroupPoint> | null>();

  constructor(entry: RegistryEntry, index: number) {
    const parsed = RegistryEntrySchema.safeParse(entry);
    if (!parsed.success) throw new TypeError(`entry is not a registry entry (docs/PROTOCOL.md §4.2): ${formatZodError(parsed.error)}`);
    if (typeof index !== 'number') throw new TypeError('index must be a number');
    if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`index must be a log index, an integer ≥ 0; got ${index}`);
    this.entry = entry;
    this.index = index;
    // The schema requires at least one epoch.
    this.current = newestEpoch(entry)!;
  }

  /** t of the newest epoch. */
  get threshold(): number {
    return this.current.threshold;
  }

  /** n of the newest epoch. */
  get total(): number {
    return this.current.total;
  }

  /** The custodians of the newest epoch. */
  get custodians(): readonly RegistryCustodian[] {
    return this.current.custodians;
  }

  /** The external witnesses (docs/PROTOCOL.md §4.3): cosigners that are not custodians. */
  get witnesses(): readonly RegistryWitness[] {
    return this.entry.witnesses ?? [];
  }

  /** Custodian `index` of the newest epoch, or undefined if it is not one. */
  custodian(index: number): RegistryCustodian | undefined {
    return this.current.custodians.find((c) => c.index === index);
  }

  court(id: string): RegistryCourt | undefined {
    return registryCourt(this.entry, id);
  }

  agency(id: string): RegistryAgency | undefined {
    return registryAgency(this.entry, id);
  }

  /** Whether `key` is an investigator of `agency` in this registry: an update that drops a key revokes it. */
  isInvestigator(agency: string, key: string): boolean {
    return this.agency(agency)?.investigators.includes(key) ?? false;
  }

  epoch(epoch: number): RegistryEpoch | undefined {
    return registryEpoch(this.entry, epoch);
  }

  /**
   * X_i = Σ_k i^k·C_k (docs/PROTOCOL.md §3.1) for every custodian of `epoch`, or
   * undefined if the epoch is unknown or a commitment is not a point. Cached:
   * each X_i costs t scalar multiplications.
   */
  verificationShares(epoch: number): ReadonlyMap<number, GroupPoint> | undefined {
    const e = this.epoch(epoch);
    // Only listed epochs are cached: `epoch` may come from an envelope, and a
    // cache keyed by whatever a client sends would grow without bound.
    if (!e) return undefined;
    let shares = this.#shares.get(epoch);
    if (shares === undefined) {
      shares = epochShares(e);
      this.#shares.set(epoch, shares);
    }
    return shares ?? undefined;
  }

  /** X_i for custodian `index` of `epoch`, or undefined (see verificationShares). */
  verificationShare(epoch: number, index: number): GroupPoint | undefined {
    return this.verificationShares(epoch)?.get(index);
  }
}
