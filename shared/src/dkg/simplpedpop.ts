/**
 * SimplPedPop (BIP ChillDKG, "DKG Protocol SimplPedPop"; simplpedpop.py):
 * Feldman VSS per participant, proofs of possession, the coordinator's
 * aggregation of the commitments, and the blame rules for the participant.
 *
 * Internal building block: the BIP says not to expose SimplPedPop on its own
 * (it needs secure channels and an equality check), so only chilldkg.ts
 * calls it, and it works on parsed values, not bytes.
 */
import { u32 } from '../crypto/bytes';
import { isIdentity, modN, pointEquals, scalarToBytes, subtract, xOnly } from '../crypto/group';
import type { GroupPoint } from '../crypto/group';
import { DkgError } from './errors';
import { schnorrSignPrefixed, schnorrVerifyPrefixed } from './schnorr';
import { BIP_TAG } from './tags';
import { pubshareOf, sumPoints, taprootTweak, verifySecshare, vssCoefficients, vssCommit, vssShares } from './vss';
import type { VssCommitment } from './vss';

// ## Proofs of possession (BIP SimplPedPop step 1: a BIP340 signature on "i" under a[0])

const POP_TAG_PREFIX = `${BIP_TAG}pop message`;

/** The pop signs u32(i): binding it to the identifier stops a copy of another's commitment. */
function popProve(secret: bigint, participant: number, aux: Uint8Array): Uint8Array {
  return schnorrSignPrefixed(u32(participant), scalarToBytes(secret), aux, POP_TAG_PREFIX);
}

function popVerify(pop: Uint8Array, comToSecret: GroupPoint, participant: number): boolean {
  return schnorrVerifyPrefixed(pop, u32(participant), xOnly(comToSecret), POP_TAG_PREFIX);
}

// ## Outputs

/** The DKG output on points: secshare is null for the coordinator. */
interface PointOutput {
  readonly secshare: bigint | null;
  readonly threshPk: GroupPoint;
  readonly pubshares: readonly GroupPoint[];
}

/** sum_coms = (Σ_j coms_to_secrets[j], sum_coms_to_nonconst_terms…) (BIP SimplPedPop step 3). */
function assembleSumComs(comsToSecrets: readonly GroupPoint[], sumComsToNonconstTerms: readonly GroupPoint[]): GroupPoint[] {
  return [sumPoints(comsToSecrets), ...sumComsToNonconstTerms];
}

/** Threshold key and every public share from the tweaked sum commitment. */
function publicOutput(tweaked: VssCommitment, n: number): { threshPk: GroupPoint; pubshares: GroupPoint[] } {
  return { threshPk: tweaked[0]!, pubshares: Array.from({ length: n }, (_, i) => pubshareOf(tweaked, i)) };
}

// ## Participant

interface SimplState {
  readonly t: number;
  readonly n: number;
  readonly participant: number;
  readonly comToSecret: GroupPoint;
}

/**
 * Step 1: coefficients from `seed`, the commitment, the pop (with `auxRand`)
 * and the n shares f(1) … f(n), share j meant for participant j only.
 */
function participantStep1(
  seed: Uint8Array,
  t: number,
  n: number,
  participant: number,
  auxRand: Uint8Array,
): { state: SimplState; com: GroupPoint[]; pop: Uint8Array; shares: bigint[] } {
  const coefficients = vssCoefficients(seed, t);
  const shares = vssShares(coefficients, n);
  const pop = popProve(coefficients[0]!, participant, auxRand);
  const com = vssCommit(coefficients);
  coefficients.fill(0n);
  return { state: { t, n, participant, comToSecret: com[0]! }, com, pop, shares };
}

/**
 * Step 3 (BIP SimplPedPop), for one participant, with its summed secret
 * share. Throws FAULTY_COORDINATOR if our own commitment came back changed,
 * FAULTY_PARTICIPANT_OR_COORDINATOR for another's ∞ commitment or bad pop
 * (in identifier order). A share failing VSS verification is returned, not
 * thrown: only EncPedPop holds what the investigation needs.
 */
