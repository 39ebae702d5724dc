/**
 * ChillDKG sessions (BIP ChillDKG, "Usage of ChillDKG" and "API
 * Documentation"; chilldkg.py): EncPedPop with the host keys as ECDH keys
 * and seed, and CertEq as the equality check.
 *
 *   participant                         coordinator
 *   participantStep1  ── pmsg1 ──▶     coordinatorStep1
 *   participantStep2  ◀── cmsg1 ──     (broadcast)
 *                     ── pmsg2 ──▶     coordinatorFinalize
 *   participantFinalize ◀── cmsg2 ──   (broadcast)
 *
 * On UnknownFaultyPartyError from participantStep2, the participant may ask
 * for its investigation message (coordinatorInvestigate) and call
 * participantInvestigate, which names a participant or the coordinator.
 *
 * Order of checks follows the reference exactly, because the first failing
 * check decides whom an error blames.
 */
import { abytes, concatBytes, equalBytes } from '../crypto/bytes';
import { encodePoint, scalarToBytes } from '../crypto/group';
import { certeqFirstInvalid, certeqSign } from './certeq';
import { DkgError, UnknownFaultyPartyError } from './errors';
import * as enc from './encpedpop';
import type { EncState } from './encpedpop';
import { encodeCinv, encodeCmsg1, encodeEqInput, encodePmsg1, MalformedMessage, parseCinv, parseCmsg1, parseCmsg2, parsePmsg1, parsePmsg2 } from './messages';
import type { Pmsg1 } from './messages';
import { aparams, hostpubkeyGen, participantIndex, validateParams } from './params';
import type { SessionParams } from './params';
import type { PointOutput } from './simplpedpop';

// ## Outputs and states

/** BIP `DKGOutput`: secshare (32 bytes, null for the coordinator), threshPk and pubshares (33 bytes each). */
interface DkgOutput {
  readonly secshare: Uint8Array | null;
  readonly threshPk: Uint8Array;
  readonly pubshares: readonly Uint8Array[];
}

/** After participantStep1; pass to exactly one participantStep2. */
interface ParticipantState1 {
  readonly params: SessionParams;
  readonly participant: number;
  readonly enc: EncState;
}

/** After participantStep2; holds the secret share. Pass to exactly one participantFinalize. */
interface ParticipantState2 {
  readonly params: SessionParams;
  readonly eqInput: Uint8Array;
  readonly output: DkgOutput;
}

interface CoordinatorState {
  readonly params: SessionParams;
  readonly eqInput: Uint8Array;
  readonly output: DkgOutput;
}

function encodeOutput(o: PointOutput): DkgOutput {
  return {
    secshare: o.secshare === null ? null : scalarToBytes(o.secshare),
    threshPk: encodePoint(o.threshPk),
    pubshares: o.pubshares.map(encodePoint),
  };
}

/** States keep their own copy: a caller changing its params later must not change a session. */
function copyParams(params: SessionParams): SessionParams {
  return { hostpubkeys: params.hostpubkeys.map((pk) => pk.slice()), t: params.t };
}

function astate<T extends object>(state: unknown, keys: readonly string[], name: string): T {
  if (typeof state !== 'object' || state === null || keys.some((k) => !(k in state))) {
    throw new TypeError(`${name} must be a state returned by the previous step`);
  }
  return state as T;
}

function amessages(list: unknown, n: number, name: string): Uint8Array[] {
  if (!Array.isArray(list)) throw new TypeError(`${name} must be an array`);
  list.forEach((m, i) => abytes(m, undefined, `${name}[${i}]`));
  if (list.length !== n) throw new RangeError(`${name} must have one entry per participant (${n}), got ${list.length}`);
  return list as Uint8Array[];
}

// ## Participant

/**
 * BIP participant_step1. Requires hostseckey (32 bytes) to match one of
 * params.hostpubkeys and 32 bytes of FRESH `random`, never all zero.
 * Returns the state and pmsg1 (33·t + 32·n + 97 bytes).
 * Throws HOST_SECKEY, INVALID_HOSTPUBKEY, DUPLICATE_HOSTPUBKEY, THRESHOLD_OR_COUNT, RANDOMNESS.
 */
