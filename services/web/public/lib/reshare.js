// @ts-check
/**
 * Reshare recovery data (docs/PROTOCOL.md §3.9), ported to browser JS from
 * shared/src/dkg/reshare.ts, reshareCombine.ts, reshareDealing.ts and
 * reshareParams.ts: what anyone can check of a reshare from the log alone.
 *
 *   recovery data = params ‖ u8(|Q|) ‖ dealings of Q ‖ certificate (64·n_N)
 *   params = u32(O) ‖ u32(N) ‖ session (16) ‖ u8(t_O) ‖ u8(t_N) ‖ Y (33)
 *            ‖ u8(n_O) ‖ (u8(i) ‖ X_i)* ‖ u8(n_N) ‖ (u8(j) ‖ hostkey_j)*
 *   dealing = u8(i) ‖ pubnonce (33) ‖ C_{i,0} … C_{i,t_N−1} ‖ enc_{i,j} (32·n_N)
 *
 * The same checks in the same order as epochFromReshare: the parameters
 * parse and are valid, every certificate signature verifies, each dealing
 * parses with C_{i,0} = X_i (DEALING_CONSTANT_MISMATCH), Q is ascending with
 * |Q| ≥ t_O, C' = Σ λ_i·C_i (λ over the dealers' RANK points, §3.1) has
 * C'_0 = Y (GROUP_KEY_CHANGED), no C'_k or X'_j is ∞. Everything else is
 * BAD_RECOVERY_DATA. About t_O·t_N + n_N·t_N point multiplications and n_N
 * Schnorr verifications: cheap enough to run for every reshare shown.
 * The sub-shares stay encrypted: only their receivers can check them.
 *
 * Everything here reads attacker-controlled bytes: malformed input is
 * refused, never trusted. Public data only.
 */
import { bytesToHex, concatBytes, equalBytes, utf8Encode } from './bytes.js';
import { addPoints, decodePoint, encodePoint, mulPoint, ORDER, schnorrVerifyAny, taggedHash, toBigInt } from './bip340.js';

/** @typedef {ReturnType<typeof decodePoint>} Point */
/**
 * @typedef {{ oldEpoch: number, epoch: number, session: string, oldThreshold: number, threshold: number, indices: number[],
 *   hostKeys: string[], groupKey: string, commitments: string[], publicShares: string[],
 *   oldCommittee: { index: number, publicShare: string }[], qualified: number[] }} ReshareKeys
 */
/** @typedef {{ ok: true, keys: ReshareKeys } | { ok: false, code: 'BAD_RECOVERY_DATA' | 'DEALING_CONSTANT_MISMATCH' | 'GROUP_KEY_CHANGED', message: string }} ReshareVerdict */

const MAX_CUSTODIANS = 255;
const POINT_LEN = 33;
const SIG_LEN = 64;

/** shared/src/dkg/certeq.ts 'reshare-certificate': the text zero-padded to 33 bytes. */
const CERT_PREFIX = (() => {
  const prefix = new Uint8Array(POINT_LEN);
  prefix.set(utf8Encode('custodes/v1/reshare certificate'));
  return prefix;
})();