function participantStep2(
  state: SimplState,
  cmsg: { readonly comsToSecrets: readonly GroupPoint[]; readonly sumComsToNonconstTerms: readonly GroupPoint[]; readonly pops: readonly Uint8Array[] },
  secshare: bigint,
):
  | { ok: true; output: PointOutput; sumComs: GroupPoint[] }
  | { ok: false; secshare: bigint; pubshare: GroupPoint } {
  const { n, participant, comToSecret } = state;
  if (!pointEquals(cmsg.comsToSecrets[participant]!, comToSecret)) {
    throw new DkgError('FAULTY_COORDINATOR', 'Coordinator sent unexpected first group element for local participant id');
  }
  for (let i = 0; i < n; i++) {
    if (i === participant) continue; // our own pop needs no check
    const com0 = cmsg.comsToSecrets[i]!;
    if (isIdentity(com0)) {
      throw new DkgError('FAULTY_PARTICIPANT_OR_COORDINATOR', 'Participant sent invalid commitment', { participant: i });
    }
    if (!popVerify(cmsg.pops[i]!, com0, i)) {
      throw new DkgError('FAULTY_PARTICIPANT_OR_COORDINATOR', 'Participant sent invalid proof-of-knowledge', { participant: i });
    }
  }
  const sumComs = assembleSumComs(cmsg.comsToSecrets, cmsg.sumComsToNonconstTerms);
  // Checking the tweaked share against the tweaked commitment is the same
  // test and saves computing the untweaked pubshare unless it fails (BIP reference).
  const { tweaked, tweak, pubtweak } = taprootTweak(sumComs);
  const pubshareTweaked = pubshareOf(tweaked, participant);
  const secshareTweaked = modN(secshare + tweak);
  if (!verifySecshare(secshareTweaked, pubshareTweaked)) {
    return { ok: false, secshare, pubshare: subtract(pubshareTweaked, pubtweak) };
  }
  const { threshPk, pubshares } = publicOutput(tweaked, n);
  return { ok: true, output: { secshare: secshareTweaked, threshPk, pubshares }, sumComs };
}

/** simplpedpop.SecshareSumError: the partial secret shares do not add up (EncPedPop blames the coordinator). */
class SecshareSumError extends Error {}

/**
 * BIP participant_investigate (SimplPedPop part), with the partial public
 * shares from the coordinator and the decrypted partial secret shares. Never
 * returns: blames the first participant j whose partial share fails
 * partial_secshares[j]·G = partial_pubshares[j], or the coordinator.
 */
function participantInvestigate(
  inv: { readonly n: number; readonly participant: number; readonly secshare: bigint; readonly pubshare: GroupPoint },
  partialPubshares: readonly GroupPoint[],
  partialSecshares: readonly bigint[],
): never {
  if (!pointEquals(sumPoints(partialPubshares), inv.pubshare)) {
    throw new DkgError('FAULTY_COORDINATOR', 'Sum of partial pubshares not equal to pubshare');
  }
  if (partialSecshares.reduce((a, b) => modN(a + b), 0n) !== inv.secshare) {
    throw new SecshareSumError('Sum of partial secshares not equal to secshare');
  }
  for (let i = 0; i < inv.n; i++) {
    if (verifySecshare(partialSecshares[i]!, partialPubshares[i]!)) continue;
    if (i !== inv.participant) {
      throw new DkgError('FAULTY_PARTICIPANT_OR_COORDINATOR', 'Participant sent invalid partial secshare', { participant: i });
    }
    // We are not faulty, so the coordinator changed our share to ourselves.
    throw new DkgError('FAULTY_COORDINATOR', 'Coordinator fiddled with the share from me to myself');
  }
  // Sums match and every summand matches, so the share matched after all.
  throw new Error('participantInvestigate: all inputs are consistent (the caller changed them)');
}

// ## Coordinator

/**
 * BIP SimplPedPop step 2: coms_to_secrets concatenated (participants check
 * each pop against its own), the other coefficients' commitments summed.
 */
function coordinatorStep(
  pmsgs: readonly { readonly com: readonly GroupPoint[]; readonly pop: Uint8Array }[],
  t: number,
  n: number,
): {
  comsToSecrets: GroupPoint[];
  sumComsToNonconstTerms: GroupPoint[];
  pops: Uint8Array[];
  output: PointOutput;
  sumComs: GroupPoint[];
} {
  const comsToSecrets = pmsgs.map((m) => m.com[0]!);
  const sumComsToNonconstTerms = Array.from({ length: t - 1 }, (_, j) => sumPoints(pmsgs.map((m) => m.com[j + 1]!)));
  const pops = pmsgs.map((m) => m.pop);
  const sumComs = assembleSumComs(comsToSecrets, sumComsToNonconstTerms);
  // The coordinator checks no pops, so Σ com_j[0] = ∞ is reachable (one participant
  // sending ∞ when n = 1); the reference fails an assertion here. A participant
  // who sent ∞ is faulty for sure (participants blame it too), so blame it.
  const infinite = isIdentity(sumComs[0]!) ? comsToSecrets.findIndex(isIdentity) : -1;
  if (infinite >= 0) throw new DkgError('FAULTY_PARTICIPANT', 'Participant sent invalid commitment', { participant: infinite });
  const { tweaked } = taprootTweak(sumComs);
  const { threshPk, pubshares } = publicOutput(tweaked, n);
  return { comsToSecrets, sumComsToNonconstTerms, pops, output: { secshare: null, threshPk, pubshares }, sumComs };
}

/** partial_pubshares for participant i: [pubshare_i(com_0), …, pubshare_i(com_{n−1})]. */
function coordinatorInvestigate(coms: readonly VssCommitment[], n: number): GroupPoint[][] {
  return Array.from({ length: n }, (_, i) => coms.map((com) => pubshareOf(com, i)));
}

export {
  coordinatorInvestigate,
  coordinatorStep,
  participantInvestigate,
  participantStep1,
  participantStep2,
  popProve,
  popVerify,
  SecshareSumError,
  type PointOutput,
  type SimplState,
};
