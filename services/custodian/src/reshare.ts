/**
 * This node in a reshare (docs/PROTOCOL.md §3.9): proposed epoch N
 * (`reshareOf: O`) gets O's group key through dealings of O's custodians to
 * N's. The coordinator asks, the node answers with the entry it signs for its
 * next step, computed ONLY from its replica (entries in checkpoints it has
 * cosigned), as in the DKG (dkg.ts). One node may be a dealer (a custodian
 * of O holding O's share) and a receiver (a custodian of N); its steps come
 * in session order:
 *
 *   commit   dealer: SHA256(dealing), the dealing's randomness sealed first
 *   reveal   dealer in the logged `dealers` set D: the dealing
 *   certeq   receiver: the certificate signature, once every dealing of the
 *            logged qualified set Q checks out and combines to its X'_j
 *   blame    receiver: a complaint against the first dealer of Q whose
 *            sub-share fails (§3.9: anyone can verify it)
 *
 * and, once N is active (its `epoch` entry in the replica):
 *
 *   receiver: recovers its share of N from its host key and the recovery data
 *   dealer:   deletes its share of O and signs `share-destroyed` — only now,
 *             after every new custodian's certificate signature is logged.
 *
 * Checks, one code each (test/reshare-service/checks.test.ts breaks each):
 *   DKG_UNKNOWN_EPOCH       O is not active, or its key already moved on
 *   DKG_NOT_PARTICIPANT     this node is neither a dealer nor a receiver
 *   DKG_HOST_KEY_MISMATCH   the registry's host key for this node in N is not its own
 *   DKG_ABORTED             the session has a logged `abort`, or this node blamed a dealer
 *   DKG_AGGREGATE_MISMATCH  a logged `dealers` or `aggregate` step that breaks §3.9
 *   DKG_REVEAL_MISMATCH     a dealing of Q that does not hash to its logged commit
 */
import { randomBytes } from 'node:crypto';
import { base64ToBytes, bytesToBase64, bytesToHex, scalarToBytes, sha256 } from '@custodes/shared/crypto';
import { dealReshare, hostpubkeyGen, participantRecoverReshare, reshareAckSign, ReshareError } from '@custodes/shared/dkg';
import { canonicalJson, decodeDealerSet, signRecord } from '@custodes/shared/records';
import type { DkgAnswer, DkgStep, EpochEntry, RegistryEntry, ShareDestroyedEntry } from '@custodes/shared/records';
import { isSuperseded, reshareParamsOf } from '@custodes/shared/rules';
import type { Context } from './context';
import { nowSeconds } from './context';
import { adoptShare } from './dkg';
import { fail, sign, signedBefore } from './dkgSigned';
import { loggedDkgEntries } from './replica';

type RegistryEpoch = RegistryEntry['epochs'][number];

interface Roles {
  readonly o: RegistryEpoch;
  readonly dealer: boolean;
  readonly receiver: boolean;
}

function rolesOf(ctx: Context, registry: RegistryEntry, n: RegistryEpoch): Roles {
  const o = registry.epochs.find((x) => x.epoch === n.reshareOf && x.groupKey !== undefined) ?? fail('DKG_UNKNOWN_EPOCH', `epoch ${n.epoch} reshares epoch ${n.reshareOf}, which is not active`);
  const me = ctx.me.custodian;
  const inO = o!.custodians.some((c) => c.index === me);
  // A DKG or reshare share is recovered from the log the first time it is needed (§3.8): dealing needs it.
  if (inO && ctx.vault.share(o!.epoch) === undefined && ctx.vault.hostKey() !== undefined && !isSuperseded(registry, o!.epoch)) adoptShare(ctx, o!.epoch);
  // A superseded O's shares are dead (§3.9): nobody deals them again.
  const dealer = inO && ctx.vault.share(o!.epoch) !== undefined && !isSuperseded(registry, o!.epoch);
  const receiver = n.custodians.some((c) => c.index === me);
  if (!dealer && !receiver) fail('DKG_NOT_PARTICIPANT', `custodian ${me} neither holds a share of epoch ${o!.epoch} nor is a custodian of epoch ${n.epoch}`);
  return { o: o!, dealer, receiver };
}

