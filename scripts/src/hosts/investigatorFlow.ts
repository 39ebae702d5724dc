/**
 * What the investigator's host does in a warrant round trip, timed phase by
 * phase (docs/PROTOCOL.md §5.1, Round trips per phase): the court's signature
 * and the provider's envelopes are made before the clock starts; then
 * submit (`POST /v1/warrants`) → approved (long-poll `GET /v1/warrants/:id`,
 * §7.7) → the request in one call (`POST /v1/requests`, §7.6) → complete
 * (the CLI's own long-poll, `waitForRequest`, whose `complete` answer
 * carries the sealed results) → results opened with the investigator key
 * (§3.7). Every call is the CLI's (`call`).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hexToBytes, openSealedResult, parseEnvelope, resultContext, sealEnvelope } from '@custodes/shared/crypto';
import type { Envelope } from '@custodes/shared/crypto';
import { newSalt, parsePublicKeySet } from '@custodes/shared/records';
import type { SignedWarrant } from '@custodes/shared/records';
import { buildRequestEntry, waitForRequest } from '../commands/investigator';
import { signedDemoWarrant } from '../cluster/warrant';
import { readKeyFile } from '../io';
import { call } from '../remote';

const DAY = 86_400;
const SUBJECT = 'acct:alice@example.org';

export interface InvestigatorFiles {
  coordinator: string;
  keyFile: string;
  courtKeyFile: string;
  tokenFile: string;
  publicKeySet: string;
}

/** The scope every warrant here covers: alice's messages over the last 30 days. */
function scopeWindow(now: number): { notBefore: number; notAfter: number } {
  const firstDay = Math.floor(now / DAY) * DAY - 30 * DAY;
  return { notBefore: firstDay, notAfter: firstDay + 30 * DAY - 1 };
}

/** A court-signed, investigator-countersigned warrant and its salt (`court sign`, `investigator submit`). */
export function signedWarrant(f: InvestigatorFiles, maxEnvelopes: number): { warrant: SignedWarrant; salt: string } {
  const now = Math.floor(Date.now() / 1000);
  const warrant = signedDemoWarrant({
    court: readKeyFile(f.courtKeyFile),
    investigator: readKeyFile(f.keyFile),
    scope: { subjects: [SUBJECT], categories: ['messages'], ...scopeWindow(now) },
    maxEnvelopes,
    caseNumber: `HOSTS-${now}`,
    legalAuthority: 'Hosts Act §1 (production order)',
    offense: 'measurement',
    expiresInDays: 7,
    sealedForDays: 30,
  });
  return { warrant, salt: newSalt() };
}

/** `count` envelopes in the warrant's scope, as the provider seals them. */
export function providerEnvelopes(f: InvestigatorFiles, count: number): Envelope[] {
  const keys = parsePublicKeySet(JSON.parse(readFileSync(f.publicKeySet, 'utf8')));
  const { notBefore } = scopeWindow(Math.floor(Date.now() / 1000));
  return Array.from({ length: count }, (_, k) =>
    sealEnvelope(new TextEncoder().encode(`record ${k} ${randomUUID()}`), keys.groupKey, keys.epoch, { subject: SUBJECT, category: 'messages', time: notBefore + 3600 * (k + 1) }),
  );
}

export function token(f: InvestigatorFiles): string {
  return readFileSync(f.tokenFile, 'utf8').trim();
}

/** `POST /v1/warrants`. */
export async function submitWarrant(f: InvestigatorFiles, w: { warrant: SignedWarrant; salt: string }): Promise<void> {
  await call(f.coordinator, 'v1/warrants', { body: w, token: token(f) });
}

/**
 * Waits until the warrant is no longer pending: a long-poll naming only the
 * status (§7.7), so that approvals arriving one by one do not each cost a
 * round trip. Bounded: 20 polls of at most 30 s.
 */
export async function waitApproved(f: InvestigatorFiles, warrantId: string): Promise<string> {
  for (let i = 0; i < 20; i++) {
    const s = await call<{ status: string }>(f.coordinator, `v1/warrants/${warrantId}?wait=30000&status=pending`, { token: token(f), timeoutMs: 40_000 });
    if (s.status !== 'pending') return s.status;
  }
  throw new Error(`warrant ${warrantId} still pending after 20 polls`);
}

/** The request in one call (§7.6), signed over the envelopes' ids; returns its id. */
export async function sendRequest(f: InvestigatorFiles, warrantId: string, envelopes: readonly Envelope[]): Promise<string> {
  const requestId = randomUUID();
  const parsed = envelopes.map((e) => parseEnvelope(e));
  const entry = buildRequestEntry(requestId, warrantId, parsed.map((p) => p.id), readKeyFile(f.keyFile), [...new Set(parsed.map((p) => p.epoch))]);
  await call(f.coordinator, 'v1/requests', { body: { warrantId, requestId, envelopes, entry }, token: token(f) });
  return requestId;
}

/**
 * Follows the request to its end with the CLI's long-poll (`custodes
 * investigator request --out`); throws unless it completed. The `complete`
 * answer carries the sealed results (§7.6), returned as they came.
 */
export async function waitComplete(f: InvestigatorFiles, requestId: string, total: number): Promise<unknown> {
  const final = await waitForRequest(f.coordinator, requestId, token(f), total, true);
  if (final.state !== 'complete') throw new Error(`request ${requestId} ended ${final.state}${final.error ? `: ${JSON.stringify(final.error)}` : ''}`);
  if (final.results === undefined) throw new Error(`request ${requestId}: the complete answer carried no results`);
  return final.results;
}

/** Each result of a results answer (§7.6) opened with the investigator key (§3.7); the number opened. */
export function openResults(f: InvestigatorFiles, requestId: string, answer: unknown): number {
  const secretKey = hexToBytes(readKeyFile(f.keyFile).secretKey, 32, 'secretKey');
  const r = answer as { results: { envelopeId: string; sealed: unknown }[] };
  let opened = 0;
  for (const x of r.results) if (openSealedResult(x.sealed, secretKey, resultContext(requestId, x.envelopeId))) opened++;
  return opened;
}

export interface RoundTrip {
  warrantId: string;
  requestId: string;
  opened: number;
  /** Milliseconds from the first byte sent: each phase's end. */
  marks: { submitted: number; approved: number; requested: number; complete: number; plaintexts: number };
}

/** One timed warrant round trip with `count` envelopes. */
export async function roundTrip(f: InvestigatorFiles, count: number): Promise<RoundTrip> {
  const w = signedWarrant(f, Math.max(count, 20));
  const envelopes = providerEnvelopes(f, count);
  const t0 = performance.now();
  const at = () => Math.round((performance.now() - t0) * 10) / 10;
  await submitWarrant(f, w);
  const submitted = at();
  const status = await waitApproved(f, w.warrant.id);
  if (status !== 'approved') throw new Error(`warrant ${w.warrant.id} ended ${status}`);
  const approved = at();
  const requestId = await sendRequest(f, w.warrant.id, envelopes);
  const requested = at();
  const results = await waitComplete(f, requestId, count);
  const complete = at();
  const opened = openResults(f, requestId, results);
  const plaintexts = at();
  return { warrantId: w.warrant.id, requestId, opened, marks: { submitted, approved, requested, complete, plaintexts } };
}
