/**
 * Release (docs/PROTOCOL.md §5 step 5, §1 goals 2–4 and 7): partial decryptions only
 * when every rule (a)–(k) of the custodian issue holds, each checked from this
 * node's own replica, each with its own code (docs/PROTOCOL.md §7.12, Release).
 */
import { createPartial, parseEnvelope, scopeCovers, verifyBinding } from '@custodes/shared/crypto';
import type { Partial, ParsedEnvelope } from '@custodes/shared/crypto';
import { canonicalJson, envelopeSetRoot, partialsRoot, signRecord, verifyWarrantSignature, warrantCommitment } from '@custodes/shared/records';
import type { PartialsCall, RegistryEntry, ReleaseEntry, SignedWarrant, WarrantEntry } from '@custodes/shared/records';
import { judgeRequest, keyEpochOf, quorumOf, retiredAmong } from '@custodes/shared/rules';
import { checkCallBody, checkCallEnvelopes } from './callAuth';
import { adoptShare } from './dkg';
import type { Context } from './context';
import { nowSeconds } from './context';
import { CustodianError } from './errors';
import { courtKey } from './registry';
import { currentRegistry, loggedRequest, loggedWarrant } from './replica';
import { mapInSlices } from './slices';
import { warrantState } from './warrantState';

export interface ReleaseAnswer {
  requestId: string;
  custodian: number;
  partials: Partial[];
  release: ReleaseEntry;
}

const RATE_WINDOW_MS = 60_000;

function refuse(code: ConstructorParameters<typeof CustodianError>[0], message: string): never {
  throw new CustodianError(code, message);
}

/**
 * Serves `POST /v1/partials` for a `call` already authenticated (callAuth.ts).
 *
 * The slow parts (parsing, binding proofs (f), partials) run in slices that
 * yield to the event loop (slices.ts), so a large release does not stop the
 * node witnessing or answering /health. Every rule that reads the replica or
 * the store — (a)–(e) and (g)–(j), and whether the request was served — is
 * checked again in the one synchronous step that stores the answer, so what
 * arrived meanwhile (a revocation, another release for the warrant or the
 * agency, the same request served by a concurrent call) is seen exactly as
 * before: no two calls can interleave between the cap check and the count.
 * Every outcome is recorded locally.
 */
export async function releasePartials(ctx: Context, call: PartialsCall, requestId: string, rawEnvelopes: readonly unknown[]): Promise<ReleaseAnswer> {
  // A call for a request whose release is still being computed (the coordinator retries a call that
  // timed out, with a fresh authorisation) waits for it, then gets the stored answer: computed once.
  for (let running = ctx.releasing.get(requestId); running; running = ctx.releasing.get(requestId)) await running.catch(() => undefined);
  const release = releaseOnce(ctx, call, requestId, rawEnvelopes);
  ctx.releasing.set(requestId, release);
  try {
    return await release;
  } finally {
    if (ctx.releasing.get(requestId) === release) ctx.releasing.delete(requestId);
  }
}

