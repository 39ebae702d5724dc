/**
 * CertEq, the equality check of ChillDKG (BIP ChillDKG, "Equality Check
 * Protocol CertEq"): each participant signs the transcript eq_input with
 * plain BIP340 under its host key; the n signatures in identifier order are
 * the success certificate. The same shape signs recovery acknowledgments.
 *
 * Signed message: prefix (the tag, zero-padded to 33 bytes) ‖ u32(i) ‖ x.
 * The identifier stops a signature from standing in for another participant's.
 * Resharing (docs/PROTOCOL.md §3.9) signs its certificate the same way under
 * its own prefix "custodes/v1/reshare certificate", so no reshare signature
 * can stand in for a ChillDKG one or the other way round.
 */
import { concatBytes, u32, utf8 } from '../crypto/bytes';
import { schnorrSign, schnorrVerify } from '../crypto/group';
import { BIP_TAG } from './tags';

const PREFIX_LEN = 33;

/** The prefix, zero-padded to 33 bytes (at most 33 bytes of ASCII). */
function paddedPrefix(text: string): Uint8Array {
  const prefix = new Uint8Array(PREFIX_LEN);
  prefix.set(utf8(text));
  return prefix;
}

const PREFIXES = {
  certeq: paddedPrefix(BIP_TAG + 'certeq message'),
  'recovery-ack': paddedPrefix(BIP_TAG + 'recovery acknowledgment'),
  'reshare-certificate': paddedPrefix('custodes/v1/reshare certificate'),
} as const;

type Purpose = keyof typeof PREFIXES;

function signedMessage(purpose: Purpose, x: Uint8Array, participant: number): Uint8Array {
  return concatBytes(PREFIXES[purpose], u32(participant), x);
}

/** Participant i's signature on x (BIP340 with the given 32-byte aux). */
function certeqSign(purpose: Purpose, hostseckey: Uint8Array, participant: number, x: Uint8Array, aux: Uint8Array): Uint8Array {
  return schnorrSign(signedMessage(purpose, x, participant), hostseckey, aux);
}

/**
 * The first identifier whose signature on x fails under its host key (x-only:
 * bytes 1..33 of the compressed key, BIP340 lifts to even y), or −1 if all n hold.
 */
function certeqFirstInvalid(purpose: Purpose, hostpubkeys: readonly Uint8Array[], x: Uint8Array, sigs: readonly Uint8Array[]): number {
  return hostpubkeys.findIndex((pk, i) => !certeqVerify(purpose, pk, i, x, sigs[i]!));
}

/** Whether `sig` is participant i's signature on x under its host key (x-only: bytes 1..33 of the compressed key). */
function certeqVerify(purpose: Purpose, hostpubkey: Uint8Array, participant: number, x: Uint8Array, sig: Uint8Array): boolean {
  return schnorrVerify(sig, signedMessage(purpose, x, participant), hostpubkey.subarray(1, 33));
}

export { certeqFirstInvalid, certeqSign, certeqVerify, type Purpose };
