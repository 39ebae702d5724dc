/**
 * EncPedPop (BIP ChillDKG, "DKG Protocol EncPedPop"; encpedpop.py): SimplPedPop
 * with every share encrypted to its recipient by an additive pad, so the
 * untrusted coordinator can relay and even sum the shares.
 *
 * Pads (a multi-recipient "hashed ElGamal" KEM, BIP footnote mr-kem):
 *   pad_ij = H("BIP DKG/encpedpop ecdh", SHA256(ser33(secnonce_i·enckey_j))
 *            ‖ pubnonce_i ‖ enckey_j ‖ u32(j) ‖ u32(t) ‖ enckey_0 ‖ … ‖ enckey_{n−1}) mod n
 *   pad_ii = H("BIP DKG/encaps_multi self_pad", deckey_i ‖ pubnonce_i ‖ u32(i) ‖ context) mod n
 * Feeding the recipient index j into the hash is what makes the KEM secure
 * for many recipients (PPS14); self-pads skip the ECDH (BIP 0.2.0 changelog).
 *
 * Internal building block (not exported from dkg/index.ts).
 */
import { concatBytes, equalBytes, u32 } from '../crypto/bytes';
import { decodePoint, encodePoint, modN, mul, mulBase, scalarFromBytes } from '../crypto/group';
import type { GroupPoint } from '../crypto/group';
import { scalarFromBytesWrapping } from './codec';
import { DkgError, UnknownFaultyPartyError } from './errors';
import type { InvestigationData } from './errors';
import type { Cinv, Cmsg1, Pmsg1 } from './messages';
import { encContext } from './params';
import * as simpl from './simplpedpop';
import type { PointOutput, SimplState } from './simplpedpop';
import { padFromSharedPoint } from './pad';
import { BIP_TAG, DKG_TAG, dkgHash } from './tags';

// ## Pads

/**
 * ECDH pad; `sending` orders the two public keys as sender ‖ recipient either way.
 * RangeError if `theirPubkey` is not a point (only a pubnonce can be, here).
 */
function ecdhPad(seckey: bigint, myPubkey: Uint8Array, theirPubkey: Uint8Array, context: Uint8Array, sending: boolean): bigint {
  const shared = mul(decodePoint(theirPubkey, 'pubkey'), seckey);
  const [sender, recipient] = sending ? [myPubkey, theirPubkey] : [theirPubkey, myPubkey];
  return padFromSharedPoint(BIP_TAG + DKG_TAG.encpedpopEcdh, shared, sender, recipient, context);
}

/** Pad for the share a participant encrypts to itself: deckey as a symmetric key (no ECDH). */
function selfPad(symkey: Uint8Array, pubnonce: Uint8Array, context: Uint8Array): bigint {
  return scalarFromBytesWrapping(dkgHash(DKG_TAG.selfPad, symkey, pubnonce, context));
}

/** Sender side: pad_ij for every recipient j, each context prefixed with u32(j). */
function encapsMulti(
  secnonce: bigint,
  pubnonce: Uint8Array,
  deckey: Uint8Array,
  enckeys: readonly Uint8Array[],
  context: Uint8Array,
  participant: number,
): bigint[] {
  return enckeys.map((enckey, j) => {
    const ctx = concatBytes(u32(j), context);
    return j === participant ? selfPad(deckey, pubnonce, ctx) : ecdhPad(secnonce, pubnonce, enckey, ctx, true);
  });
}

/**
 * Recipient side: pad_ji for every sender j. A pubnonce that is not a point
 * blames its sender (BIP 0.3.0: "failures are attributed to the sending participant").
 */
function decapsMulti(
  deckey: Uint8Array,
  enckey: Uint8Array,
  pubnonces: readonly Uint8Array[],
  context: Uint8Array,
  participant: number,
): bigint[] {
  const d = scalarFromBytes(deckey, 'deckey');
  const ctx = concatBytes(u32(participant), context);
  return pubnonces.map((pubnonce, j) => {
    if (j === participant) return selfPad(deckey, pubnonce, ctx);
    try {
      return ecdhPad(d, enckey, pubnonce, ctx, false);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      // deckey and enckey are ours and well formed, so the pubnonce is bad.
      throw new DkgError('FAULTY_PARTICIPANT_OR_COORDINATOR', 'invalid public nonce', { participant: j, cause: err });
    }
  });
}

const sumScalars = (ks: readonly bigint[]) => ks.reduce((a, b) => modN(a + b), 0n);

// ## Participant

interface EncState {
  readonly simpl: SimplState;
  readonly pubnonce: Uint8Array;
  readonly enckeys: readonly Uint8Array[];
  readonly participant: number;
}

/**
 * Step 1. simpl_seed = H("BIP DKG/encpedpop seed", seed ‖ random ‖ context);
 * the nonce and the pop's aux come from simpl_seed, so any entropy in the
 * shares is also in the nonce: the same pads never encrypt different shares.
 */
