/**
 * This node as a ChillDKG participant (docs/PROTOCOL.md §3.8): the coordinator
 * asks, the node answers with the entry it signs for its next step, computed
 * ONLY from its replica — entries in checkpoints it has cosigned — so a
 * coordinator cannot show it messages it does not show everyone.
 *
 * Checks, in order, one code each (test/dkg-service/checks.test.ts breaks each):
 *   DKG_NO_HOST_KEY        this node holds no host key
 *   DKG_NO_CONSENT         the operator has not consented to this epoch (§7.13)
 *   DKG_UNKNOWN_EPOCH      the registry lists no such epoch, or it is a dealer epoch
 *   DKG_NOT_PARTICIPANT    this node is not a custodian of the epoch
 *   DKG_HOST_KEY_MISMATCH  the registry's host key for this node is not this node's
 *   DKG_ABORTED            the session has a logged `abort`
 *   DKG_REVEAL_MISMATCH    a logged reveal does not hash to its logged commit
 *   DKG_AGGREGATE_MISMATCH the logged aggregate is not coordinatorStep1 of the logged reveals
 * Past these, ChillDKG step 2 cannot blame the coordinator (the aggregate is
 * recomputed here, and so is the investigation message), so a failed step 2
 * names a participant: this node signs a `blame`. On success of the session (a
 * valid logged `epoch` entry, whose certificate holds this node's own
 * signature) the share is recovered from the host key and the recovery data.
 *
 * Every entry the node signs is stored before it is returned (dkg_signed), and
 * the round-1 randomness is sealed under K (dkg_sessions): after a restart the
 * node returns what it signed, never a second, different message for a step.
 */
import { randomBytes } from 'node:crypto';
import { base64ToBytes, bytesToBase64, bytesToHex, equalBytes, evaluationPoints, hexToBytes } from '@custodes/shared/crypto';
import {
  coordinatorInvestigate,
  coordinatorStep1,
  DkgError,
  hostpubkeyGen,
  participantInvestigate,
  participantRecover,
  participantStep1,
  participantStep2,
  pmsg1Commitment,
  UnknownFaultyPartyError,
} from '@custodes/shared/dkg';
import type { SessionParams } from '@custodes/shared/dkg';
import { canonicalJson, signRecord } from '@custodes/shared/records';
import type { DkgAnswer, DkgEntry, DkgStep, EpochEntry, RegistryEntry } from '@custodes/shared/records';
import { retiredAmong, sessionHostKeys } from '@custodes/shared/rules';
import type { Context } from './context';
import { nowSeconds } from './context';
import { CustodianError } from './errors';
import { newHostKeyFile } from './init';
import { currentRegistry, loggedDkgEntries } from './replica';
import { fail, sign, signedBefore } from './dkgSigned';
import { adoptReshareShare, reshareStep, settleReshare } from './reshare';

type RegistryEpoch = RegistryEntry['epochs'][number];


// ## Consent (docs/PROTOCOL.md §7.13)

/** The operator's consent for this node to take part in the DKG of `epoch`; kept once given (the first consent stands). */
export function consentToDkg(ctx: Context, epoch: number, officer: string): { epoch: number; officer: string; time: number } {
  ctx.store.insertDkgConsent(epoch, officer, nowSeconds(ctx));
  return { epoch, ...ctx.store.dkgConsent(epoch)! };
}

/** Gives this node a host key if it has none (a node initialised with a dealer share); returns the host public key. */
export function ensureHostKey(ctx: Context): string {
  const box = ctx.vault.addHostKey(newHostKeyFile().secretKey);
  if (box) {
    ctx.store.setSealed(box);
    ctx.node.sealedNonce = box.nonce;
    ctx.node.sealedBox = box.box;
  }
  return bytesToHex(hostpubkeyGen(ctx.vault.hostKey()!));
}

// ## Share from the log

/**
 * Recovers and seals this node's share of `epoch` from its host secret key and
 * the replicated `epoch` entry (BIP participant_recover), unless it holds it
 * already. Undefined if no `epoch` entry for it is replicated. This is also
 * how a custodian that lost its database gets its share back (§3.8).
 */