function participantStep1(
  hostseckey: Uint8Array,
  params: SessionParams,
  random: Uint8Array,
): { state: ParticipantState1; pmsg1: Uint8Array } {
  abytes(hostseckey, 32, 'hostseckey');
  aparams(params);
  abytes(random, 32, 'random');
  const hostpubkey = hostpubkeyGen(hostseckey);
  validateParams(params);
  const own = copyParams(params);
  const { hostpubkeys, t } = own;
  const participant = participantIndex(hostpubkeys, hostpubkey);
  if (participant < 0) throw new DkgError('HOST_SECKEY', 'Host secret key does not match any host public key');
  // A broken RNG must not silently make the session deterministic.
  if (random.every((b) => b === 0)) throw new DkgError('RANDOMNESS', 'random must not be all zeroes');
  // ChillDKG reuses the host secret key as EncPedPop's seed and decryption key (BIP "DKG Protocol ChillDKG").
  const { state, pmsg } = enc.participantStep1(hostseckey, hostseckey, hostpubkeys, t, participant, random);
  return { state: { params: own, participant, enc: state }, pmsg1: encodePmsg1(pmsg) };
}

/**
 * BIP participant_step2: checks cmsg1 (162·n + 33·(t−1) bytes) and signs the
 * transcript with `auxRand` (32 bytes). Returns the state and pmsg2 (64 bytes).
 * Throws HOST_SECKEY (not the key of step 1), FAULTY_COORDINATOR,
 * FAULTY_PARTICIPANT_OR_COORDINATOR, UnknownFaultyPartyError.
 * After sending pmsg2, keep the host secret key: others may deem the session a success.
 */
function participantStep2(
  hostseckey: Uint8Array,
  state1: ParticipantState1,
  cmsg1: Uint8Array,
  auxRand: Uint8Array,
): { state: ParticipantState2; pmsg2: Uint8Array } {
  abytes(hostseckey, 32, 'hostseckey');
  const { params, participant, enc: encState } = astate<ParticipantState1>(state1, ['params', 'participant', 'enc'], 'state1');
  abytes(cmsg1, undefined, 'cmsg1');
  const hostpubkey = hostpubkeyGen(hostseckey);
  abytes(auxRand, 32, 'auxRand');
  const { hostpubkeys, t } = params;
  const n = hostpubkeys.length;
  if (!equalBytes(hostpubkeys[participant]!, hostpubkey)) {
    throw new DkgError('HOST_SECKEY', 'Host secret key does not match the one used in participant_step1');
  }
  let cmsg;
  try {
    cmsg = parseCmsg1(cmsg1, t, n);
  } catch (err) {
    if (err instanceof MalformedMessage) throw new DkgError('FAULTY_COORDINATOR', err.message, { cause: err });
    throw err;
  }
  const { output, sumComs } = enc.participantStep2(encState, hostseckey, cmsg, cmsg.encSecshares[participant]!);
  // ChillDKG's transcript adds all encrypted shares, so recovery needs only it and the host key.
  const eqInput = encodeEqInput({ t, sumComs, hostpubkeys, pubnonces: cmsg.pubnonces, encSecshares: cmsg.encSecshares });
  const pmsg2 = certeqSign('certeq', hostseckey, participant, eqInput, auxRand);
  return { state: { params, eqInput, output: encodeOutput(output) }, pmsg2 };
}

/**
 * BIP participant_finalize: cmsg2 is the certificate (64·n bytes). Returns the
 * output and the recovery data (eq_input ‖ cert). Throws FAULTY_COORDINATOR:
 * the coordinator checked every signature before sending, so a bad one is its fault.
 * An error does not mean the session failed for others: keep the host secret key.
 */
function participantFinalize(state2: ParticipantState2, cmsg2: Uint8Array): { output: DkgOutput; recoveryData: Uint8Array } {
  const { params, eqInput, output } = astate<ParticipantState2>(state2, ['params', 'eqInput', 'output'], 'state2');
  const cert = parseCmsg2(cmsg2, params.hostpubkeys.length);
  if (certeqFirstInvalid('certeq', params.hostpubkeys, eqInput, cert) >= 0) {
    throw new DkgError('FAULTY_COORDINATOR', 'Coordinator has provided a certificate with an invalid signature');
  }
  return { output, recoveryData: concatBytes(eqInput, cmsg2) };
}

/**
 * BIP participant_investigate, after participantStep2 threw `error`, with the
 * coordinator's investigation message for us (65·n bytes). Never returns:
 * throws FAULTY_PARTICIPANT_OR_COORDINATOR (participant) or FAULTY_COORDINATOR.
 */