/** This node's answer for session `session` of proposed reshare epoch `n` (docs/PROTOCOL.md §3.9, §7.15). */
export function reshareStep(ctx: Context, registry: RegistryEntry, n: RegistryEpoch, session: string, host: Uint8Array): DkgAnswer {
  const { o, dealer, receiver } = rolesOf(ctx, registry, n);
  const me = ctx.me.custodian;
  if (receiver && n.custodians.find((c) => c.index === me)!.hostKey !== bytesToHex(hostpubkeyGen(host))) {
    fail('DKG_HOST_KEY_MISMATCH', `the registry's host key for custodian ${me} in epoch ${n.epoch} is not this node's`);
  }
  const params = reshareParamsOf(registry, n.epoch, session);
  const logged = loggedDkgEntries(ctx.store).filter((x) => x.session === session && x.epoch === n.epoch);
  if (logged.some((x) => x.step === 'abort')) fail('DKG_ABORTED', `session ${session} was aborted`);
  const of = (step: DkgStep) => new Map(logged.filter((x) => x.step === step).map((x) => [x.custodian!, x] as const));
  const base = { type: 'dkg' as const, epoch: n.epoch, session, custodian: me, time: nowSeconds(ctx) };

  // Commit: SHA256(dealing), the randomness sealed and the dealing stored first.
  const commits = of('commit');
  if (dealer && !commits.has(me)) {
    const before = signedBefore(ctx, session, 'commit');
    if (before) return { entry: before };
    const random = new Uint8Array(randomBytes(32));
    const dealing = dealReshare(params, scalarToBytes(ctx.vault.share(o.epoch)!), me, random);
    ctx.store.tx(() => ctx.store.insertDkgSession(session, n.epoch, ctx.vault.sealSecret(random, `reshare-random/${session}`), dealing));
    random.fill(0);
    return { entry: sign(ctx, { ...base, step: 'commit', payload: bytesToHex(sha256(dealing)) }) };
  }

  // Dealers D, fixed by the coordinator after the commits: ≥ t_O dealers of O, each with a logged commit.
  const dealersStep = logged.find((x) => x.step === 'dealers');
  if (!dealersStep) return { waiting: 'dealers' };
  const D = decodeDealerSet(dealersStep.payload);
  if (!D || D.length < o.threshold || D.some((i) => !commits.has(i) || !o.custodians.some((c) => c.index === i))) {
    fail('DKG_AGGREGATE_MISMATCH', `the logged dealers of session ${session} are not ≥ ${o.threshold} committed custodians of epoch ${o.epoch}`);
  }
  const reveals = of('reveal');
  if (dealer && D!.includes(me) && !reveals.has(me)) {
    const before = signedBefore(ctx, session, 'reveal');
    if (before) return { entry: before };
    const row = ctx.store.dkgSession(session) ?? fail('DKG_ABORTED', `this node has no dealing for session ${session}`);
    return { entry: sign(ctx, { ...base, step: 'reveal', payload: bytesToBase64(row!.pmsg1) }) };
  }

  // The qualified set Q ⊆ D, each dealing revealed and matching its commit.
  const aggregate = logged.find((x) => x.step === 'aggregate');
  if (!aggregate) return { waiting: 'aggregate' };
  const Q = decodeDealerSet(aggregate.payload);
  if (!Q || Q.length < o.threshold || Q.some((i) => !D!.includes(i) || !reveals.has(i))) {
    fail('DKG_AGGREGATE_MISMATCH', `the logged qualified set of session ${session} is not ≥ ${o.threshold} revealed dealers`);
  }
  const dealings = Q!.map((i) => {
    const dealing = base64ToBytes(reveals.get(i)!.payload, 'reveal');
    if (bytesToHex(sha256(dealing)) !== commits.get(i)!.payload) fail('DKG_REVEAL_MISMATCH', `the dealing of custodian ${i} does not match its commit`);
    return dealing;
  });
  if (!receiver) return { waiting: 'epoch' };

  const ownEnd = logged.find((x) => x.custodian === me && (x.step === 'certeq' || x.step === 'blame'));
  if (ownEnd?.step === 'blame') fail('DKG_ABORTED', `this node complained about custodian ${ownEnd.blamed![0]} in session ${session}`);
  if (ownEnd?.step === 'certeq') return { waiting: 'epoch' };
  const before = signedBefore(ctx, session, 'certeq') ?? signedBefore(ctx, session, 'blame');
  if (before) return { entry: before };
  try {
    const signature = reshareAckSign(params, host, dealings, new Uint8Array(randomBytes(32)));
    return { entry: sign(ctx, { ...base, step: 'certeq', payload: bytesToHex(signature) }) };
  } catch (err) {
    if (err instanceof ReshareError && err.code === 'BAD_SUBSHARE' && err.dealer !== undefined && err.complaint !== undefined) {
      return { entry: sign(ctx, { ...base, step: 'blame', payload: bytesToBase64(err.complaint), blamed: [err.dealer] }) };
    }
    // A public fault in Q (a bad dealing, C_{i,0} ≠ X_i, C'_0 ≠ Y): the coordinator should never have chosen it.
    if (err instanceof ReshareError) fail('DKG_AGGREGATE_MISMATCH', `the logged qualified set of session ${session} does not reshare: ${err.message}`);
    throw err;
  }
}