/** The first replicated `epoch` entry for `epoch` (the one resolveRegistry counts when valid), or undefined. */
function replicatedEpochEntry(ctx: Context, epoch: number): EpochEntry | undefined {
  const row = ctx.store.replicaEntries('epoch').find((r) => (JSON.parse(r.data) as EpochEntry).epoch === epoch);
  return row && (JSON.parse(row.data) as EpochEntry);
}

export function adoptShare(ctx: Context, epoch: number): { epoch: number; groupKey: string } | undefined {
  const entry = replicatedEpochEntry(ctx, epoch);
  if (!entry) return undefined;
  // A retired epoch's share is destroyed and never made again (docs/PROTOCOL.md §3.10).
  const inForce = currentRegistry(ctx.store)?.entry;
  const retired = inForce && retiredAmong(inForce, [epoch], nowSeconds(ctx));
  if (retired) fail('EPOCH_RETIRED', retired.message);
  if (ctx.vault.share(epoch) !== undefined) return { epoch, groupKey: entry.groupKey };
  const listed = inForce?.epochs.find((x) => x.epoch === epoch);
  if (listed?.reshareOf !== undefined) {
    adoptReshareShare(ctx, listed, entry);
    return { epoch, groupKey: entry.groupKey };
  }
  const host = ctx.vault.hostKey() ?? fail('DKG_NO_HOST_KEY', 'this node holds no host key');
  let recovered;
  try {
    recovered = participantRecover(host, base64ToBytes(entry.recoveryData, 'recoveryData'));
  } catch (err) {
    // The replica holds only epoch entries whose certificate verifies over the registry's host keys (applyEntry).
    if (err instanceof DkgError) throw new Error(`the logged recovery data of epoch ${epoch} gives this node no share: ${err.message}`, { cause: err });
    throw err;
  }
  const { output, params } = recovered;
  // Participant p is evaluated at p + 1, the rank of the custodian with the (p+1)-th smallest index (§3.1, §3.8).
  const ranks = evaluationPoints(registryEpochIndices(ctx, epoch));
  const position = (ranks.get(ctx.me.custodian) ?? 0) - 1;
  if (!params.hostpubkeys[position] || !equalBytes(params.hostpubkeys[position], hostpubkeyGen(host)) || bytesToHex(output.threshPk) !== entry.groupKey) {
    throw new Error(`the session of epoch ${epoch} does not place custodian ${ctx.me.custodian} at its rank under the logged key`);
  }
  const box = ctx.vault.addShare({
    format: 'custodes.share.v1',
    epoch,
    index: ctx.me.custodian,
    ...(position + 1 === ctx.me.custodian ? {} : { point: position + 1 }),
    threshold: params.t,
    total: params.hostpubkeys.length,
    share: bytesToHex(output.secshare!),
    groupKey: entry.groupKey,
    commitments: entry.commitments,
  });
  if (box) {
    ctx.store.setSealed(box);
    ctx.node.sealedNonce = box.nonce;
    ctx.node.sealedBox = box.box;
    ctx.log.info({ epoch }, 'DKG share recovered from the log and sealed');
  }
  return { epoch, groupKey: entry.groupKey };
}

// ## The next step

/** The custodian indices the replicated registry lists for `epoch` ([] if none). */
function registryEpochIndices(ctx: Context, epoch: number): number[] {
  return currentRegistry(ctx.store)?.entry.epochs.find((x) => x.epoch === epoch)?.custodians.map((c) => c.index) ?? [];
}

function participantEpoch(ctx: Context, registry: RegistryEntry, epoch: number, host: Uint8Array): RegistryEpoch {
  const e = registry.epochs.find((x) => x.epoch === epoch) ?? fail('DKG_UNKNOWN_EPOCH', `the registry lists no epoch ${epoch}`);
  const me = e.custodians.find((c) => c.index === ctx.me.custodian) ?? fail('DKG_NOT_PARTICIPANT', `custodian ${ctx.me.custodian} is not a custodian of epoch ${epoch}`);
  if (me.hostKey !== bytesToHex(hostpubkeyGen(host))) fail('DKG_HOST_KEY_MISMATCH', `the registry's host key for custodian ${ctx.me.custodian} in epoch ${epoch} is not this node's`);
  return e;
}

