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
 * - judgeDkgEntry: a participant's step is signed (kind `dkg`) by that
 *   custodian of a proposed epoch.
 * - resolveRegistry: the registry in force with each proposed epoch that a
 *   valid entry activates given its keys (the first valid one per epoch).
 *
 * Everything here reads attacker-controlled entries: malformed input is
 * refused, never trusted. Public data only: no share, no secret.
 */
import { base64ToBytes, bytesToHex, concatBytes, utf8Encode } from './bytes.js';
import { addPoints, decodePoint, encodePoint, mulBase, ORDER, schnorrVerifyAny, taggedHash, toBigInt } from './bip340.js';
import { verifyRecordSignature } from './rules.js';

/** @typedef {import('./rules.js').Registry} Registry */
/** @typedef {import('./rules.js').Epoch} Epoch */
/** @typedef {{ threshold: number, hostKeys: string[], groupKey: string, commitments: string[] }} EpochKeys */
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

/**
 * The registry in force: each proposed epoch that a valid entry of
 * `epochEntries` (log order, the first valid one per epoch) activates gets
 * its groupKey and commitments (shared resolveRegistry).
 * @param {Registry} registry @param {readonly Record<string, any>[]} epochEntries @returns {Promise<Registry>}
 */
async function resolveRegistry(registry, epochEntries) {
  /** @type {Map<number, EpochKeys>} */
  const activated = new Map();
  for (const entry of epochEntries) {
    if (activated.has(entry.epoch)) continue;
    const verdict = await judgeEpochEntry(entry, registry);
    if (verdict.ok) activated.set(entry.epoch, verdict.keys);
  }
  if (activated.size === 0) return registry;
  const epochs = registry.epochs.map((e) => {
    const keys = activated.get(e.epoch);
    return keys ? { ...e, groupKey: keys.groupKey, commitments: [...keys.commitments] } : e;
  });
  return { ...registry, epochs };
}

/**
 * Whether a `dkg` entry may stand in the log (shared judgeDkgEntry).
 * @param {Record<string, any>} entry @param {Registry} registry
 * @returns {Promise<{ ok: true } | { ok: false, code: string, message: string }>}
 */
async function judgeDkgEntry(entry, registry) {
  const e = (Array.isArray(registry?.epochs) ? registry.epochs : []).find((x) => x.epoch === entry.epoch);
  if (!e) return { ok: false, code: 'UNKNOWN_EPOCH', message: `epoch ${entry.epoch} is not in the registry` };
  if (e.groupKey !== undefined) return { ok: false, code: 'NOT_PROPOSED', message: `epoch ${entry.epoch} is not a proposed epoch` };
  if (!DKG_PARTICIPANT_STEPS.includes(entry.step)) return { ok: true };
  const custodian = e.custodians.find((c) => c.index === entry.custodian);
  if (!custodian) return { ok: false, code: 'UNKNOWN_CUSTODIAN', message: `custodian ${entry.custodian} is not a custodian of epoch ${entry.epoch}` };
  if (!(await verifyRecordSignature(entry, 'dkg', entry.signature, custodian.signingKey))) {
    return { ok: false, code: 'BAD_SIGNATURE', message: `the ${entry.step} of custodian ${entry.custodian} does not verify` };
  }
  return { ok: true };
}

export { epochFromRecovery, judgeDkgEntry, judgeEpochEntry, resolveRegistry, sessionHostKeys };
