/**
 * Epochs made by distributed key generation (docs/PROTOCOL.md §3.8): when a
 * proposed epoch becomes active, and the one registry every service reads
 * keys and quorums from.
 *
 * - judgeEpochEntry: an `epoch` entry activates proposed epoch e iff its
 *   recovery data carries a valid certificate by exactly the host keys the
 *   registry lists for e (in index order) with e's threshold, and its
 *   `groupKey`/`commitments` are what that data yields (dkg/public.ts). For
 *   an epoch with `reshareOf: O` the recovery data is a reshare's (§3.9,
 *   dkg/reshare.ts), and it must also re-share exactly O as the registry
 *   resolved so far has it, keeping O's group key.
 * - resolveRegistry: the registry in force with every proposed epoch that a
 *   valid logged `epoch` entry activates filled in (groupKey, commitments),
 *   judged in log order against what earlier entries activated (so a
 *   reshare's old epoch is active before the reshare is judged),
 *   so that quorumOf, reviewers and RegistryView.verificationShares treat it
 *   as any dealer epoch (X_i = Σ_k p^k·C_k at i's point p, §3.1). Proposed epochs that no
 *   entry activates stay without keys: quorumOf refuses them.
 * - judgeDkgEntry: a `dkg` entry is for a proposed epoch, and a participant's
 *   step is signed (§3.5 kind `dkg`) by that custodian of the epoch, so the
 *   coordinator cannot write one in a custodian's name.
 *
 * The coordinator, every custodian, the auditor and the CLI call these; the
 * explorer's port (services/web/public/lib/rules.js) checks the same entry
 * fields and test/rules/agreement.test.ts holds both to the same verdicts.
 * Pure: no HTTP, no SQL. resolveRegistry verifies n signatures per activated
 * epoch: a service calls it when a registry or an epoch entry is logged, not
 * per request.
 */
import { successorOf } from './epochs';
import { base64ToBytes, bytesToHex, hexToBytes } from '../crypto/bytes';
import { encodePoint } from '../crypto/group';
import { epochFromRecovery } from '../dkg/public';
import type { EpochKeys } from '../dkg/public';
import { DkgError, ReshareError } from '../dkg/errors';
import { epochFromReshare } from '../dkg/reshare';
import type { ReshareEpochKeys } from '../dkg/reshare';
import { uuidBytes } from '../dkg/reshareParams';
import type { ReshareParams } from '../dkg/reshareParams';
import { epochShares } from '../records/registry';
import { DKG_PARTICIPANT_STEPS } from '../records/schemas';
import type { DkgEntry, EpochEntry, RegistryEntry } from '../records/schemas';
import { verifyRecordSignature } from '../records/signing';

type RegistryBody = Omit<RegistryEntry, 'signatures'>;
type RegistryEpoch = RegistryEntry['epochs'][number];

type EpochCode =
  | 'UNKNOWN_EPOCH'
  | 'NOT_PROPOSED'
  | 'BAD_RECOVERY_DATA'
  | 'THRESHOLD_MISMATCH'
  | 'HOST_KEYS_MISMATCH'
  | 'GROUP_KEY_MISMATCH'
  | 'COMMITMENTS_MISMATCH'
  // A reshare (`reshareOf`, §3.9):
  | 'OLD_EPOCH_NOT_ACTIVE' // the epoch it reshares has no key in the registry resolved so far
  | 'GROUP_KEY_CHANGED' // C'_0 ≠ Y: the dealings do not keep the old group key
  | 'DEALING_CONSTANT_MISMATCH' // some dealing's C_{i,0} ≠ X_i: a dealer dealt something other than its share of O
  | 'SESSION_MISMATCH' // the recovery data's session is not the entry's
  | 'OLD_EPOCH_MISMATCH' // its O, N, t_O, Y or old committee (indices, X_i) are not the registry's
  | 'OLD_EPOCH_SUPERSEDED'; // O's key already moved to another committee by an earlier reshare: O's shares are dead

type EpochVerdict = { readonly ok: true; readonly keys: EpochKeys } | { readonly ok: false; readonly code: EpochCode; readonly message: string };

type DkgEntryCode = 'UNKNOWN_EPOCH' | 'NOT_PROPOSED' | 'WRONG_STEP' | 'UNKNOWN_CUSTODIAN' | 'BAD_SIGNATURE';
type DkgEntryVerdict = { readonly ok: true } | { readonly ok: false; readonly code: DkgEntryCode; readonly message: string };

function aentry<T>(entry: unknown, type: string): T {
  if (typeof entry !== 'object' || entry === null || (entry as { type?: unknown }).type !== type) {
    throw new TypeError(`entry must be a parsed ${type} entry (docs/PROTOCOL.md §4.2)`);
  }
  return entry as T;
}

