/**
 * Registry acceptance (docs/PROTOCOL.md §4.2 `registry`): the one rule by which the
 * coordinator logs, a custodian replicates, an auditor accepts and the CLI
 * checks a registry entry.
 *
 * Policy, strict by design:
 * - An entry is refused if ANY of its signatures is by a signer who may not
 *   sign it, does not verify, or repeats a signer. Otherwise one body with
 *   different signature lists would make different leaves, and parties that
 *   ignore the extras could disagree with parties that do not.
 * - Genesis: sequence 0, structurally sound, signed by every custodian it
 *   lists in any epoch (§5 step 1).
 * - Update: sequence = current + 1, the same origin, log key and log note
 *   key (a new one would let its holder sign calls or checkpoints the
 *   custodians trust, §4.3, §4.6),
 *   structurally sound, and at least t valid signatures by custodians of the
 *   newest epoch — highest number, never array position — of the registry in
 *   force (rules/epochs.ts reviewers).
 * - Structure is registryProblems (records/registry.ts): §3.1 n/2 < t ≤ n,
 *   distinct epochs, indices, names, ids, commitments on the curve; distinct
 *   Ed25519 note keys and witness names (§4.3).
 *
 * Checks run in that order and the first failure is the verdict. Pure: no
 * HTTP, no SQL; a service maps the code to its own answer.
 */
import { allCustodians, registryProblems, registrySignatures } from '../records/registry';
import type { RegistryEntry } from '../records/schemas';
import { sessionHostKeys } from './dkgEpochs';
import { reviewers } from './epochs';
import { retireAfterChange } from './retirement';

type RegistryCode =
  | 'REGISTRY_SEQUENCE'
  | 'REGISTRY_ORIGIN'
  | 'REGISTRY_LOG_KEY'
  | 'BAD_REGISTRY'
  | 'DUPLICATE_SIGNATURE'
  | 'UNKNOWN_CUSTODIAN'
  | 'BAD_SIGNATURE'
  | 'MISSING_SIGNATURE'
  | 'INSUFFICIENT_SIGNATURES'
  | 'EPOCH_CHANGED';

type RegistryVerdict =
  | { readonly ok: true; readonly signers: readonly number[] }
  | { readonly ok: false; readonly code: RegistryCode; readonly message: string };

const refuse = (code: RegistryCode, message: string): RegistryVerdict => ({ ok: false, code, message });

function aentry(entry: unknown, name: string): RegistryEntry {
  if (typeof entry !== 'object' || entry === null || (entry as { type?: unknown }).type !== 'registry' || !Array.isArray((entry as { signatures?: unknown }).signatures)) {
    throw new TypeError(`${name} must be a parsed registry entry (docs/PROTOCOL.md §4.2)`);
  }
  return entry as RegistryEntry;
}

/**
 * Every signature must be by one of `signers`, verify, and name a custodian
 * not named before; returns the signers, ascending, or the first refusal.
 */
function judgeSignatures(entry: RegistryEntry, signers: ReadonlyMap<number, { signingKey: string }>): RegistryVerdict {
  for (const s of registrySignatures(entry, signers)) {
    if (s.repeated) return refuse('DUPLICATE_SIGNATURE', `custodian ${s.custodian} signed registry ${entry.sequence} twice`);
    if (s.verdict === 'unknown') return refuse('UNKNOWN_CUSTODIAN', `registry ${entry.sequence} carries a signature by custodian ${s.custodian}, who may not sign it`);
    if (s.verdict === 'invalid') return refuse('BAD_SIGNATURE', `the signature by custodian ${s.custodian} on registry ${entry.sequence} does not verify`);
  }
  return { ok: true, signers: entry.signatures.map((s) => s.custodian).sort((a, b) => a - b) };
}

function judgeShape(entry: RegistryEntry): RegistryVerdict | undefined {
  const [problem] = registryProblems(entry);
  return problem === undefined ? undefined : refuse('BAD_REGISTRY', `registry ${entry.sequence}: ${problem}`);
}

/**
 * The genesis entry: sequence 0, the expected log key if `options.logKey` is
 * given (the coordinator's own), sound structure, and a valid signature by
 * every custodian it lists (and no other signature).
 */
