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

/** Envelopes screened between yields to the event loop (each costs a BIP340 verification). */
const SCREEN_SLICE = 16;

export async function addEnvelopes(ctx: Context, caller: InvestigatorIdentity, requestId: string, envelopes: readonly unknown[]): Promise<BatchResult> {
  const req = ownRequest(ctx, caller, requestId);
  if (req.state !== 'draft') fail('NOT_DRAFT', 'the request was already submitted');
  const w = ctx.repo.warrant(req.warrantId)!;
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
  // Checked again after the awaits: a submit may have raced this batch.
  ctx.repo.transaction(() => {
    const now = ctx.repo.request(requestId)!;
    if (now.state !== 'draft') fail('NOT_DRAFT', 'the request was submitted meanwhile');
    // A repeated batch (or envelope) is accepted again but stored once.
    const added = [...fresh].filter(([id]) => ctx.repo.envelopePosition(requestId, id) === undefined);
    const remaining = w.maxEnvelopes - ctx.repo.requestedEnvelopes(req.warrantId) - now.envelopeCount;
    if (added.length > remaining) {
      fail('ENVELOPE_CAP', `the warrant allows ${Math.max(remaining, 0)} more envelopes; this batch adds ${added.length}`);
    }
    for (const [id, json] of added) ctx.repo.addEnvelope(requestId, id, json);
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
  const { index } = ctx.ledger.appendOnce(entryKey.request(requestId), entry, (i) => ctx.repo.markRequestLogged(requestId, JSON.stringify(entry), i), {
    publish: true,
  });
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