function aregistry(registry: unknown): RegistryBody {
  if (typeof registry !== 'object' || registry === null || !Array.isArray((registry as { epochs?: unknown }).epochs)) {
    throw new TypeError('registry must be a registry entry with an epochs array (docs/PROTOCOL.md §4.2)');
  }
  return registry as RegistryBody;
}

/** The host keys of a proposed epoch in index order: ChillDKG's session parameters (§3.8). */
function sessionHostKeys(epoch: RegistryEpoch): string[] {
  return [...epoch.custodians].sort((a, b) => a.index - b.index).map((c) => c.hostKey ?? '');
}

// ## `epoch` entries

/**
 * Whether `entry` activates its epoch in `registry` (raw or resolved: an
 * epoch the registry lists with keys is a dealer epoch, or already active,
 * and is refused NOT_PROPOSED). Checks in this order, first failure wins:
 * UNKNOWN_EPOCH, NOT_PROPOSED, BAD_RECOVERY_DATA (unparsable, bad parameters
 * or certificate), THRESHOLD_MISMATCH, HOST_KEYS_MISMATCH, GROUP_KEY_MISMATCH,
 * COMMITMENTS_MISMATCH; for an epoch with `reshareOf`, after NOT_PROPOSED,
 * the reshare's checks (judgeReshareEntry, §3.9). Pass the registry resolved
 * by the entries before this one (resolveRegistry does), so a reshare's old
 * epoch has its key.
 */
function judgeEpochEntry(entry: EpochEntry, registry: RegistryBody): EpochVerdict {
  aentry<EpochEntry>(entry, 'epoch');
  const e = aregistry(registry).epochs.find((x) => x.epoch === entry.epoch);
  if (!e) return { ok: false, code: 'UNKNOWN_EPOCH', message: `epoch ${entry.epoch} is not in the registry` };
  if (e.groupKey !== undefined) return { ok: false, code: 'NOT_PROPOSED', message: `epoch ${entry.epoch} is not a proposed epoch: it has its keys already` };
  if (e.reshareOf !== undefined) return judgeReshareEntry(entry, e, registry);
  let keys: EpochKeys;
  try {
    keys = epochFromRecovery(base64ToBytes(entry.recoveryData, 'recoveryData'));
  } catch (err) {
    if (err instanceof DkgError || err instanceof RangeError) return { ok: false, code: 'BAD_RECOVERY_DATA', message: `epoch ${entry.epoch}: ${err.message}` };
    throw err;
  }
  if (keys.threshold !== e.threshold) {
    return { ok: false, code: 'THRESHOLD_MISMATCH', message: `epoch ${entry.epoch}: the session's threshold is ${keys.threshold}, the registry's ${e.threshold}` };
  }
  const expected = sessionHostKeys(e);
  if (expected.length !== keys.hostKeys.length || expected.some((k, i) => k !== keys.hostKeys[i])) {
    return { ok: false, code: 'HOST_KEYS_MISMATCH', message: `epoch ${entry.epoch}: the certificate is not by the registry's host keys in index order` };
  }
  if (entry.groupKey !== keys.groupKey) return { ok: false, code: 'GROUP_KEY_MISMATCH', message: `epoch ${entry.epoch}: groupKey is not the session's threshold key` };
  if (entry.commitments.length !== keys.commitments.length || entry.commitments.some((c, i) => c !== keys.commitments[i])) {
    return { ok: false, code: 'COMMITMENTS_MISMATCH', message: `epoch ${entry.epoch}: commitments are not the session's summed commitments` };
  }
  return { ok: true, keys };
}

const refuse = (code: EpochCode, message: string): EpochVerdict => ({ ok: false, code, message });
const sameList = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** O's custodians in index order with X_i at O's points (§3.1), as hex; null if O has no usable commitments. */
function oldCommitteeOf(o: RegistryEpoch): { index: number; publicShare: string }[] | null {
  const shares = epochShares(o);
  if (shares === null) return null;
  return [...shares.keys()].sort((a, b) => a - b).map((index) => ({ index, publicShare: bytesToHex(encodePoint(shares.get(index)!)) }));
}

/**
 * The session parameters of a reshare of proposed epoch `epoch` (§3.9) in
 * session `session`, as the registry in force has them: O's threshold, group
 * key and public shares (X_i at O's points), N's threshold and host keys,
 * both committees in index order. Every participant and the coordinator
 * derive them here, so they agree byte for byte. Throws RangeError if
 * `epoch` is not a proposed reshare or O is not active.
 */