/**
 * Once reshare epoch `n` is active in the replica (docs/PROTOCOL.md §3.9): a
 * receiver recovers and seals its share of N from its host key and the logged
 * recovery data; then a dealer of O deletes its share of O (the secrets
 * resealed and stored first) and signs `share-destroyed`, kept to be handed
 * out again. Returns the statement for a custodian of O, else `active`.
 */
export function settleReshare(ctx: Context, registry: RegistryEntry, n: RegistryEpoch, epochEntry: EpochEntry): DkgAnswer {
  const me = ctx.me.custodian;
  if (n.custodians.some((c) => c.index === me)) adoptReshareShare(ctx, n, epochEntry);
  const o = registry.epochs.find((x) => x.epoch === n.reshareOf);
  if (o?.custodians.some((c) => c.index === me)) return { destroyed: destroyShare(ctx, o.epoch, n.epoch) };
  return { active: { epoch: n.epoch, groupKey: epochEntry.groupKey } };
}

export function adoptReshareShare(ctx: Context, n: RegistryEpoch, entry: EpochEntry): void {
  if (ctx.vault.share(n.epoch) !== undefined) return;
  const host = ctx.vault.hostKey() ?? fail('DKG_NO_HOST_KEY', 'this node holds no host key');
  const { received, keys } = participantRecoverReshare(host!, base64ToBytes(entry.recoveryData, 'recoveryData'));
  if (received.index !== ctx.me.custodian || keys.groupKey !== entry.groupKey) {
    throw new Error(`the reshare of epoch ${n.epoch} does not give custodian ${ctx.me.custodian} a share of the logged key`);
  }
  const box = ctx.vault.addShare({
    format: 'custodes.share.v1',
    epoch: n.epoch,
    index: received.index,
    ...(received.point === received.index ? {} : { point: received.point }),
    threshold: keys.threshold,
    total: keys.indices.length,
    share: bytesToHex(received.share),
    groupKey: entry.groupKey,
    commitments: [...entry.commitments],
  });
  received.share.fill(0);
  if (box) storeSealed(ctx, box);
  ctx.log.info({ epoch: n.epoch }, 'reshared share recovered from the log and sealed');
}

/** Deletes the share of `epoch` (if still held) and returns the signed statement, the same one every time. */
function destroyShare(ctx: Context, epoch: number, successor: number): ShareDestroyedEntry {
  const key = `share-destroyed:${epoch}`;
  const kept = ctx.store.dkgSigned(key, 'share-destroyed');
  const box = ctx.vault.removeShare(epoch);
  if (box) {
    storeSealed(ctx, box);
    ctx.log.info({ epoch, successor }, 'share of a reshared epoch destroyed');
  }
  if (kept !== undefined) return JSON.parse(kept) as ShareDestroyedEntry;
  const body = { type: 'share-destroyed' as const, epoch, successor, custodian: ctx.me.custodian, time: nowSeconds(ctx) };
  const entry: ShareDestroyedEntry = { ...body, signature: signRecord(body, 'share-destroyed', ctx.vault.signingKey()) };
  ctx.store.insertDkgSigned(key, 'share-destroyed', canonicalJson(entry));
  return JSON.parse(ctx.store.dkgSigned(key, 'share-destroyed')!) as ShareDestroyedEntry;
}

function storeSealed(ctx: Context, box: { nonce: Uint8Array; box: Uint8Array }): void {
  ctx.store.setSealed(box);
  ctx.node.sealedNonce = box.nonce;
  ctx.node.sealedBox = box.box;
}