async function releaseOnce(ctx: Context, call: PartialsCall, requestId: string, rawEnvelopes: readonly unknown[]): Promise<ReleaseAnswer> {
  // The body must be what the coordinator signed: request id and count before
  // any envelope is parsed, then the ids' root. A repeat of a served request
  // passes here too, so a stored answer is only ever returned to the coordinator.
  checkCallBody(ctx, call, requestId, rawEnvelopes.length);
  const envelopes = await mapInSlices(rawEnvelopes, (e) => parseEnvelope(e)); // BAD_FORMAT (400) on junk
  const ids = envelopes.map((e) => e.id);
  // One root over the ids serves both the call check and rule (e).
  const root = envelopeSetRoot(ids);
  checkCallEnvelopes(ctx, call, root);
  let warrantId: string | null = null;
  const seen = (id: string) => (warrantId = id);
  try {
    // (k) before a repeat too: after retirement not even a stored answer leaves this node (docs/PROTOCOL.md §3.10).
    const registry = currentRegistry(ctx.store)?.entry;
    if (registry) checkNotRetired(ctx, registry, envelopes);
    const repeated = repeat(ctx, requestId, ids);
    if (repeated) return repeated;
    requireOwnReleasesLogged(ctx);
    const logged = checkRequest(ctx, requestId, envelopes, root, seen);
    // (f) every binding proof: pure, so checked once, in slices.
    const bound = await mapInSlices(envelopes, (e) => verifyBinding(e));
    const unbound = bound.indexOf(false);
    if (unbound >= 0) refuse('BAD_BINDING', `envelope ${unbound} fails its binding proof`);
    checkLimits(ctx, envelopes, logged);
    const index = ctx.node.custodian;
    // With the share of the envelope's key epoch (§3.9): checkLimits (h) made sure this node holds it.
    const keyEpochs = keyEpochsOf(ctx, envelopes);
    const partials = await mapInSlices(envelopes, (e) => {
      const k = keyEpochs.get(e.epoch)!;
      return createPartial(ctx.vault.share(k)!, index, e, undefined, ctx.vault.verificationShare(k));
    });
    // Again, at once with the commit: what changed while the partials were computed counts.
    const again = repeat(ctx, requestId, ids);
    if (again) return again;
    const checked = checkLimits(ctx, envelopes, checkRequest(ctx, requestId, envelopes, root, seen));
    return serve(ctx, requestId, envelopes, partials, checked);
  } catch (err) {
    if (err instanceof CustodianError) {
      ctx.store.insertReleaseLog({ requestId, warrantId, outcome: 'refused', code: err.code, count: envelopes.length, time: nowSeconds(ctx) });
      ctx.log.info({ requestId, warrantId, code: err.code, count: envelopes.length }, 'release refused');
    }
    throw err;
  }
}

/**
 * "Each release is logged" (docs/PROTOCOL.md §5 step 5), enforced by this node rather
 * than left to the coordinator: while one of its own releases has stayed out
 * of its replica longer than `releaseLogDeadlineMs`, it releases nothing new
 * (503 RELEASES_UNLOGGED: a coordinator that logs late gets served again).
 * Only the replica clears a release (replica.ts), never a coordinator's 2xx to
 * the outbox. Repeats of served requests still answer: they release nothing new.
 */
function requireOwnReleasesLogged(ctx: Context): void {
  const [oldest] = ctx.store.unloggedReleases(1);
  if (!oldest || ctx.nowMs() - oldest.servedMs <= ctx.releaseLogDeadlineMs) return;
  ctx.log.warn({ requestId: oldest.requestId, servedMs: oldest.servedMs, deadlineMs: ctx.releaseLogDeadlineMs }, 'a release of this node is not in the log past the deadline: new releases refused');
  refuse('RELEASES_UNLOGGED', `this node's release for request ${oldest.requestId} is not in its log replica ${ctx.releaseLogDeadlineMs} ms after it was served; no new release until it is`);
}

/** The operator's view of this node's releases not yet in its replica (GET /v1/operator/releases). */
export function unloggedReleases(ctx: Context, limit = 200) {
  const now = ctx.nowMs();
  return ctx.store.unloggedReleases(limit).map((r) => ({
    requestId: r.requestId,
    servedAt: Math.floor(r.servedMs / 1000),
    overdue: now - r.servedMs > ctx.releaseLogDeadlineMs,
  }));
}

/** The stored answer if `requestId` was served (for these envelopes; other envelopes are ENVELOPE_SET_MISMATCH), else null. */
function repeat(ctx: Context, requestId: string, ids: readonly string[]): ReleaseAnswer | null {
  const repeated = ctx.store.served(requestId);
  if (!repeated) return null;
  if (repeated.envelopeIds !== JSON.stringify(ids)) refuse('ENVELOPE_SET_MISMATCH', 'these envelopes differ from the ones already served for this request');
  ctx.store.insertReleaseLog({ requestId, warrantId: repeated.warrantId, outcome: 'repeated', code: null, count: 0, time: nowSeconds(ctx) });
  return JSON.parse(repeated.answer) as ReleaseAnswer;
}

interface Logged {
  warrantId: string;
  warrant: SignedWarrant;
  entry: WarrantEntry;
  registry: RegistryEntry;
}

interface Checked {
  warrantId: string;
  agency: string;
}