function reshareParamsOf(registry: RegistryBody, epoch: number, session: string): ReshareParams {
  const e = aregistry(registry).epochs.find((x) => x.epoch === epoch);
  if (!e || e.groupKey !== undefined || e.reshareOf === undefined) throw new RangeError(`epoch ${epoch} is not a proposed reshare`);
  const o = registry.epochs.find((x) => x.epoch === e.reshareOf);
  const oldCommittee = o?.groupKey === undefined ? null : oldCommitteeOf(o);
  if (!o || oldCommittee === null) throw new RangeError(`epoch ${epoch} reshares epoch ${e.reshareOf}, which is not active`);
  return {
    oldEpoch: o.epoch,
    newEpoch: e.epoch,
    session: uuidBytes(session),
    oldThreshold: o.threshold,
    newThreshold: e.threshold,
    groupKey: hexToBytes(o.groupKey!, 33),
    oldCommittee: oldCommittee.map((c) => ({ index: c.index, publicShare: hexToBytes(c.publicShare, 33) })),
    newCommittee: [...e.custodians].sort((a, b) => a.index - b.index).map((c) => ({ index: c.index, hostKey: hexToBytes(c.hostKey ?? '', 33) })),
  };
}

/**
 * An `epoch` entry for proposed epoch e with `reshareOf: O` (§3.9): O is
 * active in `registry` (OLD_EPOCH_NOT_ACTIVE); the recovery data verifies
 * (BAD_RECOVERY_DATA: parse, certificate, dealings, Q ≥ t_O;
 * DEALING_CONSTANT_MISMATCH: a dealing's C_{i,0} ≠ X_i; GROUP_KEY_CHANGED: C'_0 ≠ Y); the entry's session (SESSION_MISMATCH); O, N, t_O, Y and the old
 * committee are O's as the registry resolved so far has it (OLD_EPOCH_MISMATCH);
 * then t_N, N's indices and host keys, groupKey and commitments as for a DKG.
 */
function judgeReshareEntry(entry: EpochEntry, e: RegistryEpoch, registry: RegistryBody): EpochVerdict {
  const n = entry.epoch;
  const o = registry.epochs.find((x) => x.epoch === e.reshareOf);
  const oldCommittee = o?.groupKey === undefined ? null : oldCommitteeOf(o);
  if (!o || oldCommittee === null) return refuse('OLD_EPOCH_NOT_ACTIVE', `epoch ${n} reshares epoch ${e.reshareOf}, which is not active`);
  // One successor per epoch: after a reshare, O's holders destroy their shares (§3.9), so a second reshare of O is a fork of its key.
  const successor = successorOf(registry, o.epoch);
  if (successor !== undefined) return refuse('OLD_EPOCH_SUPERSEDED', `epoch ${n} reshares epoch ${o.epoch}, whose key epoch ${successor.epoch} already holds`);
  let keys: ReshareEpochKeys;
  try {
    keys = epochFromReshare(base64ToBytes(entry.recoveryData, 'recoveryData'));
  } catch (err) {
    if (err instanceof ReshareError && err.code === 'GROUP_KEY_CHANGED') return refuse('GROUP_KEY_CHANGED', `epoch ${n}: ${err.message}`);
    // A dealing not anchored to its dealer's public share: told apart so an auditor can name it (§8.8 RESHARE_COMMITMENT_MISMATCH).
    if (err instanceof ReshareError && err.code === 'DEALING_CONSTANT_MISMATCH') return refuse('DEALING_CONSTANT_MISMATCH', `epoch ${n}: ${err.message}`);
    if (err instanceof ReshareError || err instanceof RangeError) return refuse('BAD_RECOVERY_DATA', `epoch ${n}: ${err.message}`);
    throw err;
  }
  if (keys.session !== entry.session) return refuse('SESSION_MISMATCH', `epoch ${n}: the recovery data is of session ${keys.session}, not ${entry.session}`);
  const sameOld =
    keys.oldEpoch === o.epoch &&
    keys.epoch === n &&
    keys.oldThreshold === o.threshold &&
    keys.groupKey === o.groupKey &&
    sameList(keys.oldCommittee.map((c) => `${c.index}:${c.publicShare}`), oldCommittee.map((c) => `${c.index}:${c.publicShare}`));
  if (!sameOld) return refuse('OLD_EPOCH_MISMATCH', `epoch ${n}: the reshare is not of epoch ${o.epoch} as the registry has it (epochs, t_O, group key or old public shares)`);
  if (keys.threshold !== e.threshold) {
    return refuse('THRESHOLD_MISMATCH', `epoch ${n}: the reshare's threshold is ${keys.threshold}, the registry's ${e.threshold}`);
  }
  const indices = e.custodians.map((c) => c.index).sort((a, b) => a - b);
  if (!sameList(keys.indices, indices) || !sameList(keys.hostKeys, sessionHostKeys(e))) {
    return refuse('HOST_KEYS_MISMATCH', `epoch ${n}: the certificate is not by the registry's custodians and host keys in index order`);
  }
  if (entry.groupKey !== keys.groupKey) return refuse('GROUP_KEY_MISMATCH', `epoch ${n}: groupKey is not the reshared group key`);
  if (!sameList(entry.commitments, keys.commitments)) return refuse('COMMITMENTS_MISMATCH', `epoch ${n}: commitments are not the reshare's C'`);
  return { ok: true, keys };
}