/** @param {number} v */
const u32 = (v) => new Uint8Array([(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
/** @param {bigint} a */
const modN = (a) => ((a % ORDER) + ORDER) % ORDER;

/** a^(n−2) mod n: the inverse of a ≠ 0 mod the group order. @param {bigint} a */
function invN(a) {
  let result = 1n;
  let b = modN(a);
  for (let e = ORDER - 2n; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % ORDER;
    b = (b * b) % ORDER;
  }
  return result;
}

/** @param {string} code @param {string} message @returns {ReshareVerdict} */
const fail = (code, message) => /** @type {ReshareVerdict} */ ({ ok: false, code, message });
/** @param {string} message */
const bad = (message) => fail('BAD_RECOVERY_DATA', message);

/** Lower-case UUID of 16 bytes (shared reshareParams uuidString). @param {Uint8Array} b */
function uuidString(b) {
  const h = bytesToHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Σ_k p^k·C_k: the public share at point p (§3.1). @param {Point[]} commitments @param {number} p @returns {Point} */
function evalCommitments(commitments, p) {
  /** @type {Point} */
  let acc = null;
  let power = 1n;
  for (const c of commitments) {
    acc = addPoints(acc, mulPoint(c, power));
    power = modN(power * BigInt(p));
  }
  return acc;
}

/** Strictly ascending indices in [1, 255], non-empty. @param {number[]} indices */
const validCommittee = (indices) => indices.length >= 1 && indices.length <= MAX_CUSTODIANS && indices.every((x, k) => x >= 1 && x <= MAX_CUSTODIANS && (k === 0 || x > /** @type {number} */ (indices[k - 1])));

/**
 * The public outcome of reshare recovery data (shared epochFromReshare), or
 * the code of the first check that fails.
 * @param {Uint8Array} bytes @returns {Promise<ReshareVerdict>}
 */
async function epochFromReshare(bytes) {
  // ## Parameters (decodeParams, resolveParams)
  let at = 0;
  /** @param {number} len */
  const take = (len) => {
    if (at + len > bytes.length) return null;
    const out = bytes.subarray(at, at + len);
    at += len;
    return out;
  };
  const head = take(4 + 4 + 16 + 2 + POINT_LEN);
  if (head === null) return bad('recovery data is too short for its parameters');
  const oldEpoch = Number(toBigInt(head.subarray(0, 4)));
  const newEpoch = Number(toBigInt(head.subarray(4, 8)));
  const session = head.subarray(8, 24);
  const oldThreshold = /** @type {number} */ (head[24]);
  const newThreshold = /** @type {number} */ (head[25]);
  const groupKey = head.subarray(26, 26 + POINT_LEN);
  /** @returns {{ index: number, key: Uint8Array }[] | null} */
  const committee = () => {
    const n = take(1);
    if (n === null) return null;
    const out = [];
    for (let k = 0; k < /** @type {number} */ (n[0]); k++) {
      const c = take(1 + POINT_LEN);
      if (c === null) return null;
      out.push({ index: /** @type {number} */ (c[0]), key: c.subarray(1) });
    }
    return out;
  };
  const oldCommittee = committee();
  const newCommittee = oldCommittee && committee();
  if (!oldCommittee || !newCommittee) return bad('recovery data is too short for its parameters');
  const paramsBytes = bytes.subarray(0, at);
  if (oldEpoch >= newEpoch) return bad('invalid parameters: need oldEpoch < newEpoch');
  if (!(oldThreshold >= 1 && oldThreshold <= oldCommittee.length) || !(newThreshold >= 1 && newThreshold <= newCommittee.length)) return bad('invalid parameters: a threshold is out of range');
  if (!validCommittee(oldCommittee.map((c) => c.index)) || !validCommittee(newCommittee.map((c) => c.index))) return bad('invalid parameters: committee indices must be strictly ascending in [1, 255]');
  const Y = decodePoint(groupKey);
  if (Y === null) return bad('invalid parameters: groupKey is not a point');
  const X = oldCommittee.map((c) => decodePoint(c.key));
  if (X.some((x) => x === null)) return bad('invalid parameters: an old public share is not a point');
  if (newCommittee.some((c) => decodePoint(c.key) === null)) return bad('invalid parameters: a host key is not a point');
  if (new Set(newCommittee.map((c) => bytesToHex(c.key))).size !== newCommittee.length) return bad('invalid parameters: two new custodians have the same host key');
  // Points are ranks (§3.1): p_i for old custodian i, q_j = position + 1 for new custodian j.
  const oldByIndex = new Map(oldCommittee.map((c, k) => [c.index, { point: k + 1, key: c.key, X: X[k] }]));

  // ## Dealings and certificate (parseRecovery)
  const count = bytes[at];
  if (count === undefined) return bad('recovery data ends before the dealer count');
  const nN = newCommittee.length;
  const dl = 1 + POINT_LEN + POINT_LEN * newThreshold + 32 * nN;
  if (bytes.length !== at + 1 + count * dl + nN * SIG_LEN) return bad(`recovery data must be ${at + 1 + count * dl + nN * SIG_LEN} bytes, got ${bytes.length}`);
  const dealings = Array.from({ length: count }, (_, k) => bytes.subarray(at + 1 + k * dl, at + 1 + (k + 1) * dl));
  const sigAt = at + 1 + count * dl;
  const ctx = await taggedHash('custodes/v1/reshare', paramsBytes);
  const x = await taggedHash('custodes/v1/reshare transcript', ctx, Uint8Array.of(count), ...dealings);
  for (let k = 0; k < nN; k++) {
    const sig = bytes.subarray(sigAt + k * SIG_LEN, sigAt + (k + 1) * SIG_LEN);
    const host = /** @type {{ index: number, key: Uint8Array }} */ (newCommittee[k]);
    if (!(await schnorrVerifyAny(sig, concatBytes(CERT_PREFIX, u32(k), x), host.key.subarray(1, 33)))) return bad(`the certificate signature of custodian ${host.index} does not verify`);
  }

  // ## Q (qualifiedDealings, checkDealing)
  /** @type {{ dealer: number, point: number, commitments: Point[] }[]} */
  const q = [];
  for (const d of dealings) {
    const dealer = /** @type {number} */ (d[0]);
    const me = oldByIndex.get(dealer);
    if (!me) return bad(`dealing of custodian ${dealer}: not a custodian of the old epoch`);
    if (decodePoint(d.subarray(1, 1 + POINT_LEN)) === null) return bad(`dealing of custodian ${dealer}: pubnonce is not a point`);
    const commitments = Array.from({ length: newThreshold }, (_, k) => decodePoint(d.subarray(1 + POINT_LEN * (k + 1), 1 + POINT_LEN * (k + 2))));
    if (commitments.some((c) => c === null)) return bad(`dealing of custodian ${dealer}: a commitment is not a point`);
    const encAt = 1 + POINT_LEN * (newThreshold + 1);
    for (let j = 0; j < nN; j++) if (toBigInt(d.subarray(encAt + 32 * j, encAt + 32 * (j + 1))) >= ORDER) return bad(`dealing of custodian ${dealer}: an encrypted sub-share is not below n`);
    // Compressed encodings are canonical: equal bytes iff equal points.
    if (!equalBytes(d.subarray(1 + POINT_LEN, 1 + 2 * POINT_LEN), me.key)) return fail('DEALING_CONSTANT_MISMATCH', `dealing of custodian ${dealer}: C_0 is not its public share X_${dealer}`);
    q.push({ dealer, point: me.point, commitments });
  }
  if (q.some((d, k) => k > 0 && d.dealer <= /** @type {{ dealer: number }} */ (q[k - 1]).dealer)) return bad('the dealings of Q must be in strictly ascending dealer order, one per dealer');
  if (q.length < oldThreshold) return bad(`Q has ${q.length} dealers, t_O is ${oldThreshold}`);

  // ## C' and X' (combinePublic)
  const lambdas = q.map((d) => {
    let num = 1n;
    let den = 1n;
    for (const o of q) {
      if (o === d) continue;
      num = modN(num * BigInt(o.point));
      den = modN(den * BigInt(o.point - d.point));
    }
    return modN(num * invN(den));
  });
  const combined = Array.from({ length: newThreshold }, (_, k) => q.reduce((/** @type {Point} */ acc, d, m) => addPoints(acc, mulPoint(d.commitments[k] ?? null, /** @type {bigint} */ (lambdas[m]))), null));
  const encoded = combined.map(encodePoint);
  if (encoded[0] === null || encoded[0] === undefined || !equalBytes(encoded[0], groupKey)) return fail('GROUP_KEY_CHANGED', "C'_0 = Σ λ_i·X_i is not the group key Y");
  if (encoded.some((e) => e === null)) return bad("a C'_k is the point at infinity");
  const publicShares = newCommittee.map((_, k) => encodePoint(evalCommitments(combined, k + 1)));
  if (publicShares.some((e) => e === null)) return bad('a new public share is the point at infinity');
  const hex = (/** @type {Uint8Array | null} */ b) => bytesToHex(/** @type {Uint8Array} */ (b));
  return {
    ok: true,
    keys: {
      oldEpoch,
      epoch: newEpoch,
      session: uuidString(session),
      oldThreshold,
      threshold: newThreshold,
      indices: newCommittee.map((c) => c.index),
      hostKeys: newCommittee.map((c) => bytesToHex(c.key)),
      groupKey: hex(encoded[0]),
      commitments: encoded.map(hex),
      publicShares: publicShares.map(hex),
      oldCommittee: oldCommittee.map((c) => ({ index: c.index, publicShare: bytesToHex(c.key) })),
      qualified: q.map((d) => d.dealer),
    },
  };
}

export { epochFromReshare, evalCommitments };