/** Rules (a)–(e), in order, from the replica and the store. */
function checkRequest(ctx: Context, requestId: string, envelopes: ParsedEnvelope[], root: string, seen: (warrantId: string) => void): Logged {
  const { store } = ctx;
  const registry = currentRegistry(store)?.entry;

  // (a) the request is in this node's replica, which holds only entries under
  // checkpoints this node cosigned (they are stored in the same transaction).
  const request = loggedRequest(store, requestId)?.entry;
  if (!request || !registry) refuse('REQUEST_NOT_LOGGED', `request ${requestId} is not in a checkpoint this node cosigned`);
  seen(request.warrantId);

  // (b) warrant logged, commitment opens, court registered and its signature
  // valid, and the request signed by the warrant's investigator.
  const logged = loggedWarrant(store, request.warrantId)?.entry;
  if (!logged) refuse('WARRANT_INVALID', 'the warrant is not logged');
  const review = store.review(request.warrantId);
  if (!review) refuse('WARRANT_INVALID', 'this node never received the full warrant');
  const warrant = JSON.parse(review.warrant) as SignedWarrant;
  if (warrantCommitment(warrant, review.salt) !== logged.commitment) refuse('WARRANT_INVALID', 'the warrant does not open the logged commitment');
  const court = courtKey(registry, warrant.court);
  if (!court || !verifyWarrantSignature(warrant, warrant.courtSignature, court)) refuse('WARRANT_INVALID', 'the court is not registered or its signature fails');
  // The request must be signed by the warrant's own investigator, not another of
  // its agency: results are sealed to the request's signer (docs/PROTOCOL.md §3.7),
  // so checking this here, and not only at
  // the coordinator and the auditors, keeps a log-key holder from redirecting them.
  if (request.investigator !== warrant.investigator) refuse('INVESTIGATOR_MISMATCH', "the request is signed by another investigator than the warrant's");

  // (c) not revoked, not expired: the shared status, with its precedence revoked > expired.
  // Its tally counts the first decision of each reviewer over the logged commitment (warrantState.ts).
  const { status, approvers, decisions } = warrantState(store, registry, logged, nowSeconds(ctx));
  if (status === 'revoked') refuse('WARRANT_REVOKED', 'the warrant was revoked');
  if (status === 'expired') refuse('WARRANT_EXPIRED', 'the warrant has expired');

  // (d) our own approval logged, no denial of ours, and a quorum: the warrant's
  // (t reviewers) and, for each epoch e of the request, t_e approvers among
  // epoch e's custodians (judgeRequest). An unknown epoch is left to (h).
  if (decisions.some((a) => a.custodian === ctx.node.custodian && a.decision === 'deny')) refuse('NOT_APPROVED_BY_ME', 'this custodian denied the warrant');
  if (!approvers.includes(ctx.node.custodian)) refuse('NOT_APPROVED_BY_ME', "this custodian's approval is not in its replica");
  const admissible = judgeRequest({ status, epochs: request.epochs, approvers }, registry);
  if (!admissible.ok && admissible.code !== 'UNKNOWN_EPOCH') refuse('NO_QUORUM', admissible.message);

  // (e) the envelopes are exactly the logged set: count, RFC 6962 root over the ids, epochs.
  if (envelopes.length !== request.envelopeCount) refuse('ENVELOPE_SET_MISMATCH', `request logs ${request.envelopeCount} envelopes, got ${envelopes.length}`);
  if (root !== request.envelopeSetRoot) refuse('ENVELOPE_SET_MISMATCH', 'the envelopes do not hash to the logged envelopeSetRoot');
  if (envelopes.some((e) => !request.epochs.includes(e.epoch))) refuse('ENVELOPE_SET_MISMATCH', 'an envelope names an epoch the request does not list');
  return { warrantId: request.warrantId, warrant, entry: logged, registry };
}

/**
 * Rule (k) (docs/PROTOCOL.md §3.10): no envelope of an epoch retired at this
 * node's clock (@custodes/shared/rules retiredAmong). Its custodians destroy
 * their shares from retireAfter on; the date, not whether this node has got
 * round to it, decides.
 */
function checkNotRetired(ctx: Context, registry: RegistryEntry, envelopes: readonly ParsedEnvelope[]): void {
  const retired = retiredAmong(registry, new Set(envelopes.map((x) => x.epoch)), nowSeconds(ctx));
  if (retired) refuse('EPOCH_RETIRED', retired.message);
}