function judgeGenesis(entry: RegistryEntry, options: { readonly logKey?: string; readonly logNoteKey?: string } = {}): RegistryVerdict {
  aentry(entry, 'entry');
  if (entry.sequence !== 0) return refuse('REGISTRY_SEQUENCE', `the genesis registry must have sequence 0, has ${entry.sequence}`);
  if (options.logKey !== undefined && entry.logKey !== options.logKey) return refuse('REGISTRY_LOG_KEY', 'the genesis logKey is not the log key of this log');
  if (options.logNoteKey !== undefined && entry.logNoteKey !== options.logNoteKey) return refuse('REGISTRY_LOG_KEY', 'the genesis logNoteKey is not the note key of this log');
  const shape = judgeShape(entry);
  if (shape) return shape;
  const listed = allCustodians(entry);
  const signed = judgeSignatures(entry, listed);
  if (!signed.ok) return signed;
  const missing = [...listed.keys()].filter((i) => !signed.signers.includes(i)).sort((a, b) => a - b);
  if (missing.length > 0) return refuse('MISSING_SIGNATURE', `the genesis registry lacks the signature of custodian ${missing.join(', ')}`);
  return signed;
}

/**
 * An epoch that a logged `epoch` entry activated stays as its certificate
 * proves it (§3.8): an update that lists it proposed again with another
 * threshold, other host keys or another `reshareOf` (which says how its
 * recovery data reads, §3.9) would switch it off and is refused. Epochs
 * `next` leaves out, and dealer epochs, follow the older rules.
 */
function judgeActivatedEpochs(next: RegistryEntry, current: RegistryEntry): RegistryVerdict | undefined {
  for (const e of next.epochs) {
    const was = current.epochs.find((x) => x.epoch === e.epoch);
    if (!was || was.groupKey === undefined || e.groupKey !== undefined) continue;
    const same = was.threshold === e.threshold && was.reshareOf === e.reshareOf && sessionHostKeys(was).join() === sessionHostKeys(e).join();
    if (!same) return refuse('EPOCH_CHANGED', `registry update ${next.sequence} changes the threshold, host keys or reshareOf of epoch ${e.epoch}, which a logged DKG activated`);
  }
  return undefined;
}

/**
 * A later entry `next` after `current`, the registry in force (resolved:
 * rules/dkgEpochs.ts resolveRegistry, so its reviewers are the newest ACTIVE
 * epoch's custodians, §3.8): the next
 * sequence, the same origin and log key, sound structure, and ≥ t valid
 * signatures by the reviewers of `current` (and no other signature).
 */
function judgeRegistryUpdate(next: RegistryEntry, current: RegistryEntry): RegistryVerdict {
  aentry(next, 'next');
  aentry(current, 'current');
  if (next.sequence !== current.sequence + 1) return refuse('REGISTRY_SEQUENCE', `registry sequence must be ${current.sequence + 1}, got ${next.sequence}`);
  if (next.origin !== current.origin) return refuse('REGISTRY_ORIGIN', 'a registry update cannot change the origin');
  if (next.logKey !== current.logKey) return refuse('REGISTRY_LOG_KEY', 'a registry update cannot change the log key');
  if (next.logNoteKey !== current.logNoteKey) return refuse('REGISTRY_LOG_KEY', 'a registry update cannot change the log note key');
  const shape = judgeShape(next);
  if (shape) return shape;
  const changed = judgeActivatedEpochs(next, current);
  if (changed) return changed;
  const moved = retireAfterChange(next, current);
  if (moved) return refuse('EPOCH_CHANGED', moved);
  const quorum = reviewers(current);
  if (!quorum) return refuse('BAD_REGISTRY', 'the registry in force lists no epoch');
  const signed = judgeSignatures(next, quorum.custodians);
  if (!signed.ok) return signed;
  if (signed.signers.length < quorum.threshold) {
    return refuse('INSUFFICIENT_SIGNATURES', `registry update ${next.sequence} has ${signed.signers.length} valid signatures from custodians of epoch ${quorum.epoch}; ${quorum.threshold} are needed`);
  }
  return signed;
}

export { judgeGenesis, judgeRegistryUpdate, type RegistryCode, type RegistryVerdict };
