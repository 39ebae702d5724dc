/**
 * Resharing with the same group key (docs/PROTOCOL.md §3.9; Desmedt–Jajodia,
 * Wong–Wang–Wing): the custodians of active epoch O deal their shares to the
 * committee of proposed epoch N, and N's shares are a new t_N-of-n_N sharing
 * of the same secret, so the group key Y and every envelope sealed to it stay.
 *
 *   Q: ≥ t_O dealers of O, ascending, with valid dealings and no valid complaint
 *   λ_i: Lagrange coefficients at 0 over the dealers' POINTS p_i (ranks in O)
 *   x'_j = Σ_{i∈Q} λ_i·s_{i,j};  C'_k = Σ_{i∈Q} λ_i·C_{i,k};  X'_j = Σ_k q_j^k·C'_k
 *   C'_0 = Σ λ_i·X_i must equal Y (GROUP_KEY_CHANGED otherwise)
 *
 * Each new custodian checks every dealing of Q, combines, checks x'_j·G = X'_j
 * and then signs the transcript with its host key (the CertEq shape,
 * certeq.ts); the n_N signatures in rank order are the certificate:
 *
 *   transcript = H("custodes/v1/reshare transcript", ctx ‖ u8(|Q|) ‖ dealings of Q)
 *   recovery   = params ‖ u8(|Q|) ‖ dealing × |Q| ‖ sig × n_N
 *
 * The recovery data holds sub-shares only encrypted: with O's public shares
 * (inside params) anyone recomputes Y, C', X' (epochFromReshare), and a new
 * custodian recovers its share from its host secret key alone
 * (participantRecoverReshare). No function here ever sees x_i and x'_j of
 * more than one custodian, nor the group secret.
 */
import { abytes, bytesToHex, concatBytes } from '../crypto/bytes';
import { mul } from '../crypto/group';
import { certeqSign, certeqVerify } from './certeq';
import { SIG_LEN } from './codec';
import { ReshareError } from './errors';
import type { EpochKeys } from './public';
import { combinePublic, encodeOutput, parseRecovery, qualifiedDealings, receiveWith, transcriptHash, verifyRecovery } from './reshareCombine';
import type { ReshareOutput, ReshareReceived } from './reshareCombine';
import { complaintWith, judgeComplaint } from './reshareComplaint';
import type { Convicted } from './reshareComplaint';
import { checkDealing, dealWith, openSubshare, receiverOf } from './reshareDealing';
import type { ParsedDealing } from './reshareDealing';
import { resolveParams, uuidString } from './reshareParams';
import type { ReshareParams } from './reshareParams';

/**
 * What a reshare's recovery data proves, as the JSON hex of §4.2: EpochKeys
 * (threshold t_N, hostKeys and publicShares in rank order, groupKey,
 * commitments) plus the old epoch's side.
 */
interface ReshareEpochKeys extends EpochKeys {
  readonly oldEpoch: number;
  readonly epoch: number;
  /** The session UUID. */
  readonly session: string;
  readonly oldThreshold: number;
  /** N's custodian indices, ascending (publicShares[k] is indices[k]'s). */
  readonly indices: readonly number[];
  readonly oldCommittee: readonly { readonly index: number; readonly publicShare: string }[];
  readonly qualified: readonly number[];
}

// ## API

/**
 * The public outcome of dealings of Q (ascending by dealer): each passes
 * verifyDealingPublic, |Q| ≥ t_O, C'_0 = Y. Throws BAD_PARAMS, BAD_DEALING,
 * DEALING_CONSTANT_MISMATCH, BAD_QUALIFIED_SET, NOT_ENOUGH_DEALERS,
 * GROUP_KEY_CHANGED, DEGENERATE_COMMITMENT.
 */
function reshareOutput(params: ReshareParams, dealings: readonly Uint8Array[]): ReshareOutput {
  const rp = resolveParams(params);
  const q = qualifiedDealings(rp, dealings);
  return encodeOutput(q, combinePublic(rp, q));
}


/**
 * Old custodian `dealer` (an index of O) deals its 32-byte share with 32
 * bytes of fresh `random`. Returns the dealing bytes. Throws BAD_PARAMS,
 * SHARE_MISMATCH; RangeError for wrong lengths or all-zero `random`.
 */
function dealReshare(params: ReshareParams, share: Uint8Array, dealer: number, random: Uint8Array): Uint8Array {
  return dealWith(resolveParams(params), share, dealer, random);
}

/**
 * What anyone checks of a dealing (before it may enter Q): parses for these
 * parameters, from `expectedDealer` if given (an old custodian), C_{i,0} = X_i.
 * Returns the dealer's index. Throws BAD_PARAMS, BAD_DEALING, DEALING_CONSTANT_MISMATCH.
 */
