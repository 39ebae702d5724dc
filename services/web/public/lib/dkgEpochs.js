// @ts-check
/**
 * Epochs made by distributed key generation, ported to browser JS from
 * shared/src/rules/dkgEpochs.ts and shared/src/dkg/public.ts (docs/PROTOCOL.md
 * §3.8): the same checks in the same order with the same codes, so the
 * explorer verifies an `epoch` entry itself instead of trusting the
 * coordinator; test/web/dkgEpochs.test.ts holds this port and the shared
 * rule to the same verdicts.
 *
 * - judgeEpochEntry: UNKNOWN_EPOCH, NOT_PROPOSED, BAD_RECOVERY_DATA (the
 *   recovery data eq_input ‖ cert does not parse, its parameters are invalid
 *   or a CertEq signature does not verify), THRESHOLD_MISMATCH,
 *   HOST_KEYS_MISMATCH, GROUP_KEY_MISMATCH, COMMITMENTS_MISMATCH.
 *   For an epoch with `reshareOf` (§3.9) the reshare branch: recovery data
 *   verified in full by reshare.js (certificate, dealings against the old
 *   public shares, C'_0 = Y), then compared with the registry.
 * - judgeDkgEntry: a participant's step is signed (kind `dkg`) by that
 *   custodian of a proposed epoch (in a reshare, dealers of O commit and
 *   reveal, receivers of N certify and blame); `dealers` is a reshare's step.
 * - resolveRegistry: the registry in force with each proposed epoch that a
 *   valid entry activates given its keys (the first valid one per epoch),
 *   judged in log order.
 * - judgeShareDestroyed: a `share-destroyed` statement stands only after its
 *   successor's activation, signed by a custodian of the old epoch.
 *
 * Everything here reads attacker-controlled entries: malformed input is
 * refused, never trusted. Public data only: no share, no secret.
 */
import { base64ToBytes, bytesToHex, concatBytes, hexToBytes, utf8Encode } from './bytes.js';
import { addPoints, decodePoint, encodePoint, mulBase, ORDER, schnorrVerifyAny, taggedHash, toBigInt } from './bip340.js';
import { epochFromReshare, evalCommitments } from './reshare.js';
import { verifyRecordSignature } from './rules.js';

/** @typedef {import('./rules.js').Registry} Registry */
/** @typedef {import('./rules.js').Epoch} Epoch */
/** @typedef {{ threshold: number, hostKeys: string[], groupKey: string, commitments: string[], qualified?: number[] }} EpochKeys  qualified: a reshare's Q (§3.9) */
/** @typedef {{ ok: true, keys: EpochKeys } | { ok: false, code: string, message: string }} EpochVerdict */

const DKG_PARTICIPANT_STEPS = ['commit', 'reveal', 'certeq', 'blame'];

/** BIP ChillDKG CertEq: the tag zero-padded to 33 bytes (shared/src/dkg/certeq.ts). */
const CERTEQ_PREFIX = (() => {
  const prefix = new Uint8Array(33);
  prefix.set(utf8Encode('BIP DKG/certeq message'));
  return prefix;
})();

