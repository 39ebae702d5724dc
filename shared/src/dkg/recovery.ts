/**
 * Recovery and recovery acknowledgments (BIP ChillDKG, "Backup and
 * Recovery", "Recovering Stuck Parties"; chilldkg.py `recover`,
 * `participant_recovery_ack_sign`, `participant_recovery_acks_verify`).
 *
 * Recovery data = eq_input ‖ cert is common to all parties and holds shares
 * only encrypted; with the certificate it proves the session succeeded, so a
 * host secret key and it give back the participant's whole output.
 */
import { abytes, equalBytes } from '../crypto/bytes';
import { encodePoint, modN, scalarToBytes } from '../crypto/group';
import { certeqFirstInvalid, certeqSign } from './certeq';
import type { DkgOutput } from './chilldkg';
import { decapsMulti } from './encpedpop';
import { DkgError } from './errors';
import { MalformedMessage, parseRecoveryData, parsePmsg2 } from './messages';
import type { Transcript } from './messages';
import { aparams, encContext, hostpubkeyGen, participantIndex, validateParams } from './params';
import type { SessionParams } from './params';
import { pubshareOf, taprootTweak, verifySecshare } from './vss';

// ## Parsing

function parseOrThrow(recoveryData: Uint8Array): ReturnType<typeof parseRecoveryData> {
  try {
    return parseRecoveryData(recoveryData);
  } catch (err) {
    if (err instanceof MalformedMessage) throw new DkgError('RECOVERY_DATA', 'Failed to deserialize recovery data', { cause: err });
    throw err;
  }
}

/** Recovery data must be for exactly these parameters (same t, same keys in the same order). */
function amatching(transcript: Transcript, params: SessionParams): void {
  const same =
    transcript.t === params.t &&
    transcript.hostpubkeys.length === params.hostpubkeys.length &&
    transcript.hostpubkeys.every((pk, i) => equalBytes(pk, params.hostpubkeys[i]!));
  if (!same) throw new DkgError('RECOVERY_DATA', 'Recovery data does not match the provided session parameters');
}

// ## Recovery

/**
 * BIP `recover`: parse, check the parameters and the certificate (all
 * RECOVERY_DATA), then the public output; with a host secret key, decrypt
 * and tweak its share (HOST_SECKEY if the key is not one of the session's).
 */
function recover(hostseckey: Uint8Array | null, recoveryData: Uint8Array): { output: DkgOutput; params: SessionParams } {
  const { transcript, eqInput, cert } = parseOrThrow(recoveryData);
  const { t, sumComs, hostpubkeys, pubnonces, encSecshares } = transcript;
  const params: SessionParams = { hostpubkeys, t };
  try {
    validateParams(params);
  } catch (err) {
    if (err instanceof DkgError) throw new DkgError('RECOVERY_DATA', 'Invalid session parameters in recovery data', { cause: err });
    throw err;
  }
  if (certeqFirstInvalid('certeq', hostpubkeys, eqInput, cert) >= 0) {
    throw new DkgError('RECOVERY_DATA', 'Invalid certificate in recovery data');
  }
  const n = hostpubkeys.length;
  const { tweaked, tweak } = taprootTweak(sumComs);
  const pubshares = Array.from({ length: n }, (_, i) => pubshareOf(tweaked, i));
  let secshare: Uint8Array | null = null;
  if (hostseckey !== null) {
    const hostpubkey = hostpubkeyGen(hostseckey);
    const participant = participantIndex(hostpubkeys, hostpubkey);
    if (participant < 0) {
      throw new DkgError('HOST_SECKEY', 'Host secret key does not match any host public key in the recovery data');
    }
    const pads = decapsMulti(hostseckey, hostpubkey, pubnonces, encContext(t, hostpubkeys), participant);
    const share = modN(encSecshares[participant]! - pads.reduce((a, b) => modN(a + b), 0n) + tweak);
    // Our own signature is in the certificate, and we signed only after this check passed.
    if (!verifySecshare(share, pubshares[participant]!)) {
      throw new DkgError('RECOVERY_DATA', 'recovered secret share does not match its public share');
    }
    secshare = scalarToBytes(share);
  }
  return {
    output: { secshare, threshPk: encodePoint(tweaked[0]!), pubshares: pubshares.map(encodePoint) },
    params: { hostpubkeys, t },
  };
}

/**
 * BIP participant_recover: the output (with secshare) and parameters of a
 * session, from the 32-byte host secret key and the recovery data. Throws
 * HOST_SECKEY, RECOVERY_DATA.
 */
function participantRecover(hostseckey: Uint8Array, recoveryData: Uint8Array): { output: DkgOutput; params: SessionParams } {
  abytes(hostseckey, 32, 'hostseckey');
  abytes(recoveryData, undefined, 'recoveryData');
  return recover(hostseckey, recoveryData);
}

/** BIP coordinator_recover: as participantRecover, with secshare null. Throws RECOVERY_DATA. */
function coordinatorRecover(recoveryData: Uint8Array): { output: DkgOutput; params: SessionParams } {
  abytes(recoveryData, undefined, 'recoveryData');
  return recover(null, recoveryData);
}

// ## Acknowledgments (BIP 0.3.0: confirm all hold the recovery data before using the key)

/**
 * BIP participant_recovery_ack_sign: a 64-byte signature on the recovery
 * data by this participant, with 32 bytes of `auxRand`. Throws HOST_SECKEY,
 * the parameter codes, RECOVERY_DATA (unparsable, or for other parameters).
 */
function participantRecoveryAckSign(hostseckey: Uint8Array, recoveryData: Uint8Array, params: SessionParams, auxRand: Uint8Array): Uint8Array {
  abytes(hostseckey, 32, 'hostseckey');
  abytes(recoveryData, undefined, 'recoveryData');
  aparams(params);
  abytes(auxRand, 32, 'auxRand');
  const hostpubkey = hostpubkeyGen(hostseckey);
  validateParams(params);
  const participant = participantIndex(params.hostpubkeys, hostpubkey);
  if (participant < 0) throw new DkgError('HOST_SECKEY', 'Host secret key does not match any host public key');
  amatching(parseOrThrow(recoveryData).transcript, params);
  return certeqSign('recovery-ack', hostseckey, participant, recoveryData, auxRand);
}

/**
 * BIP participant_recovery_acks_verify: every participant acknowledged this
 * recovery data (ackSigs in identifier order, 64 bytes each). Throws
 * INVALID_RECOVERY_ACK (participant) for the first bad one; that does not
 * mean the DKG failed, only that not everyone is known to hold the data.
 */
function participantRecoveryAcksVerify(recoveryData: Uint8Array, params: SessionParams, ackSigs: readonly Uint8Array[]): void {
  abytes(recoveryData, undefined, 'recoveryData');
  aparams(params);
  if (!Array.isArray(ackSigs)) throw new TypeError('ackSigs must be an array');
  validateParams(params);
  if (ackSigs.length !== params.hostpubkeys.length) {
    throw new RangeError(`ackSigs must have one entry per participant (${params.hostpubkeys.length}), got ${ackSigs.length}`);
  }
  amatching(parseOrThrow(recoveryData).transcript, params);
  const sigs = ackSigs.map((s, i) => parsePmsg2(s, `ackSigs[${i}]`));
  const bad = certeqFirstInvalid('recovery-ack', params.hostpubkeys, recoveryData, sigs);
  if (bad >= 0) throw new DkgError('INVALID_RECOVERY_ACK', 'Invalid recovery acknowledgment signature', { participant: bad });
}

export { coordinatorRecover, participantRecover, participantRecoveryAckSign, participantRecoveryAcksVerify };