function verifyDealingPublic(params: ReshareParams, dealing: Uint8Array, expectedDealer?: number): number {
  return checkDealing(resolveParams(params), dealing, expectedDealer).dealer;
}

/**
 * A new custodian's complaint against one dealing, or null if its sub-share
 * verifies. For the check of every posted dealing before Q is chosen.
 * Throws HOST_SECKEY and the verifyDealingPublic codes.
 */
function checkSubshare(params: ReshareParams, hostseckey: Uint8Array, dealing: Uint8Array): Uint8Array | null {
  const rp = resolveParams(params);
  const { position, d: sk } = receiverOf(rp, hostseckey);
  const d = checkDealing(rp, dealing);
  return openSubshare(rp, d, position, mul(d.R, sk)) === null ? complaintWith(rp, hostseckey, d) : null;
}

/**
 * The holder of `hostseckey`'s complaint against `dealing` (99 bytes),
 * whatever its sub-share: verifyComplaint decides who is convicted. `w`
 * (the proof nonce) may be fixed for known-answer tests only.
 */
function makeComplaint(params: ReshareParams, hostseckey: Uint8Array, dealing: Uint8Array, w?: bigint): Uint8Array {
  const rp = resolveParams(params);
  return complaintWith(rp, hostseckey, checkDealing(rp, dealing), w);
}

/** Who `complaint` against `dealing` convicts ('dealer' or 'complainer'); never throws for bad bytes. */
function verifyComplaint(params: ReshareParams, dealing: Uint8Array, complaint: Uint8Array): Convicted {
  return judgeComplaint(resolveParams(params), dealing, complaint);
}

/**
 * The coordinator's choice of Q (§3.9): the first t_O dealers by index whose
 * dealing passes verifyDealingPublic and against whom no complaint convicts
 * the dealer (a complaint that convicts its complainer changes nothing).
 * `dealings` in any order, at most one per dealer (BAD_QUALIFIED_SET for a
 * second); returns Q's dealings ascending. Throws BAD_PARAMS, NOT_ENOUGH_DEALERS.
 */
function selectQualified(params: ReshareParams, dealings: readonly Uint8Array[], complaints: readonly Uint8Array[]): Uint8Array[] {
  const rp = resolveParams(params);
  if (!Array.isArray(dealings) || !Array.isArray(complaints)) throw new TypeError('dealings and complaints must be arrays');
  complaints.forEach((c, k) => abytes(c, undefined, `complaints[${k}]`));
  const valid = new Map<number, Uint8Array>();
  for (const dealing of dealings) {
    let d: ParsedDealing;
    try {
      d = checkDealing(rp, dealing);
    } catch (err) {
      if (err instanceof ReshareError) continue;
      throw err;
    }
    if (valid.has(d.dealer)) throw new ReshareError('BAD_QUALIFIED_SET', `custodian ${d.dealer} has two dealings`, { dealer: d.dealer });
    if (complaints.some((c) => c[1] === d.dealer && judgeComplaint(rp, dealing, c) === 'dealer')) continue;
    valid.set(d.dealer, dealing);
  }
  const chosen = [...valid.keys()].sort((a, b) => a - b).slice(0, rp.params.oldThreshold);
  if (chosen.length < rp.params.oldThreshold) {
    throw new ReshareError('NOT_ENOUGH_DEALERS', `${chosen.length} dealers qualify, t_O is ${rp.params.oldThreshold}`);
  }
  return chosen.map((i) => valid.get(i)!);
}

/**
 * A new custodian's share from the dealings of Q (ascending by dealer):
 * every sub-share decrypted and checked, combined with λ over the dealers'
 * points, x'_j·G = X'_j. Throws the reshareOutput codes, HOST_SECKEY,
 * BAD_SUBSHARE (with `dealer` and the `complaint` to publish), PUBLIC_SHARE_MISMATCH.
 */
function receiveReshare(params: ReshareParams, hostseckey: Uint8Array, dealings: readonly Uint8Array[]): ReshareReceived {
  return receiveWith(resolveParams(params), hostseckey, dealings);
}

/**
 * The new custodian's certificate signature (64 bytes, BIP340 under its host
 * key, message "custodes/v1/reshare certificate" padded to 33 ‖ u32(q_j − 1)
 * ‖ transcript), made only after receiveReshare succeeds on the same
 * dealings. Throws what receiveReshare throws.
 */