function participantStep1(
  seed: Uint8Array,
  deckey: Uint8Array,
  enckeys: readonly Uint8Array[],
  t: number,
  participant: number,
  random: Uint8Array,
): { state: EncState; pmsg: Pmsg1 } {
  const n = enckeys.length;
  const context = encContext(t, enckeys);
  const simplSeed = dkgHash(DKG_TAG.encpedpopSeed, seed, random, context);
  const simplAux = dkgHash(DKG_TAG.simplpedpopAux, simplSeed);
  const secnonce = scalarFromBytes(dkgHash(DKG_TAG.encpedpopSecnonce, simplSeed), 'secnonce');
  const pubnonce = encodePoint(mulBase(secnonce)); // BIP327 pubkey_gen_plain (0 or ≥ n: ~2^−128)
  const { state: simplState, com, pop, shares } = simpl.participantStep1(simplSeed, t, n, participant, simplAux);
  const pads = encapsMulti(secnonce, pubnonce, deckey, enckeys, context, participant);
  const encShares = shares.map((share, j) => modN(share + pads[j]!));
  shares.fill(0n);
  return {
    state: { simpl: simplState, pubnonce, enckeys, participant },
    pmsg: { com, pop, pubnonce, encShares },
  };
}

/**
 * Step 2 with our encrypted summed share: FAULTY_COORDINATOR if our own
 * pubnonce came back changed; the pads (blaming a bad pubnonce); then
 * SimplPedPop. A share failing verification throws UnknownFaultyPartyError
 * holding what participantInvestigate needs.
 */
function participantStep2(
  state: EncState,
  deckey: Uint8Array,
  cmsg: Cmsg1,
  encSecshare: bigint,
): { output: PointOutput; sumComs: GroupPoint[] } {
  const { simpl: simplState, pubnonce, enckeys, participant } = state;
  if (!equalBytes(cmsg.pubnonces[participant]!, pubnonce)) {
    throw new DkgError('FAULTY_COORDINATOR', 'Coordinator replied with wrong pubnonce');
  }
  const context = encContext(simplState.t, enckeys);
  const pads = decapsMulti(deckey, enckeys[participant]!, cmsg.pubnonces, context, participant);
  const secshare = modN(encSecshare - sumScalars(pads));
  const result = simpl.participantStep2(simplState, cmsg, secshare);
  if (result.ok) return { output: result.output, sumComs: result.sumComs };
  const investigation: InvestigationData = {
    n: simplState.n,
    participant,
    secshare: result.secshare,
    pubshare: result.pubshare,
    encSecshare,
    pads,
  };
  throw new UnknownFaultyPartyError(
    'Received invalid secshare; consider using participant_investigate() to determine a faulty party',
    investigation,
  );
}

/**
 * BIP participant_investigate (EncPedPop part): decrypt the coordinator's
 * partial shares with our pads and let SimplPedPop blame. Since the pads add,
 * partial shares that do not sum to our share mean the coordinator's sum was wrong.
 */
function participantInvestigate(inv: InvestigationData, cinv: Cinv): never {
  const partialSecshares = cinv.encPartialSecshares.map((c, j) => modN(c - inv.pads[j]!));
  try {
    simpl.participantInvestigate(inv, cinv.partialPubshares, partialSecshares);
  } catch (err) {
    if (!(err instanceof simpl.SecshareSumError)) throw err;
    throw new DkgError('FAULTY_COORDINATOR', 'Sum of encrypted partial secshares not equal to encrypted secshare', { cause: err });
  }
}

// ## Coordinator

/**
 * SimplPedPop's aggregation plus the pubnonces and, per recipient i,
 * enc_secshares[i] = Σ_j enc_shares_j[i] (the pads are additive, BIP EncPedPop).
 */
function coordinatorStep(
  pmsgs: readonly Pmsg1[],
  t: number,
  n: number,
): ReturnType<typeof simpl.coordinatorStep> & { pubnonces: Uint8Array[]; encSecshares: bigint[] } {
  const step = simpl.coordinatorStep(pmsgs, t, n);
  const pubnonces = pmsgs.map((m) => m.pubnonce);
  const encSecshares = Array.from({ length: n }, (_, i) => sumScalars(pmsgs.map((m) => m.encShares[i]!)));
  return { ...step, pubnonces, encSecshares };
}

/** Investigation message for participant i: what each j sent to i, encrypted, and its partial pubshare. */
function coordinatorInvestigate(pmsgs: readonly Pmsg1[], n: number): Cinv[] {
  const partialPubshares = simpl.coordinatorInvestigate(
    pmsgs.map((m) => m.com),
    n,
  );
  return partialPubshares.map((pubshares, i) => ({
    encPartialSecshares: pmsgs.map((m) => m.encShares[i]!),
    partialPubshares: pubshares,
  }));
}

export {
  coordinatorInvestigate,
  coordinatorStep,
  decapsMulti,
  encapsMulti,
  participantInvestigate,
  participantStep1,
  participantStep2,
  type EncState,
};
