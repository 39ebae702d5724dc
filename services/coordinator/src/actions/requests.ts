/**
 * Decryption requests as the investigator drives them (docs/PROTOCOL.md §7.6):
 * a draft, batches of envelopes screened against the warrant's scope, the
 * signed entry logged, then the background workflow — or all of it in one
 * call for a request of at most one batch; progress and results for that
 * investigator only.
 */
import { randomUUID } from 'node:crypto';
import type { SealedResult } from '@custodes/shared/crypto';
import { canonicalJson, SignedWarrantSchema } from '@custodes/shared/records';
import type { DecryptionRequestEntry } from '@custodes/shared/records';
import type { Context } from '../context';
import { entryKey } from '../rules/recordChecks';
import { checkRequestEntry, screenEnvelope } from '../rules/requestChecks';
import type { EnvelopeFailureCode, RejectReason } from '../rules/requestChecks';
import { requireAdmissible, requireNotRetired } from '../rules/warrantChecks';
import type { InvestigatorIdentity } from '../rules/warrantChecks';
import { fail } from '../errors';
import type { RequestRow, WarrantRow } from '../repo/repository';
import type { RequestFailureCode } from '../workflow/decryption';
import { ownWarrant, tally } from './warrants';

/** Envelopes per batch, and at most in a one-call request (docs/PROTOCOL.md §7.6). */
export const MAX_BATCH = 500;

/** The caller's warrant, if a request may be opened under it now (404, 403, 409 WARRANT_* otherwise). */
function openableWarrant(ctx: Context, caller: InvestigatorIdentity, warrantId: string): WarrantRow {
  const w = ownWarrant(ctx, caller, warrantId);
  requireAdmissible({ ...tally(ctx, warrantId, w.expiresAt), epochs: [] }, ctx.registry());
  return w;
}

export function openRequest(ctx: Context, caller: InvestigatorIdentity, warrantId: string): { requestId: string } {
  openableWarrant(ctx, caller, warrantId);
  const requestId = randomUUID();
  ctx.repo.putRequest(requestId, warrantId, caller.investigator, ctx.now());
  return { requestId };
}

/** The request, if `caller` made it; 404 if unknown, 403 if someone else's. */
function ownRequest(ctx: Context, caller: InvestigatorIdentity, requestId: string): RequestRow {
  const r = ctx.repo.request(requestId);
  if (!r) fail('NOT_FOUND', `no request ${requestId}`);
  const w = ctx.repo.warrant(r.warrantId);
  if (r.investigator !== caller.investigator || w?.agency !== caller.agency) fail('FORBIDDEN', 'this request is not yours');
  return r;
}

export interface BatchResult {
  accepted: string[];
  rejected: { position: number; reason: RejectReason }[];
}

/** A screened batch: the verdicts, and each accepted envelope once (id → JSON), in order of first acceptance (a Map keeps it). */
interface Screened {
  result: BatchResult;
  fresh: Map<string, string>;
}

/** Envelopes screened between yields to the event loop (each costs a BIP340 verification). */
const SCREEN_SLICE = 16;

/** Screens each envelope (attacker-controlled) against warrant `w`'s scope and the registry; stores nothing. */
async function screenBatch(ctx: Context, w: WarrantRow, envelopes: readonly unknown[]): Promise<Screened> {
  // The coordinator knows the scope only from the full warrant received at intake.
  const scope = SignedWarrantSchema.parse(JSON.parse(w.warrantJson)).scope;
  const registry = ctx.registry();
  const result: BatchResult = { accepted: [], rejected: [] };
  const fresh = new Map<string, string>();
  // The same input twice in a batch gets the same verdict without a second verification.
  const verdicts = new Map<string, ReturnType<typeof screenEnvelope>>();
  for (let position = 0; position < envelopes.length; position++) {
    if (position % SCREEN_SLICE === SCREEN_SLICE - 1) await new Promise((r) => setImmediate(r));
    const input = envelopes[position];
    const text = JSON.stringify(input) ?? '';
    let s = verdicts.get(text);
    if (!s) {
      s = screenEnvelope(input, scope, registry);
      verdicts.set(text, s);
    }
    if (!s.ok) {
      result.rejected.push({ position, reason: s.reason });
      continue;
    }
    result.accepted.push(s.envelope.id);
    fresh.set(s.envelope.id, JSON.stringify(s.envelope.envelope));
  }
  return { result, fresh };
}

/**
 * Appends a screened batch to draft `requestId` under warrant `w`, within the
 * warrant's `maxEnvelopes`. Run it inside a transaction.
 */