/**
 * The registry in force (docs/PROTOCOL.md §3.8): `registry` with each proposed
 * epoch that a valid entry of `epochEntries` (in log order; the first valid
 * one per epoch counts) activates given its groupKey and commitments. The
 * result is a view, not a logged entry: its signatures no longer cover it,
 * so judge registry entries as logged, and resolve afterwards.
 */
function resolveRegistry<R extends RegistryBody>(registry: R, epochEntries: readonly EpochEntry[]): R {
  aregistry(registry);
  if (!Array.isArray(epochEntries)) throw new TypeError('epochEntries must be an array');
  // In log order, each entry judged against what the earlier ones activated:
  // a reshare (§3.9) needs its old epoch's key, which may itself come from the log.
  let resolved = registry;
  const activated = new Set<number>();
  for (const entry of epochEntries) {
    if (activated.has(entry.epoch)) continue;
    const verdict = judgeEpochEntry(entry, resolved);
    if (!verdict.ok) continue;
    activated.add(entry.epoch);
    const { groupKey, commitments } = verdict.keys;
    resolved = { ...resolved, epochs: resolved.epochs.map((e) => (e.epoch === entry.epoch ? { ...e, groupKey, commitments: [...commitments] } : e)) };
  }
  return resolved;
}

// ## `dkg` entries

/**
 * Whether `entry` may stand in the log: its epoch is a proposed epoch of
 * `registry`, and a participant's step (commit, reveal, certeq, blame) names
 * a custodian of that epoch and carries its valid signature (§3.5 kind
 * `dkg`). In a reshare into N (`reshareOf: O`, §3.9) the dealers' steps
 * (commit, reveal) are by custodians of O and the receivers' (certeq, blame)
 * by custodians of N; `dealers` is a reshare's step only (WRONG_STEP).
 * Session order (reveal after every commit, a reveal matching its commit, …)
 * is the session's rule, checked by each participant.
 */
function judgeDkgEntry(entry: DkgEntry, registry: RegistryBody): DkgEntryVerdict {
  aentry<DkgEntry>(entry, 'dkg');
  const epochs = aregistry(registry).epochs;
  const e = epochs.find((x) => x.epoch === entry.epoch);
  if (!e) return { ok: false, code: 'UNKNOWN_EPOCH', message: `epoch ${entry.epoch} is not in the registry` };
  if (e.groupKey !== undefined) return { ok: false, code: 'NOT_PROPOSED', message: `epoch ${entry.epoch} is not a proposed epoch` };
  if (entry.step === 'dealers' && e.reshareOf === undefined) return { ok: false, code: 'WRONG_STEP', message: `epoch ${entry.epoch} runs a DKG, not a reshare: it has no dealers step` };
  if (!DKG_PARTICIPANT_STEPS.includes(entry.step)) return { ok: true };
  const dealing = e.reshareOf !== undefined && (entry.step === 'commit' || entry.step === 'reveal');
  const committee = dealing ? epochs.find((x) => x.epoch === e.reshareOf) : e;
  const custodian = committee?.custodians.find((c) => c.index === entry.custodian);
  if (!custodian) return { ok: false, code: 'UNKNOWN_CUSTODIAN', message: `custodian ${entry.custodian} is not a custodian of epoch ${committee?.epoch ?? e.reshareOf}` };
  if (!verifyRecordSignature(entry, 'dkg', entry.signature, custodian.signingKey)) {
    return { ok: false, code: 'BAD_SIGNATURE', message: `the ${entry.step} of custodian ${entry.custodian} does not verify` };
  }
  return { ok: true };
}

export { judgeDkgEntry, judgeEpochEntry, reshareParamsOf, resolveRegistry, sessionHostKeys, type DkgEntryCode, type DkgEntryVerdict, type EpochCode, type EpochVerdict };
