/**
 * The registry as an auditor reads it from the log (DESIGN.md §4.2 `registry`):
 * custodians with their signing keys, each epoch's threshold and Feldman
 * commitments, courts and agencies. Pure lookups; the rules live in ./rules.
 */
import { decodePoint, hexToBytes, verificationShare } from '@custodes/shared/crypto';
import type { GroupPoint } from '@custodes/shared/crypto';
import type { RegistryEntry } from '@custodes/shared/records';

type RegistryEpoch = RegistryEntry['epochs'][number];
export type RegistryCustodian = RegistryEpoch['custodians'][number];

/** A registry entry accepted by the rules, with the log index it was found at. */
export class RegistryView {
  readonly entry: RegistryEntry;
  readonly index: number;
  /** The newest epoch: its custodians are the reviewers and the witnesses. */
  readonly current: RegistryEpoch;
  readonly #shares = new Map<number, Map<number, GroupPoint> | null>();

  constructor(entry: RegistryEntry, index: number) {
    this.entry = entry;
    this.index = index;
    this.current = entry.epochs.reduce((a, b) => (b.epoch > a.epoch ? b : a));
  }

  /** t of the current epoch. */
  get threshold(): number {
    return this.current.threshold;
  }

  /** n of the current epoch. */
  get total(): number {
    return this.current.total;
  }

  get custodians(): readonly RegistryCustodian[] {
    return this.current.custodians;
  }

  /** A custodian of the current epoch. */
  custodian(index: number): RegistryCustodian | undefined {
    return this.current.custodians.find((c) => c.index === index);
  }

  court(id: string): RegistryEntry['courts'][number] | undefined {
    return this.entry.courts.find((c) => c.id === id);
  }

  agency(id: string): RegistryEntry['agencies'][number] | undefined {
    return this.entry.agencies.find((a) => a.id === id);
  }

  isInvestigator(agency: string, key: string): boolean {
    return this.agency(agency)?.investigators.includes(key) ?? false;
  }

  epoch(epoch: number): RegistryEpoch | undefined {
    return this.entry.epochs.find((e) => e.epoch === epoch);
  }

  /**
   * X_i = Σ_k i^k·C_k (DESIGN.md §3.1) for custodian `index` of `epoch`, or
   * undefined if the epoch or custodian is unknown or a commitment is not a point.
   */
  verificationShare(epoch: number, index: number): GroupPoint | undefined {
    let shares = this.#shares.get(epoch);
    if (shares === undefined) {
      shares = computeShares(this.epoch(epoch));
      this.#shares.set(epoch, shares);
    }
    return shares?.get(index);
  }
}

function computeShares(epoch: RegistryEpoch | undefined): Map<number, GroupPoint> | null {
  if (!epoch) return null;
  let commitments: GroupPoint[];
  try {
    commitments = epoch.commitments.map((h, i) => decodePoint(hexToBytes(h, 33), `commitments[${i}]`));
  } catch (err) {
    if (err instanceof RangeError) return null; // not points: reported as BAD_REGISTRY
    throw err;
  }
  const shares = new Map<number, GroupPoint>();
  for (const c of epoch.custodians) shares.set(c.index, verificationShare(commitments, c.index));
  return shares;
}

/**
 * Structural problems of a registry entry (DESIGN.md §3.1, §4.2): distinct
 * epochs, courts and agencies; n custodians per epoch with t commitments,
 * n/2 < t ≤ n, groupKey = C_0, commitments on the curve; one signing key and
 * one name per custodian index. Returns one sentence per problem.
 */
export function registryProblems(entry: RegistryEntry): string[] {
  const problems: string[] = [];
  if (new Set(entry.epochs.map((e) => e.epoch)).size !== entry.epochs.length) problems.push('epochs are not distinct');
  if (new Set(entry.courts.map((c) => c.id)).size !== entry.courts.length) problems.push('court ids are not distinct');
  if (new Set(entry.agencies.map((a) => a.id)).size !== entry.agencies.length) problems.push('agency ids are not distinct');
  const keys = new Map<number, string>();
  for (const e of entry.epochs) {
    if (e.custodians.length !== e.total) problems.push(`epoch ${e.epoch} lists ${e.custodians.length} custodians but total is ${e.total}`);
    if (e.commitments.length !== e.threshold) problems.push(`epoch ${e.epoch} has ${e.commitments.length} commitments for threshold ${e.threshold}`);
    if (2 * e.threshold <= e.total || e.threshold > e.total) problems.push(`epoch ${e.epoch} breaks n/2 < t ≤ n (t=${e.threshold}, n=${e.total})`);
    if (e.groupKey !== e.commitments[0]) problems.push(`epoch ${e.epoch}: groupKey is not commitments[0]`);
    if (new Set(e.custodians.map((c) => c.index)).size !== e.custodians.length) problems.push(`epoch ${e.epoch} repeats a custodian index`);
    if (new Set(e.custodians.map((c) => c.name)).size !== e.custodians.length) problems.push(`epoch ${e.epoch} repeats a custodian name`);
    for (const c of e.custodians) {
      const seen = keys.get(c.index);
      if (seen !== undefined && seen !== c.signingKey) problems.push(`custodian ${c.index} has two signing keys`);
      keys.set(c.index, c.signingKey);
    }
    if (computeShares(e) === null) problems.push(`epoch ${e.epoch}: a commitment is not a point on secp256k1`);
  }
  return problems;
}

/** Every custodian named in any epoch of `entry`, by index. */
export function allCustodians(entry: RegistryEntry): Map<number, RegistryCustodian> {
  const out = new Map<number, RegistryCustodian>();
  for (const e of entry.epochs) for (const c of e.custodians) if (!out.has(c.index)) out.set(c.index, c);
  return out;
}
