/**
 * The registry as the coordinator reads it (DESIGN.md §4.2 `registry`): who the
 * custodians, courts and investigators are, each epoch's threshold and keys,
 * and the rules for the genesis entry and for later updates. No HTTP, no SQL.
 */
import { decodePoint, hexToBytes, verificationShare } from '@custodes/shared/crypto';
import type { GroupPoint } from '@custodes/shared/crypto';
import { verifyRecordSignature } from '@custodes/shared/records';
import type { RegistryEntry } from '@custodes/shared/records';
import { fail } from '../errors';

type RegistryEpoch = RegistryEntry['epochs'][number];
export type RegistryCustodian = RegistryEpoch['custodians'][number];

/** A logged registry entry with derived lookups. */
export class Registry {
  readonly entry: RegistryEntry;
  readonly index: number;
  /** The newest epoch: its custodians are the witnesses and reviewers. */
  readonly current: RegistryEpoch;
  readonly #shares = new Map<number, Map<number, GroupPoint>>();

  constructor(entry: RegistryEntry, index: number) {
    this.entry = entry;
    this.index = index;
    this.current = entry.epochs.reduce((a, b) => (b.epoch > a.epoch ? b : a));
  }

  get threshold(): number {
    return this.current.threshold;
  }

  get total(): number {
    return this.current.total;
  }

  get custodians(): readonly RegistryCustodian[] {
    return this.current.custodians;
  }

  custodian(index: number): RegistryCustodian | undefined {
    return this.current.custodians.find((c) => c.index === index);
  }

  court(id: string): { id: string; name: string; key: string } | undefined {
    return this.entry.courts.find((c) => c.id === id);
  }

  isInvestigator(agency: string, key: string): boolean {
    return this.entry.agencies.some((a) => a.id === agency && a.investigators.includes(key));
  }

  epoch(epoch: number): RegistryEpoch | undefined {
    return this.entry.epochs.find((e) => e.epoch === epoch);
  }

  /** X_i = Σ_k i^k·C_k for every custodian of `epoch` (DESIGN.md §3.1); cached. */
  verificationShares(epoch: number): Map<number, GroupPoint> | undefined {
    const cached = this.#shares.get(epoch);
    if (cached) return cached;
    const e = this.epoch(epoch);
    if (!e) return undefined;
    const commitments = e.commitments.map((h, i) => decodePoint(hexToBytes(h, 33), `commitments[${i}]`));
    const shares = new Map<number, GroupPoint>();
    for (const c of e.custodians) shares.set(c.index, verificationShare(commitments, c.index));
    this.#shares.set(epoch, shares);
    return shares;
  }
}

/** Every custodian named in any epoch, by index; one signing key per index. */
function allCustodians(entry: RegistryEntry): Map<number, RegistryCustodian> {
  const out = new Map<number, RegistryCustodian>();
  for (const e of entry.epochs) {
    if (e.custodians.length !== e.total) fail('BAD_REGISTRY', `epoch ${e.epoch} lists ${e.custodians.length} custodians but total is ${e.total}`);
    if (e.commitments.length !== e.threshold) fail('BAD_REGISTRY', `epoch ${e.epoch} must have exactly t commitments`);
    if (e.groupKey !== e.commitments[0]) fail('BAD_REGISTRY', `epoch ${e.epoch}: groupKey must equal commitments[0]`);
    if (2 * e.threshold <= e.total || e.threshold > e.total) fail('BAD_REGISTRY', `epoch ${e.epoch}: need n/2 < t ≤ n`);
    for (const c of e.custodians) {
      const seen = out.get(c.index);
      if (seen && seen.signingKey !== c.signingKey) fail('BAD_REGISTRY', `custodian ${c.index} has two signing keys`);
      out.set(c.index, c);
    }
  }
  return out;
}

/** Structural checks every registry entry must pass (DESIGN.md §3.1, §4.2). */
function checkShape(entry: RegistryEntry): Map<number, RegistryCustodian> {
  const epochs = new Set(entry.epochs.map((e) => e.epoch));
  if (epochs.size !== entry.epochs.length) fail('BAD_REGISTRY', 'epochs must be distinct');
  const courts = new Set(entry.courts.map((c) => c.id));
  if (courts.size !== entry.courts.length) fail('BAD_REGISTRY', 'court ids must be distinct');
  const agencies = new Set(entry.agencies.map((a) => a.id));
  if (agencies.size !== entry.agencies.length) fail('BAD_REGISTRY', 'agency ids must be distinct');
  const custodians = allCustodians(entry);
  for (const e of entry.epochs) {
    try {
      for (const h of e.commitments) decodePoint(hexToBytes(h, 33));
    } catch {
      fail('BAD_REGISTRY', `epoch ${e.epoch}: a commitment is not a point`);
    }
  }
  return custodians;
}

/** Counts distinct valid custodian signatures; throws if any listed signature is bad. */
function countSignatures(entry: RegistryEntry, signers: ReadonlyMap<number, RegistryCustodian>): Set<number> {
  const valid = new Set<number>();
  for (const s of entry.signatures) {
    const c = signers.get(s.custodian);
    if (!c) fail('UNKNOWN_CUSTODIAN', `registry signature by unknown custodian ${s.custodian}`);
    if (valid.has(s.custodian)) fail('BAD_REGISTRY', `custodian ${s.custodian} signed twice`);
    if (!verifyRecordSignature(entry, 'registry', s.signature, c.signingKey)) {
      fail('BAD_SIGNATURE', `registry signature by custodian ${s.custodian} does not verify`);
    }
    valid.add(s.custodian);
  }
  return valid;
}

/** The genesis entry: sequence 0, our log key, signed by every custodian it names. */
export function checkGenesis(entry: RegistryEntry, logKey: string): void {
  if (entry.sequence !== 0) fail('BAD_REGISTRY', 'the genesis registry must have sequence 0');
  if (entry.logKey !== logKey) fail('BAD_REGISTRY', 'registry logKey is not the public key of this log');
  const custodians = checkShape(entry);
  const signed = countSignatures(entry, custodians);
  for (const index of custodians.keys()) {
    if (!signed.has(index)) fail('BAD_SIGNATURE', `the genesis registry lacks custodian ${index}'s signature`);
  }
}

/**
 * A later update: sequence = previous + 1, same origin and log key, and at
 * least t valid signatures by custodians of the previous registry's current epoch.
 */
export function checkUpdate(entry: RegistryEntry, previous: Registry): void {
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