function reshareAckSign(params: ReshareParams, hostseckey: Uint8Array, dealings: readonly Uint8Array[], auxRand: Uint8Array): Uint8Array {
  abytes(auxRand, 32, 'auxRand');
  const rp = resolveParams(params);
  const received = receiveWith(rp, hostseckey, dealings);
  received.share.fill(0);
  return certeqSign('reshare-certificate', hostseckey, received.point - 1, transcriptHash(rp, dealings), auxRand);
}

/** Whether `signature` is new custodian `index`'s certificate signature on these dealings (false for anything malformed). */
function reshareAckVerify(params: ReshareParams, dealings: readonly Uint8Array[], index: number, signature: Uint8Array): boolean {
  const rp = resolveParams(params);
  const position = rp.receivers.findIndex((r) => r.index === index);
  if (position < 0 || !(signature instanceof Uint8Array)) return false;
  return certeqVerify('reshare-certificate', rp.receivers[position]!.hostKey, position, transcriptHash(rp, dealings), signature);
}

/**
 * The recovery data (params ‖ u8(|Q|) ‖ dealings of Q ‖ certificate) after
 * checking everything epochFromReshare checks. `signatures` are the n_N
 * certificate signatures in rank order. Throws the epochFromReshare codes.
 */
function reshareRecoveryData(params: ReshareParams, dealings: readonly Uint8Array[], signatures: readonly Uint8Array[]): Uint8Array {
  const rp = resolveParams(params);
  if (!Array.isArray(signatures) || signatures.length !== rp.receivers.length) {
    throw new RangeError(`signatures must have one entry per new custodian (${rp.receivers.length})`);
  }
  signatures.forEach((s, k) => abytes(s, SIG_LEN, `signatures[${k}]`));
  dealings.forEach((d, k) => abytes(d, undefined, `dealings[${k}]`));
  if (dealings.length > 255) throw new ReshareError('BAD_QUALIFIED_SET', 'Q has more than 255 dealers');
  const data = concatBytes(rp.bytes, Uint8Array.of(dealings.length), ...dealings, ...signatures);
  verifyRecovery(data);
  return data;
}

/**
 * What reshare recovery data proves, for everyone (coordinator, auditor,
 * explorer): the certificate by N's host keys in rank order
 * (BAD_CERTIFICATE), every dealing of Q valid with C_{i,0} = X_i, |Q| ≥ t_O,
 * C'_0 = Y (the reshareOutput codes); RECOVERY_DATA if it does not parse.
 * The caller compares the parameters with the registry (judgeEpochEntry).
 */
function epochFromReshare(recoveryData: Uint8Array): ReshareEpochKeys {
  abytes(recoveryData, undefined, 'recoveryData');
  const { rp, q, combined } = verifyRecovery(recoveryData);
  const p = rp.params;
  const out = encodeOutput(q, combined);
  return {
    oldEpoch: p.oldEpoch,
    epoch: p.newEpoch,
    session: uuidString(p.session),
    oldThreshold: p.oldThreshold,
    threshold: p.newThreshold,
    indices: rp.receivers.map((r) => r.index),
    hostKeys: rp.receivers.map((r) => bytesToHex(r.hostKey)),
    groupKey: bytesToHex(out.groupKey),
    commitments: out.commitments.map(bytesToHex),
    publicShares: out.publicShares.map(bytesToHex),
    oldCommittee: p.oldCommittee.map((c) => ({ index: c.index, publicShare: bytesToHex(c.publicShare) })),
    qualified: out.qualified,
  };
}

/**
 * A new custodian's share from its 32-byte host secret key and the recovery
 * data alone (as ChillDKG's participantRecover). Throws the epochFromReshare
 * codes, HOST_SECKEY, BAD_SUBSHARE, PUBLIC_SHARE_MISMATCH.
 */
function participantRecoverReshare(hostseckey: Uint8Array, recoveryData: Uint8Array): { received: ReshareReceived; keys: ReshareEpochKeys; params: ReshareParams } {
  abytes(hostseckey, 32, 'hostseckey');
  const keys = epochFromReshare(recoveryData);
  const { rp, dealings } = parseRecovery(recoveryData);
  return { received: receiveWith(rp, hostseckey, dealings), keys, params: rp.params };
}

export {
  checkSubshare,
  dealReshare,
  epochFromReshare,
  makeComplaint,
  participantRecoverReshare,
  receiveReshare,
  reshareAckSign,
  reshareAckVerify,
  reshareOutput,
  reshareRecoveryData,
  selectQualified,
  verifyComplaint,
  verifyDealingPublic,
  type ReshareEpochKeys,
  type ReshareOutput,
  type ReshareReceived,
};