/** Envelope epoch → key epoch (§3.9) under the replicated registry in force. */
function keyEpochsOf(ctx: Context, envelopes: readonly ParsedEnvelope[]): Map<number, number> {
  const registry = currentRegistry(ctx.store)!.entry;
  return new Map([...new Set(envelopes.map((e) => e.epoch))].map((e) => [e, keyEpochOf(registry, e)!] as const));
}

/** Rules (g), (k), (h), (i), (j), in that order ((f), the binding proofs, is checked between the two halves). */
function checkLimits(ctx: Context, envelopes: ParsedEnvelope[], { warrantId, warrant, entry: logged, registry }: Logged): Checked {
  const { store } = ctx;
  // (g) every label in scope.
  const outside = envelopes.findIndex((e) => !scopeCovers(warrant.scope, e.envelope.label));
  if (outside >= 0) refuse('OUT_OF_SCOPE', `envelope ${outside} is outside the warrant's scope`);

  // (k) no epoch retired: checked before (h), so a retired DKG epoch's share is never recovered.
  checkNotRetired(ctx, registry, envelopes);

  // (h) epoch registered, this node one of the custodians of its key epoch (only they release for it: after a
  // reshare, not the superseded committee, §3.9) and that epoch's share held here.
  for (const e of new Set(envelopes.map((x) => x.epoch))) {
    const q = quorumOf(registry, e);
    // A DKG or reshare epoch's share is recovered from the log the first time it is needed (docs/PROTOCOL.md §3.8, §3.9).
    if (q?.custodians.has(ctx.node.custodian) && ctx.vault.share(q.epoch) === undefined && ctx.vault.hostKey() !== undefined) adoptShare(ctx, q.epoch);
    if (!q?.custodians.has(ctx.node.custodian) || ctx.vault.share(q.epoch) === undefined) {
      refuse('UNKNOWN_EPOCH', `epoch ${e} is not registered, its key epoch does not list this custodian, or this node holds no share of it`);
    }
  }

  // (i) the warrant's envelope cap, counting what this node released before.
  const released = store.releasedForWarrant(warrantId);
  if (released + envelopes.length > logged.maxEnvelopes) {
    refuse('ENVELOPE_CAP', `${released} released so far, ${envelopes.length} more would exceed maxEnvelopes ${logged.maxEnvelopes}`);
  }

  // (j) per-agency rate.
  const recent = store.releasedForAgencySince(logged.agency, ctx.nowMs() - RATE_WINDOW_MS);
  if (recent + envelopes.length > ctx.envelopesPerMinute) {
    refuse('RATE_LIMITED', `agency ${logged.agency} is limited to ${ctx.envelopesPerMinute} envelopes a minute`);
  }
  return { warrantId, agency: logged.agency };
}

/** Signs the release over `partials` and stores the answer, the count and the outbox row in one transaction (synchronous). */
function serve(ctx: Context, requestId: string, envelopes: ParsedEnvelope[], partials: Partial[], checked: Checked): ReleaseAnswer {
  const index = ctx.node.custodian;
  const unsigned: Omit<ReleaseEntry, 'signature'> = {
    type: 'release',
    requestId,
    custodian: index,
    count: partials.length,
    partialsRoot: partialsRoot(partials),
  };
  const release: ReleaseEntry = { ...unsigned, signature: signRecord(unsigned, 'release', ctx.vault.signingKey()) };
  const answer: ReleaseAnswer = { requestId, custodian: index, partials, release };
  ctx.store.tx(() => {
    ctx.store.insertServed({
      requestId,
      warrantId: checked.warrantId,
      agency: checked.agency,
      count: partials.length,
      envelopeIds: JSON.stringify(envelopes.map((e) => e.id)),
      answer: JSON.stringify(answer),
      timeMs: ctx.nowMs(),
    });
    ctx.store.insertReleaseLog({ requestId, warrantId: checked.warrantId, outcome: 'served', code: null, count: partials.length, time: nowSeconds(ctx) });
    ctx.store.insertOutbox(`release:${requestId}`, canonicalJson(release));
  });
  ctx.log.info({ requestId, warrantId: checked.warrantId, agency: checked.agency, count: partials.length }, 'partials released');
  // The coordinator logs the release from this answer; the outbox posts it only if the replica has not seen it logged by then.
  ctx.outbox.kickLater(`release:${requestId}`);
  return answer;
}

export function releaseHistory(ctx: Context, limit = 200) {
  return ctx.store.releaseLog(limit);
}
