/**
 * Epoch selection (docs/PROTOCOL.md §3.1, §4.2): which epoch of a registry is in
 * force for what.
 *
 * - The newest epoch is the one with the highest `epoch` number, never the
 *   last in the array: §4.2 lists epochs as a set, and a registry whose
 *   epochs are listed out of order must not change who reviews.
 * - Reviewers are the custodians of the newest epoch: they approve or deny
 *   warrants (§5 step 3), witness checkpoints (§4.3) and sign registry
 *   updates (§4.2).
 * - Releasing for an envelope of epoch e (§5 step 5) needs approvals from at
 *   least t_e custodians of epoch e, and only custodians of epoch e hold a
 *   share of it (§3.1): `quorumOf(registry, e)`.
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

/** The epoch with the highest number (docs/PROTOCOL.md §4.2), or undefined if none is listed. */
function newestEpoch(registry: RegistryBody): RegistryEpoch | undefined {
  return aregistry(registry).epochs.reduce<RegistryEpoch | undefined>((a, b) => (a === undefined || b.epoch > a.epoch ? b : a), undefined);
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
  if (typeof epoch !== 'number') throw new TypeError('epoch must be a number');
  const e = aregistry(registry).epochs.find((x) => x.epoch === epoch);
  if (!e) return undefined;
  return { epoch: e.epoch, threshold: e.threshold, total: e.total, custodians: new Map(e.custodians.map((c) => [c.index, c] as const)) };
}

/** The quorum of the newest epoch: the reviewers, witnesses and signers of updates (docs/PROTOCOL.md §4.2, §4.3, §5 step 3). */
function reviewers(registry: RegistryBody): Quorum | undefined {
  const newest = newestEpoch(registry);
  return newest && quorumOf(registry, newest.epoch);
}

export { envelopeEpoch, newestEpoch, quorumOf, reviewers, type Quorum };