function storeBatch(ctx: Context, requestId: string, w: WarrantRow, fresh: ReadonlyMap<string, string>): void {
  const now = ctx.repo.request(requestId)!;
  if (now.state !== 'draft') fail('NOT_DRAFT', 'the request was submitted meanwhile');
  // A repeated batch (or envelope) is accepted again but stored once.
  const added = [...fresh].filter(([id]) => ctx.repo.envelopePosition(requestId, id) === undefined);
  const remaining = w.maxEnvelopes - ctx.repo.requestedEnvelopes(w.id) - now.envelopeCount;
  if (added.length > remaining) {
    fail('ENVELOPE_CAP', `the warrant allows ${Math.max(remaining, 0)} more envelopes; this batch adds ${added.length}`);
  }
  for (const [id, json] of added) ctx.repo.addEnvelope(requestId, id, json);
}

export async function addEnvelopes(ctx: Context, caller: InvestigatorIdentity, requestId: string, envelopes: readonly unknown[]): Promise<BatchResult> {
  const req = ownRequest(ctx, caller, requestId);
  if (req.state !== 'draft') fail('NOT_DRAFT', 'the request was already submitted');
  const w = ctx.repo.warrant(req.warrantId)!;
  const { result, fresh } = await screenBatch(ctx, w, envelopes);
  // Checked again after the awaits (in storeBatch): a submit may have raced this batch.
  ctx.repo.transaction(() => storeBatch(ctx, requestId, w, fresh));
  return result;
}

/** True iff `req` was logged with exactly `entry` (a repeated submit gets the same answer). */
function loggedWith(req: RequestRow, entry: DecryptionRequestEntry): boolean {
  return req.entryJson !== null && canonicalJson(JSON.parse(req.entryJson)) === canonicalJson(entry);
}

/**
 * Checks `entry` against draft `req` (warrant `w`) and logs it, with a
 * checkpoint to cosign, in one commit (a savepoint inside the caller's
 * transaction); returns its log index.
 */
function logRequest(ctx: Context, caller: InvestigatorIdentity, req: RequestRow, w: WarrantRow, entry: DecryptionRequestEntry): number {
  const rows = ctx.repo.envelopes(req.id);
  const epochs = new Set(rows.map((r) => (JSON.parse(r.envelopeJson) as { epoch: number }).epoch));
  // The warrant's status, then ≥ t_e approvals by custodians of each epoch e of the envelopes.
  requireAdmissible({ ...tally(ctx, req.warrantId, w.expiresAt), epochs }, ctx.registry());
  requireNotRetired(epochs, ctx.registry(), ctx.now());
  checkRequestEntry(
    entry,
    { requestId: req.id, warrantId: req.warrantId, investigator: caller.investigator, envelopeIds: rows.map((r) => r.envelopeId), epochs },
    ctx.now(),
  );
  if (ctx.repo.requestedEnvelopes(req.warrantId) + rows.length > w.maxEnvelopes) {
    fail('ENVELOPE_CAP', `the warrant allows at most ${w.maxEnvelopes} envelopes in all`);
  }
  const { index } = ctx.ledger.appendOnce(entryKey.request(req.id), entry, (i) => ctx.repo.markRequestLogged(req.id, JSON.stringify(entry), i), {
    publish: true,
  });
  return index;
}

/** After the commit that logged the request: the background workflow (cosign, release, combine). */
function startWorkflow(ctx: Context, requestId: string, warrantId: string, envelopes: number, index: number): void {
  ctx.logger.info({ requestId, warrantId, envelopes, index }, 'decryption request logged');
  ctx.decryption.start(requestId);
}

export function submitRequest(
  ctx: Context,
  caller: InvestigatorIdentity,
  requestId: string,
  entry: DecryptionRequestEntry,
): { requestId: string; index: number } {
  const req = ownRequest(ctx, caller, requestId);
  if (req.state !== 'draft') {
    // Idempotent: the same entry again is the same answer.
    if (loggedWith(req, entry)) return { requestId, index: req.logIndex! };
    fail('NOT_DRAFT', 'the request was already submitted with another entry');
  }
  const w = ctx.repo.warrant(req.warrantId)!;
  const index = logRequest(ctx, caller, req, w, entry);
  startWorkflow(ctx, requestId, req.warrantId, req.envelopeCount, index);
  return { requestId, index };
}

/** The body of a one-call request: open, add one batch and submit (docs/PROTOCOL.md §7.6). */
export interface OneCallRequest {
  warrantId: string;
  /** Chosen by the investigator, so that `entry` can be signed before the call. */
  requestId: string;
  envelopes: readonly unknown[];
  entry: DecryptionRequestEntry;
}

