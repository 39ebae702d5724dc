/**
 * Epoch selection (docs/PROTOCOL.md §3.1, §4.2): which epoch of a registry is in
 * force for what.
 *
 * - The newest epoch is the ACTIVE one with the highest `epoch` number, never
 *   the last in the array: §4.2 lists epochs as a set, and a registry whose
 *   epochs are listed out of order must not change who reviews. A proposed
 *   epoch (§3.8: no keys yet) is not usable — no approvals, requests or
 *   partials — until a logged `epoch` entry activates it; services pass the
 *   registry through resolveRegistry (rules/dkgEpochs.ts) first. Only while
 *   no epoch is active (a genesis that runs its first DKG) is the newest
 *   proposed epoch the newest: its custodians witness the log the DKG runs
 *   over and may sign a registry update that restarts it.
 * - Reviewers are the custodians of the newest epoch: they approve or deny
 *   warrants (§5 step 3), witness checkpoints (§4.3) and sign registry
 *   updates (§4.2).
 * - Releasing for an envelope of epoch e (§5 step 5) needs approvals from at
 *   least t_k custodians of e's KEY epoch k, and only they hold a share of it
 *   (§3.1): `quorumOf(registry, e)`. k is e itself until a reshare (§3.9)
 *   moves e's key to a new committee: then the active epoch that reshared e
 *   (`reshareOf: e`), and so on down the chain (`keyEpochOf`). e is then
 *   *superseded*: its own custodians' shares are dead, and the envelopes
 *   sealed under it open with k's shares and k's public shares.
 *
 * Pure: no HTTP, no SQL.
 */
import type { RegistryEntry } from '../records/schemas';

type RegistryBody = Omit<RegistryEntry, 'signatures'>;
type RegistryEpoch = RegistryEntry['epochs'][number];
type RegistryCustodian = RegistryEpoch['custodians'][number];

/** The quorum of one epoch: its t, its n and its custodians by index. */
interface Quorum {
  readonly epoch: number;
  readonly threshold: number;
  readonly total: number;
  readonly custodians: ReadonlyMap<number, RegistryCustodian>;
}

function aregistry(registry: unknown): RegistryBody {
  if (typeof registry !== 'object' || registry === null || !Array.isArray((registry as { epochs?: unknown }).epochs)) {
    throw new TypeError('registry must be a registry entry with an epochs array (docs/PROTOCOL.md §4.2)');
  }
  return registry as RegistryBody;
}

/** The active epoch with the highest number, else the highest proposed one (docs/PROTOCOL.md §3.8, §4.2); undefined if none is listed. */
function newestEpoch(registry: RegistryBody): RegistryEpoch | undefined {
  const highest = (list: readonly RegistryEpoch[]) => list.reduce<RegistryEpoch | undefined>((a, b) => (a === undefined || b.epoch > a.epoch ? b : a), undefined);
  const epochs = aregistry(registry).epochs;
  return highest(epochs.filter((e) => e.groupKey !== undefined)) ?? highest(epochs);
}

function quorum(e: RegistryEpoch): Quorum {
  return { epoch: e.epoch, threshold: e.threshold, total: e.total, custodians: new Map(e.custodians.map((c) => [c.index, c] as const)) };
}

/** The epoch an envelope is sealed under (docs/PROTOCOL.md §3.2: `epoch` is bound into k, the AAD and μ). */
function envelopeEpoch(envelope: { readonly epoch: number }): number {
  if (typeof envelope !== 'object' || envelope === null) throw new TypeError('envelope must be an object');
  if (!Number.isSafeInteger(envelope.epoch) || envelope.epoch < 0) throw new RangeError('envelope.epoch must be an integer ≥ 0');
  return envelope.epoch;
}

/**
 * The threshold and the custodian set of epoch `epoch` of `registry`, or
 * undefined if it does not list that epoch. Envelopes of epoch e are released
 * only with approvals from ≥ t_e custodians of epoch e (docs/PROTOCOL.md §1 goal 3,
 * §3.1), and only by them.
 */
function quorumOf(registry: RegistryBody, epoch: number): Quorum | undefined {
  const k = keyEpochOf(registry, epoch);
  return k === undefined ? undefined : quorum(aregistry(registry).epochs.find((x) => x.epoch === k)!);
}

/** The active epoch that reshared `epoch` (§3.9; the lowest-numbered if a registry lists several), or undefined. */
function successorOf(registry: RegistryBody, epoch: number): RegistryEpoch | undefined {
  return aregistry(registry)
    .epochs.filter((x) => x.reshareOf === epoch && x.groupKey !== undefined && x.epoch > epoch)
    .reduce<RegistryEpoch | undefined>((a, b) => (a === undefined || b.epoch < a.epoch ? b : a), undefined);
}

/**
 * The epoch whose custodians hold the key of `epoch` now (§3.9): `epoch`
 * itself, or the end of its chain of active reshares. Undefined if the
 * registry does not list `epoch` or it is proposed (no key yet, §3.8).
 */
function keyEpochOf(registry: RegistryBody, epoch: number): number | undefined {
  if (typeof epoch !== 'number') throw new TypeError('epoch must be a number');
  const e = aregistry(registry).epochs.find((x) => x.epoch === epoch);
  if (!e || e.groupKey === undefined) return undefined;
  // Successors have higher numbers, so the chain ends.
  let k = e.epoch;
  for (let next = successorOf(registry, k); next !== undefined; next = successorOf(registry, k)) k = next.epoch;
  return k;
}

/** Whether an active reshare moved `epoch`'s key to another committee (§3.9): its own shares must be destroyed and never used. */
function isSuperseded(registry: RegistryBody, epoch: number): boolean {
  return successorOf(registry, epoch) !== undefined;
}

/** The quorum of the newest epoch: the reviewers, witnesses and signers of updates (docs/PROTOCOL.md §4.2, §4.3, §5 step 3). */
function reviewers(registry: RegistryBody): Quorum | undefined {
  const newest = newestEpoch(registry);
  return newest && quorum(newest);
}

export { envelopeEpoch, isSuperseded, keyEpochOf, newestEpoch, quorumOf, reviewers, successorOf, type Quorum };
