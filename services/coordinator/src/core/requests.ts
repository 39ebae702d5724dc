/**
 * Decryption requests as the investigator drives them (docs/SERVICES.md):
 * a draft, batches of envelopes screened against the warrant's scope, the
 * signed entry logged, then the background workflow; progress and results
 * for that investigator only.
 */
import { randomUUID } from 'node:crypto';
import { bytesToBase64 } from '@custodes/shared/crypto';
import { canonicalJson, SignedWarrantSchema } from '@custodes/shared/records';
import type { DecryptionRequestEntry } from '@custodes/shared/records';
import type { Context } from '../context';
import { entryKey } from '../domain/records';
import { checkRequestEntry, screenEnvelope } from '../domain/requests';
import type { RejectReason } from '../domain/requests';
import { requireApproved } from '../domain/warrants';
import type { InvestigatorIdentity } from '../domain/warrants';
import { fail } from '../errors';
import type { RequestRow } from '../repo/repository';
import { ownWarrant, tally } from './warrants';

/** Envelopes per batch (docs/SERVICES.md). */
export const MAX_BATCH = 500;

export function openRequest(ctx: Context, caller: InvestigatorIdentity, warrantId: string): { requestId: string } {
  const w = ownWarrant(ctx, caller, warrantId);
  requireApproved(tally(ctx, warrantId, w.expiresAt).status);
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

export function addEnvelopes(ctx: Context, caller: InvestigatorIdentity, requestId: string, envelopes: readonly unknown[]): BatchResult {
  const req = ownRequest(ctx, caller, requestId);
  if (req.state !== 'draft') fail('NOT_DRAFT', 'the request was already submitted');
  const w = ctx.repo.warrant(req.warrantId)!;
  // The coordinator knows the scope only from the full warrant received at intake.
  const scope = SignedWarrantSchema.parse(JSON.parse(w.warrantJson)).scope;
  const registry = ctx.registry();
  const result: BatchResult = { accepted: [], rejected: [] };
  const fresh: { id: string; json: string }[] = [];
  const seen = new Set<string>();
  envelopes.forEach((input, position) => {
    const s = screenEnvelope(input, scope, registry);
    if (!s.ok) {
      result.rejected.push({ position, reason: s.reason });
      return;
    }
    const id = s.envelope.id;
    result.accepted.push(id);
    // A repeated batch (or envelope) is accepted again but stored once.
    if (seen.has(id) || ctx.repo.envelopePosition(requestId, id) !== undefined) return;
    seen.add(id);
    fresh.push({ id, json: JSON.stringify(s.envelope.envelope) });
  });
  const remaining = w.maxEnvelopes - ctx.repo.requestedEnvelopes(req.warrantId) - req.envelopeCount;
  if (fresh.length > remaining) {
    fail('ENVELOPE_CAP', `the warrant allows ${Math.max(remaining, 0)} more envelopes; this batch adds ${fresh.length}`);
  }
  ctx.repo.transaction(() => {
    for (const f of fresh) ctx.repo.addEnvelope(requestId, f.id, f.json);
  });
  return result;
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
    if (req.entryJson !== null && canonicalJson(JSON.parse(req.entryJson)) === canonicalJson(entry)) {
      return { requestId, index: req.logIndex! };
    }
    fail('NOT_DRAFT', 'the request was already submitted with another entry');
  }
  const w = ctx.repo.warrant(req.warrantId)!;
  requireApproved(tally(ctx, req.warrantId, w.expiresAt).status);
  const rows = ctx.repo.envelopes(requestId);
  const epochs = new Set(rows.map((r) => (JSON.parse(r.envelopeJson) as { epoch: number }).epoch));
  checkRequestEntry(
    entry,
    { requestId, warrantId: req.warrantId, investigator: caller.investigator, envelopeIds: rows.map((r) => r.envelopeId), epochs },
    ctx.now(),
  );
  if (ctx.repo.requestedEnvelopes(req.warrantId) + rows.length > w.maxEnvelopes) {
    fail('ENVELOPE_CAP', `the warrant allows at most ${w.maxEnvelopes} envelopes in all`);
  }
  const { index } = ctx.ledger.appendOnce(entryKey.request(requestId), entry, (i) =>
    ctx.repo.markRequestLogged(requestId, JSON.stringify(entry), i),
  );
  ctx.logger.info({ requestId, warrantId: req.warrantId, envelopes: rows.length, index }, 'decryption request logged');
  ctx.decryption.start(requestId);
  return { requestId, index };
}

export interface RequestProgress {
  state: RequestRow['state'];
  total: number;
  done: number;
  failed: number;
  error?: { code: string; message: string };
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
  results: { envelopeId: string; plaintext: string }[];
  failed: { envelopeId: string; reason: string }[];
}

export function requestResults(ctx: Context, caller: InvestigatorIdentity, requestId: string): RequestResults {
  const req = ownRequest(ctx, caller, requestId);
  if (req.state === 'failed') fail('NOT_READY', `the request failed: ${req.errorMessage ?? req.errorCode}`);
  if (req.state !== 'complete') fail('NOT_READY', 'the request is not complete yet');
  ctx.repo.purgeResults(ctx.now());
  if (ctx.repo.request(requestId)!.purged) fail('PURGED', 'the results were purged after the retention period');
  const out: RequestResults = { results: [], failed: [] };
  for (const r of ctx.repo.results(requestId)) {
    if (r.plaintext) out.results.push({ envelopeId: r.envelopeId, plaintext: bytesToBase64(r.plaintext) });
    else out.failed.push({ envelopeId: r.envelopeId, reason: r.failure ?? 'FAILED' });
  }
  return out;
}