function participantInvestigate(error: UnknownFaultyPartyError, cinv: Uint8Array): never {
  if (!(error instanceof UnknownFaultyPartyError)) throw new TypeError('error must be the UnknownFaultyPartyError of participantStep2');
  let parsed;
  try {
    parsed = parseCinv(cinv, error.investigation.n);
  } catch (err) {
    if (err instanceof MalformedMessage) throw new DkgError('FAULTY_COORDINATOR', err.message, { cause: err });
    throw err;
  }
  return enc.participantInvestigate(error.investigation, parsed);
}

// ## Coordinator

/** Parses every pmsg1 in order; a malformed field blames its sender (BIP FaultyParticipantError). */
function parsePmsgs1(pmsgs1: readonly Uint8Array[], t: number, n: number): Pmsg1[] {
  return pmsgs1.map((m, i) => {
    try {
      return parsePmsg1(m, t, n, `pmsgs1[${i}]`);
    } catch (err) {
      if (err instanceof MalformedMessage) throw new DkgError('FAULTY_PARTICIPANT', err.message, { participant: i, cause: err });
      throw err;
    }
  });
}

/**
 * BIP coordinator_step1: pmsgs1 one per participant, in identifier order.
 * Returns the state and cmsg1 (162·n + 33·(t−1) bytes) to broadcast.
 * Throws INVALID_HOSTPUBKEY, DUPLICATE_HOSTPUBKEY, THRESHOLD_OR_COUNT, FAULTY_PARTICIPANT.
 */
function coordinatorStep1(pmsgs1: readonly Uint8Array[], params: SessionParams): { state: CoordinatorState; cmsg1: Uint8Array } {
  aparams(params);
  if (!Array.isArray(pmsgs1)) throw new TypeError('pmsgs1 must be an array');
  validateParams(params);
  const { hostpubkeys, t } = params;
  const n = hostpubkeys.length;
  const parsed = parsePmsgs1(amessages(pmsgs1, n, 'pmsgs1'), t, n);
  const step = enc.coordinatorStep(parsed, t, n);
  const eqInput = encodeEqInput({ t, sumComs: step.sumComs, hostpubkeys, pubnonces: step.pubnonces, encSecshares: step.encSecshares });
  const cmsg1 = encodeCmsg1(step);
  return { state: { params: copyParams(params), eqInput, output: encodeOutput(step.output) }, cmsg1 };
}

/**
 * BIP coordinator_finalize: pmsgs2 one 64-byte signature per participant.
 * Returns cmsg2 (the certificate, 64·n bytes) to broadcast, the output
 * (secshare null) and the recovery data. Throws FAULTY_PARTICIPANT for the
 * first invalid signature.
 */
function coordinatorFinalize(
  state: CoordinatorState,
  pmsgs2: readonly Uint8Array[],
): { cmsg2: Uint8Array; output: DkgOutput; recoveryData: Uint8Array } {
  const { params, eqInput, output } = astate<CoordinatorState>(state, ['params', 'eqInput', 'output'], 'state');
  const sigs = amessages(pmsgs2, params.hostpubkeys.length, 'pmsgs2').map((m, i) => parsePmsg2(m, `pmsgs2[${i}]`));
  const bad = certeqFirstInvalid('certeq', params.hostpubkeys, eqInput, sigs);
  if (bad >= 0) {
    throw new DkgError('FAULTY_PARTICIPANT', 'Participant has provided an invalid signature for the certificate', { participant: bad });
  }
  const cmsg2 = concatBytes(...sigs);
  return { cmsg2, output, recoveryData: concatBytes(eqInput, cmsg2) };
}

/**
 * BIP coordinator_investigate: one investigation message per participant
 * (65·n bytes each, nothing secret in them). Throws FAULTY_PARTICIPANT for a
 * malformed pmsg1.
 */
function coordinatorInvestigate(pmsgs1: readonly Uint8Array[], params: SessionParams): Uint8Array[] {
  aparams(params);
  if (!Array.isArray(pmsgs1)) throw new TypeError('pmsgs1 must be an array');
  validateParams(params);
  const n = params.hostpubkeys.length;
  const parsed = parsePmsgs1(amessages(pmsgs1, n, 'pmsgs1'), params.t, n);
  return enc.coordinatorInvestigate(parsed, n).map(encodeCinv);
}

export {
  coordinatorFinalize,
  coordinatorInvestigate,
  coordinatorStep1,
  participantFinalize,
  participantInvestigate,
  participantStep1,
  participantStep2,
  type CoordinatorState,
  type DkgOutput,
  type ParticipantState1,
  type ParticipantState2,
};