/**
 * The answer already given to this call, if the request exists and was
 * logged by `caller` under the same warrant with the same entry; 409
 * CONFLICT if the id is taken otherwise (someone else's, another warrant,
 * another entry, or a draft).
 */
function answeredBefore(ctx: Context, caller: InvestigatorIdentity, call: OneCallRequest): { requestId: string; index: number } | undefined {
  const req = ctx.repo.request(call.requestId);
  if (!req) return undefined;
  const agency = ctx.repo.warrant(req.warrantId)?.agency;
  const same = req.investigator === caller.investigator && agency === caller.agency && req.warrantId === call.warrantId && loggedWith(req, call.entry);
  if (!same) fail('CONFLICT', `request id ${call.requestId} is taken (by another investigator, warrant or entry, or by a draft)`);
  return { requestId: call.requestId, index: req.logIndex! };
}

/**
 * A whole request in one call: every check of opening, of one envelope batch
 * and of submitting, and then the draft, its envelopes and the logged entry
 * in one commit. All or nothing: a rejected envelope is 422
 * ENVELOPES_REJECTED naming each one, and any failure stores nothing.
 */
export async function requestInOneCall(ctx: Context, caller: InvestigatorIdentity, call: OneCallRequest): Promise<{ requestId: string; index: number }> {
  const before = answeredBefore(ctx, caller, call);
  if (before) return before;
  const w = openableWarrant(ctx, caller, call.warrantId);
  const { result, fresh } = await screenBatch(ctx, w, call.envelopes);
  if (result.rejected.length > 0) {
    fail('ENVELOPES_REJECTED', `${result.rejected.length} of ${call.envelopes.length} envelopes were rejected; nothing was stored`, {
      rejected: result.rejected,
    });
  }
  const logged = ctx.repo.transaction(() => {
    // Checked again after the awaits: the same call may have raced this one.
    const raced = answeredBefore(ctx, caller, call);
    if (raced) return { ...raced, fresh: false };
    ctx.repo.putRequest(call.requestId, call.warrantId, caller.investigator, ctx.now());
    storeBatch(ctx, call.requestId, w, fresh);
    return { requestId: call.requestId, index: logRequest(ctx, caller, ctx.repo.request(call.requestId)!, w, call.entry), fresh: true };
  });
  if (logged.fresh) startWorkflow(ctx, call.requestId, call.warrantId, fresh.size, logged.index);
  return { requestId: logged.requestId, index: logged.index };
}

export interface RequestProgress {
  state: RequestRow['state'];
  total: number;
  done: number;
  failed: number;
  error?: { code: RequestFailureCode; message: string };
}

export function requestProgress(ctx: Context, caller: InvestigatorIdentity, requestId: string): RequestProgress {
  const req = ownRequest(ctx, caller, requestId);
  const live = ctx.decryption.progress(requestId);
  const view: RequestProgress = {
    state: req.state,
    total: req.envelopeCount,
    done: live?.done ?? req.decrypted,
    failed: live?.failed ?? req.failed,
  };
  if (req.errorCode) view.error = { code: req.errorCode, message: req.errorMessage ?? req.errorCode };
  return view;
}

export interface RequestResults {
  /** Each plaintext sealed to the requesting investigator (openSealedResult with resultContext(requestId, envelopeId)). */
  results: { envelopeId: string; sealed: SealedResult }[];
  /** `FAILED`: a result stored without its reason (none is written so). */
  failed: { envelopeId: string; reason: EnvelopeFailureCode | 'FAILED' }[];
}

export function requestResults(ctx: Context, caller: InvestigatorIdentity, requestId: string): RequestResults {
  const req = ownRequest(ctx, caller, requestId);
  if (req.state === 'failed') fail('NOT_READY', `the request failed: ${req.errorMessage ?? req.errorCode}`);
  if (req.state !== 'complete') fail('NOT_READY', 'the request is not complete yet');
  ctx.repo.purgeResults(ctx.now());
  if (ctx.repo.request(requestId)!.purged) fail('PURGED', 'the results were purged after the retention period');
  const out: RequestResults = { results: [], failed: [] };
  for (const r of ctx.repo.results(requestId)) {
    if (r.sealed) out.results.push({ envelopeId: r.envelopeId, sealed: r.sealed });
    else out.failed.push({ envelopeId: r.envelopeId, reason: r.failure ?? 'FAILED' });
  }
  return out;
}