/** @param {number} v */
const u32 = (v) => new Uint8Array([(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);

/** @param {Uint8Array} b */
const isZero = (b) => b.every((x) => x === 0);

/** Host keys in index order: ChillDKG's session parameters. @param {Epoch} e */
const sessionHostKeys = (e) => [...e.custodians].sort((a, b) => a.index - b.index).map((c) => c.hostKey ?? '');

/**
 * The public outcome of recovery data (shared/src/dkg/public.ts epochFromRecovery,
 * BIP deserialize_recovery_data and recover): null if it does not parse, its
 * parameters are invalid, the certificate does not verify, or a commitment is ∞.
 * @param {Uint8Array} bytes @returns {Promise<EpochKeys | null>}
 */
async function epochFromRecovery(bytes) {
  if (bytes.length < 4) return null;
  const t = ((bytes[0] ?? 0) * 2 ** 24) + (((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0));
  if ((bytes.length - 4) / 33 < t) return null;
  /** @type {ReturnType<typeof decodePoint>[]} */
  const sumComs = [];
  for (let k = 0; k < t; k++) {
    const b = bytes.subarray(4 + 33 * k, 4 + 33 * (k + 1));
    if (isZero(b)) sumComs.push(null);
    else {
      const pt = decodePoint(b);
      if (pt === null) return null;
      sumComs.push(pt);
    }
  }
  let off = 4 + 33 * t;
  const per = 33 + 33 + 32 + 64;
  if ((bytes.length - off) % per !== 0) return null;
  const n = (bytes.length - off) / per;
  const hostpubkeys = Array.from({ length: n }, (_, i) => bytes.subarray(off + 33 * i, off + 33 * (i + 1)));
  off += 66 * n;
  for (let i = 0; i < n; i++) if (toBigInt(bytes.subarray(off + 32 * i, off + 32 * (i + 1))) >= ORDER) return null;
  off += 32 * n;
  const eqInput = bytes.subarray(0, off);
  // validate_params: 1 ≤ t ≤ n, valid and distinct host keys.
  if (!(t >= 1 && t <= n)) return null;
  if (hostpubkeys.some((pk) => decodePoint(pk) === null)) return null;
  const hex = hostpubkeys.map(bytesToHex);
  if (new Set(hex).size !== n) return null;
  for (let i = 0; i < n; i++) {
    const sig = bytes.subarray(off + 64 * i, off + 64 * (i + 1));
    if (!(await schnorrVerifyAny(sig, concatBytes(CERTEQ_PREFIX, u32(i), eqInput), /** @type {Uint8Array} */ (hostpubkeys[i]).subarray(1, 33)))) return null;
  }
  // BIP341 unspendable tweak on C_0 (shared/src/dkg/vss.ts taprootTweak).
  const pk = sumComs[0];
  if (pk === null || pk === undefined) return null;
  const tweak = toBigInt(await taggedHash('TapTweak', /** @type {Uint8Array} */ (encodePoint(pk)).subarray(1)));
  if (tweak >= ORDER) return null;
  const tweaked = [addPoints(pk, mulBase(tweak)), ...sumComs.slice(1)];
  const encoded = tweaked.map(encodePoint);
  if (encoded.some((e) => e === null)) return null;
  const commitments = encoded.map((e) => bytesToHex(/** @type {Uint8Array} */ (e)));
  return { threshold: t, hostKeys: hex, groupKey: /** @type {string} */ (commitments[0]), commitments };
}

/**
 * Whether `entry` activates its epoch in `registry` (shared judgeEpochEntry).
 * @param {Record<string, any>} entry @param {Registry} registry @returns {Promise<EpochVerdict>}
 */
async function judgeEpochEntry(entry, registry) {
  const e = (Array.isArray(registry?.epochs) ? registry.epochs : []).find((x) => x.epoch === entry.epoch);
  if (!e) return { ok: false, code: 'UNKNOWN_EPOCH', message: `epoch ${entry.epoch} is not in the registry` };
  if (e.groupKey !== undefined) return { ok: false, code: 'NOT_PROPOSED', message: `epoch ${entry.epoch} is not a proposed epoch: it has its keys already` };
  if (e.reshareOf !== undefined) return judgeReshareEntry(entry, e, registry);
  /** @type {EpochKeys | null} */
  let keys = null;
  try {
    keys = typeof entry.recoveryData === 'string' ? await epochFromRecovery(base64ToBytes(entry.recoveryData, 'recoveryData')) : null;
  } catch (err) {
    if (!(err instanceof RangeError || err instanceof TypeError)) throw err;
  }
  if (keys === null) return { ok: false, code: 'BAD_RECOVERY_DATA', message: `epoch ${entry.epoch}: the recovery data does not parse or its certificate does not verify` };
  if (keys.threshold !== e.threshold) return { ok: false, code: 'THRESHOLD_MISMATCH', message: `epoch ${entry.epoch}: the session's threshold is ${keys.threshold}, the registry's ${e.threshold}` };
  const expected = sessionHostKeys(e);
  if (expected.length !== keys.hostKeys.length || expected.some((k, i) => k !== keys?.hostKeys[i])) {
    return { ok: false, code: 'HOST_KEYS_MISMATCH', message: `epoch ${entry.epoch}: the certificate is not by the registry's host keys in index order` };
  }
  if (entry.groupKey !== keys.groupKey) return { ok: false, code: 'GROUP_KEY_MISMATCH', message: `epoch ${entry.epoch}: groupKey is not the session's threshold key` };
  const c = Array.isArray(entry.commitments) ? entry.commitments : [];
  if (c.length !== keys.commitments.length || c.some((x, i) => x !== keys?.commitments[i])) {
    return { ok: false, code: 'COMMITMENTS_MISMATCH', message: `epoch ${entry.epoch}: commitments are not the session's summed commitments` };
  }
  return { ok: true, keys };
}

// ## Reshares (§3.9)

/** The active epoch that reshared `epoch` (the lowest-numbered), or undefined (shared rules/epochs.ts successorOf). @param {Registry} registry @param {number} epoch */
function successorOf(registry, epoch) {
  return registry.epochs.filter((x) => x.reshareOf === epoch && x.groupKey !== undefined && x.epoch > epoch).reduce((/** @type {Epoch | undefined} */ a, b) => (a === undefined || b.epoch < a.epoch ? b : a), undefined);
}

/** O's custodians in index order with X_i at O's rank points (§3.1), as hex; null without usable commitments. @param {Epoch} o */
function oldCommitteeOf(o) {
  if (!Array.isArray(o.commitments)) return null;
  const commitments = o.commitments.map((h) => (typeof h === 'string' && /^[0-9a-f]{66}$/.test(h) ? decodePoint(hexToBytes(h)) : null));
  if (commitments.some((c) => c === null)) return null;
  const indices = o.custodians.map((c) => c.index).sort((a, b) => a - b);
  const out = [];
  for (const [k, index] of indices.entries()) {
    const X = encodePoint(evalCommitments(commitments, k + 1));
    if (X === null) return null;
    out.push({ index, publicShare: bytesToHex(X) });
  }
  return out;
}

/** @param {readonly unknown[]} a @param {readonly unknown[]} b */
const sameList = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * An `epoch` entry for proposed epoch e with `reshareOf: O` (shared
 * judgeReshareEntry): OLD_EPOCH_NOT_ACTIVE, OLD_EPOCH_SUPERSEDED, the
 * recovery data (BAD_RECOVERY_DATA, DEALING_CONSTANT_MISMATCH,
 * GROUP_KEY_CHANGED: reshare.js), SESSION_MISMATCH, OLD_EPOCH_MISMATCH,
 * THRESHOLD_MISMATCH, HOST_KEYS_MISMATCH, GROUP_KEY_MISMATCH, COMMITMENTS_MISMATCH.
 * @param {Record<string, any>} entry @param {Epoch} e @param {Registry} registry @returns {Promise<EpochVerdict>}
 */
async function judgeReshareEntry(entry, e, registry) {
  const n = entry.epoch;
  const o = registry.epochs.find((x) => x.epoch === e.reshareOf);
  const oldCommittee = o?.groupKey === undefined ? null : oldCommitteeOf(o);
  if (!o || oldCommittee === null) return { ok: false, code: 'OLD_EPOCH_NOT_ACTIVE', message: `epoch ${n} reshares epoch ${e.reshareOf}, which is not active` };
  const successor = successorOf(registry, o.epoch);
  if (successor !== undefined) return { ok: false, code: 'OLD_EPOCH_SUPERSEDED', message: `epoch ${n} reshares epoch ${o.epoch}, whose key epoch ${successor.epoch} already holds` };
  let verdict;
  try {
    verdict = typeof entry.recoveryData === 'string' ? await epochFromReshare(base64ToBytes(entry.recoveryData, 'recoveryData')) : null;
  } catch (err) {
    if (!(err instanceof RangeError || err instanceof TypeError)) throw err;
    verdict = null;
  }
  if (verdict === null) return { ok: false, code: 'BAD_RECOVERY_DATA', message: `epoch ${n}: the recovery data is not base64` };
  if (!verdict.ok) return { ok: false, code: verdict.code, message: `epoch ${n}: ${verdict.message}` };
  const keys = verdict.keys;
  if (keys.session !== entry.session) return { ok: false, code: 'SESSION_MISMATCH', message: `epoch ${n}: the recovery data is of session ${keys.session}, not ${entry.session}` };
  const sameOld =
    keys.oldEpoch === o.epoch &&
    keys.epoch === n &&
    keys.oldThreshold === o.threshold &&
    keys.groupKey === o.groupKey &&
    sameList(keys.oldCommittee.map((c) => `${c.index}:${c.publicShare}`), oldCommittee.map((c) => `${c.index}:${c.publicShare}`));
  if (!sameOld) return { ok: false, code: 'OLD_EPOCH_MISMATCH', message: `epoch ${n}: the reshare is not of epoch ${o.epoch} as the registry has it (epochs, t_O, group key or old public shares)` };
  if (keys.threshold !== e.threshold) return { ok: false, code: 'THRESHOLD_MISMATCH', message: `epoch ${n}: the reshare's threshold is ${keys.threshold}, the registry's ${e.threshold}` };
  const indices = e.custodians.map((c) => c.index).sort((a, b) => a - b);
  if (!sameList(keys.indices, indices) || !sameList(keys.hostKeys, sessionHostKeys(e))) {
    return { ok: false, code: 'HOST_KEYS_MISMATCH', message: `epoch ${n}: the certificate is not by the registry's custodians and host keys in index order` };
  }
  if (entry.groupKey !== keys.groupKey) return { ok: false, code: 'GROUP_KEY_MISMATCH', message: `epoch ${n}: groupKey is not the reshared group key` };
  if (!Array.isArray(entry.commitments) || !sameList(entry.commitments, keys.commitments)) return { ok: false, code: 'COMMITMENTS_MISMATCH', message: `epoch ${n}: commitments are not the reshare's C'` };
  return { ok: true, keys };
}

/**
 * The registry in force: each proposed epoch that a valid entry of
 * `epochEntries` (log order, the first valid one per epoch) activates gets
 * its groupKey and commitments (shared resolveRegistry). Each entry is judged
 * against what the earlier ones activated: a reshare needs its old epoch's key.
 * @param {Registry} registry @param {readonly Record<string, any>[]} epochEntries @returns {Promise<Registry>}
 */
async function resolveRegistry(registry, epochEntries) {
  let resolved = registry;
  /** @type {Set<number>} */
  const activated = new Set();
  for (const entry of epochEntries) {
    if (activated.has(entry.epoch)) continue;
    const verdict = await judgeEpochEntry(entry, resolved);
    if (!verdict.ok) continue;
    activated.add(entry.epoch);
    const { groupKey, commitments } = verdict.keys;
    resolved = { ...resolved, epochs: resolved.epochs.map((e) => (e.epoch === entry.epoch ? { ...e, groupKey, commitments: [...commitments] } : e)) };
  }
  return resolved;
}

/**
 * Whether a `dkg` entry may stand in the log (shared judgeDkgEntry).
 * @param {Record<string, any>} entry @param {Registry} registry
 * @returns {Promise<{ ok: true } | { ok: false, code: string, message: string }>}
 */
async function judgeDkgEntry(entry, registry) {
  const epochs = Array.isArray(registry?.epochs) ? registry.epochs : [];
  const e = epochs.find((x) => x.epoch === entry.epoch);
  if (!e) return { ok: false, code: 'UNKNOWN_EPOCH', message: `epoch ${entry.epoch} is not in the registry` };
  if (e.groupKey !== undefined) return { ok: false, code: 'NOT_PROPOSED', message: `epoch ${entry.epoch} is not a proposed epoch` };
  if (entry.step === 'dealers' && e.reshareOf === undefined) return { ok: false, code: 'WRONG_STEP', message: `epoch ${entry.epoch} runs a DKG, not a reshare: it has no dealers step` };
  if (!DKG_PARTICIPANT_STEPS.includes(entry.step)) return { ok: true };
  // In a reshare (§3.9) the dealers' steps are by O's custodians, the receivers' by N's.
  const dealing = e.reshareOf !== undefined && (entry.step === 'commit' || entry.step === 'reveal');
  const committee = dealing ? epochs.find((x) => x.epoch === e.reshareOf) : e;
  const custodian = committee?.custodians.find((c) => c.index === entry.custodian);
  if (!custodian) return { ok: false, code: 'UNKNOWN_CUSTODIAN', message: `custodian ${entry.custodian} is not a custodian of epoch ${committee?.epoch ?? e.reshareOf}` };
  if (!(await verifyRecordSignature(entry, 'dkg', entry.signature, custodian.signingKey))) {
    return { ok: false, code: 'BAD_SIGNATURE', message: `the ${entry.step} of custodian ${entry.custodian} does not verify` };
  }
  return { ok: true };
}

/**
 * Whether a `share-destroyed` statement may stand (shared rules/shareDestroyed.ts,
 * §3.9), against the registry resolved by the `epoch` entries before it:
 * UNKNOWN_EPOCH, NOT_SUPERSEDED (O has no active successor yet, or another
 * one), UNKNOWN_CUSTODIAN, BAD_SIGNATURE (kind `share-destroyed`).
 * @param {Record<string, any>} entry @param {Registry} registry
 * @returns {Promise<{ ok: true } | { ok: false, code: string, message: string }>}
 */
async function judgeShareDestroyed(entry, registry) {
  const o = (Array.isArray(registry?.epochs) ? registry.epochs : []).find((x) => x.epoch === entry.epoch);
  if (!o) return { ok: false, code: 'UNKNOWN_EPOCH', message: `epoch ${entry.epoch} is not in the registry` };
  const successor = successorOf(registry, o.epoch);
  if (successor?.epoch !== entry.successor) {
    return {
      ok: false,
      code: 'NOT_SUPERSEDED',
      message: successor === undefined ? `epoch ${o.epoch} has no active successor yet: its shares must live until the reshare into ${entry.successor} is logged` : `epoch ${o.epoch}'s key moved to epoch ${successor.epoch}, not ${entry.successor}`,
    };
  }
  const custodian = o.custodians.find((c) => c.index === entry.custodian);
  if (!custodian) return { ok: false, code: 'UNKNOWN_CUSTODIAN', message: `custodian ${entry.custodian} is not a custodian of epoch ${o.epoch}` };
  if (!(await verifyRecordSignature(entry, 'share-destroyed', entry.signature, custodian.signingKey))) {
    return { ok: false, code: 'BAD_SIGNATURE', message: `the share-destroyed statement of custodian ${entry.custodian} does not verify` };
  }
  return { ok: true };
}

export { epochFromRecovery, judgeDkgEntry, judgeEpochEntry, judgeShareDestroyed, resolveRegistry, sessionHostKeys, successorOf };