/** The round-1 state, re-derived from the host key and the sealed randomness (participant_step1 is deterministic). */
function round1(ctx: Context, session: string, epoch: number, host: Uint8Array, params: SessionParams) {
  const row = ctx.store.dkgSession(session);
  if (row === undefined || row.epoch !== epoch) return undefined;
  const random = ctx.vault.openSecret({ nonce: row.randomNonce, box: row.randomBox }, `dkg-random/${session}`);
  if (!random) throw new Error('a DKG session secret does not open under this node key');
  const s1 = participantStep1(host, params, random);
  random.fill(0);
  if (!equalBytes(s1.pmsg1, row.pmsg1)) throw new Error('a DKG session re-derived another round-1 message');
  return s1;
}

/**
 * This node's answer to the coordinator's call for session `session` of
 * `epoch` (docs/PROTOCOL.md §3.8, §7.15). Throws CustodianError with the codes
 * in the header.
 */
export function dkgStep(ctx: Context, epoch: number, session: string): DkgAnswer {
  const host = ctx.vault.hostKey() ?? fail('DKG_NO_HOST_KEY', 'this node holds no host key (custodes custodian init --host-key)');
  if (!ctx.store.dkgConsent(epoch)) fail('DKG_NO_CONSENT', `the operator has not consented to the DKG of epoch ${epoch} (custodes custodian dkg consent --epoch ${epoch})`);
  const registry = currentRegistry(ctx.store)?.entry ?? fail('DKG_UNKNOWN_EPOCH', 'this node has replicated no registry yet');
  const listed = registry.epochs.find((x) => x.epoch === epoch);
  if (listed?.reshareOf !== undefined) {
    // A reshare (§3.9): once its epoch entry is in the replica, settle (adopt the new share, destroy the old).
    const entry = listed.groupKey === undefined ? undefined : replicatedEpochEntry(ctx, epoch);
    return entry ? settleReshare(ctx, registry, listed, entry) : reshareStep(ctx, registry, listed, session, host);
  }
  if (listed?.groupKey !== undefined) {
    const active = adoptShare(ctx, epoch);
    if (!active) fail('DKG_UNKNOWN_EPOCH', `epoch ${epoch} has a dealer key; there is no DKG to run`);
    return { active: active! };
  }
  const e = participantEpoch(ctx, registry, epoch, host);
  const params: SessionParams = { hostpubkeys: sessionHostKeys(e).map((k) => hexToBytes(k, 33)), t: e.threshold };
  const logged = loggedDkgEntries(ctx.store).filter((x) => x.session === session && x.epoch === epoch);
  if (logged.some((x) => x.step === 'abort')) fail('DKG_ABORTED', `session ${session} was aborted`);
  const of = (step: DkgStep) => new Map(logged.filter((x) => x.step === step).map((x) => [x.custodian!, x] as const));
  const mine = ctx.me.custodian;
  const base = { type: 'dkg' as const, epoch, session, custodian: mine, time: nowSeconds(ctx) };

  // Commit: SHA256(pmsg1), the randomness sealed first.
  const commits = of('commit');
  if (!commits.has(mine)) {
    const before = signedBefore(ctx, session, 'commit');
    if (before) return { entry: before };
    const random = new Uint8Array(randomBytes(32));
    const { pmsg1 } = participantStep1(host, params, random);
    ctx.store.tx(() => {
      ctx.store.insertDkgSession(session, epoch, ctx.vault.sealSecret(random, `dkg-random/${session}`), pmsg1);
    });
    random.fill(0);
    return { entry: sign(ctx, { ...base, step: 'commit', payload: bytesToHex(pmsg1Commitment(pmsg1)) }) };
  }
  // Reveal only once every participant's commit is in a checkpoint this node cosigned.
  if (commits.size < e.total) return { waiting: 'commits' };
  const reveals = of('reveal');
  if (!reveals.has(mine)) {
    const before = signedBefore(ctx, session, 'reveal');
    if (before) return { entry: before };
    const row = ctx.store.dkgSession(session) ?? fail('DKG_ABORTED', `this node has no round-1 state for session ${session}`);
    return { entry: sign(ctx, { ...base, step: 'reveal', payload: bytesToBase64(row.pmsg1) }) };
  }
  const aggregate = logged.find((x) => x.step === 'aggregate');
  if (!aggregate || reveals.size < e.total) return { waiting: 'aggregate' };

  // The aggregate must be exactly coordinatorStep1 over the logged reveals, each matching its commit.
  // Participant p is the custodian of rank p + 1 (§3.1, §3.8: host keys in index order).
  const order = e.custodians.map((c) => c.index).sort((a, b) => a - b);
  const pmsgs1 = order
    .map((i) => {
      const pmsg1 = base64ToBytes(reveals.get(i)!.payload, 'reveal');
      if (bytesToHex(pmsg1Commitment(pmsg1)) !== commits.get(i)!.payload) fail('DKG_REVEAL_MISMATCH', `the reveal of custodian ${i} does not match its commit`);
      return pmsg1;
    });
  let cmsg1: Uint8Array;
  try {
    cmsg1 = coordinatorStep1(pmsgs1, params).cmsg1;
  } catch (err) {
    if (err instanceof DkgError) fail('DKG_AGGREGATE_MISMATCH', `the logged reveals do not aggregate (${err.code}); the coordinator should have aborted`);
    throw err;
  }
  if (!equalBytes(cmsg1!, base64ToBytes(aggregate.payload, 'aggregate'))) fail('DKG_AGGREGATE_MISMATCH', 'the logged aggregate is not computed from the logged reveals');

  const ownEnd = logged.find((x) => x.custodian === mine && (x.step === 'certeq' || x.step === 'blame'));
  if (ownEnd?.step === 'blame') fail('DKG_ABORTED', `this node blamed custodian ${ownEnd.blamed![0]} in session ${session}`);
  if (ownEnd?.step === 'certeq') return { waiting: 'epoch' };
  const before = signedBefore(ctx, session, 'certeq') ?? signedBefore(ctx, session, 'blame');
  if (before) return { entry: before };

  const s1 = round1(ctx, session, epoch, host, params) ?? fail('DKG_ABORTED', `this node has no round-1 state for session ${session}`);
  try {
    const { pmsg2 } = participantStep2(host, s1!.state, cmsg1!, new Uint8Array(randomBytes(32)));
    return { entry: sign(ctx, { ...base, step: 'certeq', payload: bytesToHex(pmsg2) }) };
  } catch (err) {
    const culprit = blamed(err, pmsgs1, params, order.indexOf(mine));
    if (culprit === undefined) throw err;
    return { entry: sign(ctx, { ...base, step: 'blame', payload: culprit.evidence, blamed: [order[culprit.participant]!] }) };
  }
}

/**
 * Who a failed participant_step2 blames: a participant (FAULTY_PARTICIPANT_OR_COORDINATOR
 * with a name, directly or after investigating with the investigation message
 * this node computes itself from the logged reveals). Undefined for anything
 * else, rethrown by the caller: with the aggregate and the investigation
 * message recomputed here, a verdict against the coordinator is a bug.
 */
function blamed(err: unknown, pmsgs1: Uint8Array[], params: SessionParams, position: number): { participant: number; evidence: string } | undefined {
  const cinv = coordinatorInvestigate(pmsgs1, params)[position]!;
  let verdict: unknown = err;
  if (err instanceof UnknownFaultyPartyError) {
    try {
      participantInvestigate(err, cinv);
    } catch (inv) {
      verdict = inv;
    }
  }
  if (verdict instanceof DkgError && verdict.code === 'FAULTY_PARTICIPANT_OR_COORDINATOR' && verdict.participant !== undefined) {
    return { participant: verdict.participant, evidence: bytesToBase64(cinv) };
  }
  return undefined;
}
