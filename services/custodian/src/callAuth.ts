/**
 * The coordinator's authorisation of `POST /v1/partials` (docs/PROTOCOL.md §7.12,
 * Call authorisation; the tag `custodes/v1/partials-call` extends docs/PROTOCOL.md §6).
 *
 * Only the coordinator may collect partials: otherwise anyone holding a logged
 * request's envelopes could combine t partials themselves and bypass "plaintexts
 * to that investigator only" (docs/PROTOCOL.md §5 step 6). The coordinator signs each
 * call with its log key, which this node trusts from the registry in its own
 * replica, as it does for checkpoints (docs/PROTOCOL.md §4.3). Checked before the body
 * is read, so an unauthenticated caller costs one header parse and at most one
 * BIP340 verification; an authenticated call is then used up (one use per call).
 */
import { sha256, utf8 } from '@custodes/shared/crypto';
import { canonicalJson, decodePartialsCall, verifyPartialsCall } from '@custodes/shared/records';
import type { PartialsCall } from '@custodes/shared/records';
import type { Context } from './context';
import { nowSeconds } from './context';
import { CustodianError } from './errors';
import { currentRegistry } from './replica';

type CallCode = 'UNAUTHENTICATED' | 'BAD_CALL_SIGNATURE' | 'WRONG_CUSTODIAN' | 'STALE_CALL' | 'REPLAYED_CALL' | 'CALL_MISMATCH';

/**
 * Refuses a call that is not the coordinator's (401): junk, another node's,
 * stale, a bad signature, or a replay of a call already used. Counted in
 * memory only (refusals.ts): anyone can send these, so they must cost the
 * node no disk and leave the operator's history as it was.
 */
function refuseUnauthenticated(ctx: Context, code: CallCode, message: string): never {
  ctx.refusals.count(code);
  throw new CustodianError(code, message);
}

/**
 * Refuses the coordinator's own call (authenticated and used up just now, so at
 * most one row per call the log key signed): recorded in the release log like
 * any other refusal, then thrown (401).
 */
function refuseCall(ctx: Context, call: PartialsCall, code: CallCode, message: string): never {
  ctx.store.insertReleaseLog({ requestId: call.requestId, warrantId: null, outcome: 'refused', code, count: call.envelopeCount, time: nowSeconds(ctx) });
  ctx.log.info({ requestId: call.requestId, code }, 'partials call refused');
  throw new CustodianError(code, message);
}

/**
 * Checks the `Custodes-Call` header value: well-formed, for this node's index,
 * fresh within ±`callWindowSeconds`, signed by the registry's log key, and
 * never used before; then uses it up. Returns the call, whose requestId and
 * envelopes the body must then match (`checkCallBody`, `checkCallEnvelopes`).
 */
export function authenticateCall(ctx: Context, header: string | undefined): PartialsCall {
  if (header === undefined || header === '') refuseUnauthenticated(ctx, 'UNAUTHENTICATED', 'POST /v1/partials needs the coordinator\'s signed Custodes-Call header');
  const call = decodePartialsCall(header);
  if (!call) refuseUnauthenticated(ctx, 'UNAUTHENTICATED', 'the Custodes-Call header is not base64 of a canonical partials-call record');
  // Cheap checks first: each costs nothing, the signature costs a BIP340 verification.
  if (call.custodian !== ctx.node.custodian) refuseUnauthenticated(ctx, 'WRONG_CUSTODIAN', `the call is for custodian ${call.custodian}, this is custodian ${ctx.node.custodian}`);
  const skew = call.issuedAt - nowSeconds(ctx);
  if (Math.abs(skew) > ctx.callWindowSeconds) {
    refuseUnauthenticated(ctx, 'STALE_CALL', `the call was issued ${Math.abs(skew)} s ${skew < 0 ? 'ago' : 'ahead'}; at most ${ctx.callWindowSeconds} s is accepted`);
  }
  // The log key of the registry this node replicates (the one it checks checkpoints with).
  const registry = currentRegistry(ctx.store)?.entry;
  if (!registry) refuseUnauthenticated(ctx, 'UNAUTHENTICATED', 'this node knows no registry yet, so no log key to check the call with');
  if (!verifyPartialsCall(call, registry.logKey)) refuseUnauthenticated(ctx, 'BAD_CALL_SIGNATURE', "the call is not signed by the registry's log key");
  useCall(ctx, call);
  return call;
}

/**
 * One use per call. Recorded only once the signature holds (junk never reaches
 * the table) and before the body is read, in one synchronous statement, so a
 * second use is refused even while the first is still streaming its body, and
 * a call that fails anything later (body, a release rule) is used up too: one
 * call is evaluated at most once. The coordinator signs a fresh call for every
 * attempt, so its retries are never refused here.
 *
 * Key: SHA256(JCS(call)), signature included. The header is the base64 of
 * exactly these bytes (decodePartialsCall accepts the canonical form only),
 * and BIP340 signatures cannot be altered into another valid one without the
 * key, so no other header can carry the same authorisation.
 *
 * Calls issued more than the window before this node's clock would be stale
 * anyway and are forgotten; a call issued below that floor (the clock stepped
 * back, or the window was widened since) may have been used and forgotten, so
 * it is refused as stale rather than trusted.
 */
function useCall(ctx: Context, call: PartialsCall): void {
  const digest = sha256(utf8(canonicalJson(call)));
  const used = ctx.store.useCall(digest, call.issuedAt, nowSeconds(ctx) - ctx.callWindowSeconds);
  // A replay or a forgotten call is not the coordinator calling (it signs every attempt afresh): counted, not stored.
  if (used === 'replayed') refuseUnauthenticated(ctx, 'REPLAYED_CALL', 'this call was already used; every call is good for one use');
  if (used === 'forgotten') refuseUnauthenticated(ctx, 'STALE_CALL', 'the call was issued before the calls this node has forgotten (its clock or window moved back)');
}

/** The body's request id and envelope count must be the signed ones; checked before any envelope is parsed. */
export function checkCallBody(ctx: Context, call: PartialsCall, requestId: string, envelopeCount: number): void {
  if (requestId !== call.requestId) refuseCall(ctx, call, 'CALL_MISMATCH', 'the body names another request than the signed call');
  if (envelopeCount !== call.envelopeCount) refuseCall(ctx, call, 'CALL_MISMATCH', `the call is signed for ${call.envelopeCount} envelopes, the body has ${envelopeCount}`);
}

/** `root`, the RFC 6962 root over the body's envelope ids in order, must be the signed envelopeSetRoot. */
export function checkCallEnvelopes(ctx: Context, call: PartialsCall, root: string): void {
  if (root !== call.envelopeSetRoot) refuseCall(ctx, call, 'CALL_MISMATCH', 'the envelopes do not hash to the envelopeSetRoot of the signed call');
}
