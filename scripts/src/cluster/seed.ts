/**
 * The demo the cluster seeds on first start: a provider's sealed corpus of
 * several subjects over weeks, a warrant for one subject, one category and one
 * week (auto-approved by the demo policy), and one decryption of exactly the
 * in-scope records. Out-of-scope envelopes are refused and stay sealed.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hexToBytes, openSealedResult, resultContext } from '@custodes/shared/crypto';
import { newSalt, openRecords, parsePublicKeySet, sealRecords } from '@custodes/shared/records';
import type { ProviderRecord } from '@custodes/shared/records';
import { buildRequestEntry, waitForRequest } from '../commands/investigator';
import { json, readJson, readKeyFile, writeOutput } from '../io';
import { call } from '../remote';
import { warrantProgressLine } from '../status';
import { AGENCY_ID, COURT_ID } from './layout';
import { signedDemoWarrant } from './warrant';
import type { Layout } from './layout';

const DAY = 86_400;
const SUBJECTS = ['acct:alice@example.org', 'acct:bob@example.org', 'acct:carol@example.org'];
const CATEGORIES = ['messages', 'contacts'];
const DAYS = 14;

export interface SeedResult {
  warrantId: string;
  requestId: string;
  inScope: number;
  refused: number;
  records: number;
  resultsFile: string;
}

/** A deterministic corpus: 3 subjects × 2 categories × 14 UTC days, 2 records each. */
export function demoCorpus(firstDay: number): ProviderRecord[] {
  const out: ProviderRecord[] = [];
  for (const subject of SUBJECTS)
    for (const category of CATEGORIES)
      for (let d = 0; d < DAYS; d++)
        for (let k = 0; k < 2; k++)
          out.push({ subject, category, time: firstDay + d * DAY + 3600 * (9 + 4 * k), body: `${category} #${k + 1} of ${subject.split(':')[1]!.split('@')[0]} on day ${d + 1}` });
  return out;
}

async function waitApproved(coordinator: string, warrantId: string, token: string, say: (l: string) => void): Promise<void> {
  const deadline = Date.now() + 120_000;
  let last = '';
  while (Date.now() < deadline) {
    const s = await call<{ status: string; approvals: number; threshold: number }>(coordinator, `v1/warrants/${warrantId}`, { token });
    const line = warrantProgressLine(s);
    if (line !== last) say(`   warrant ${line}`);
    last = line;
    if (s.status === 'approved') return;
    if (s.status !== 'pending') throw new Error(`warrant ended ${s.status}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error('warrant was not approved within 120 s');
}

export async function seedDemo(l: Layout, coordinator: string, say: (line: string) => void): Promise<SeedResult> {
  const keys = parsePublicKeySet(readJson(join(l.keys, 'public.json'), 'public key set'));
  const now = Math.floor(Date.now() / 1000);
  const firstDay = Math.floor(now / DAY) * DAY - 30 * DAY;

  say('1. The provider seals its corpus: one envelope per (subject, category, UTC day).');
  const corpus = demoCorpus(firstDay);
  const groups = sealRecords(corpus, keys.groupKey, keys.epoch);
  const sealedDir = join(l.demo, 'sealed');
  mkdirSync(join(sealedDir, 'envelopes'), { recursive: true });
  mkdirSync(join(sealedDir, 'records'), { recursive: true });
  for (const g of groups) {
    writeOutput(join(sealedDir, 'envelopes', `${g.envelopeId}.json`), json(g.envelope));
    writeOutput(join(sealedDir, 'records', `${g.envelopeId}.json`), json({ envelopeId: g.envelopeId, records: g.records }));
  }
  say(`   ${corpus.length} records → ${groups.length} envelopes in ${l.show(sealedDir)}`);

  say('2. The court signs a warrant: alice, messages, days 8–14; the investigator countersigns and submits it.');
  const court = readKeyFile(l.courtKey);
  const investigator = readKeyFile(l.investigatorKey);
  const token = (await import('node:fs')).readFileSync(l.investigatorToken, 'utf8').trim();
  const signed = signedDemoWarrant({
    court,
    investigator,
    scope: { subjects: [SUBJECTS[0]!], categories: ['messages'], notBefore: firstDay + 7 * DAY, notAfter: firstDay + 14 * DAY - 1 },
    maxEnvelopes: 20,
    caseNumber: 'DEMO-0001',
    legalAuthority: 'Demo Act §1 (production order)',
    offense: 'demonstration',
  });
  const salt = newSalt();
  writeOutput(join(l.demo, 'warrant-package.json'), json({ warrant: signed, salt }), { secret: true });
  const submitted = await call<{ warrantId: string; index: number }>(coordinator, 'v1/warrants', { body: { warrant: signed, salt }, token });
  say(`   warrant ${submitted.warrantId} logged at index ${submitted.index} (cover sheet and commitment only)`);

  say('3. Each custodian checks it against its own log replica; the demo policy approves it.');
  await waitApproved(coordinator, signed.id, token, say);

  say('4. The investigator asks for every envelope of the corpus; out-of-scope ones are refused.');
  const envFiles = readdirSync(join(sealedDir, 'envelopes')).sort();
  const envelopes = envFiles.map((f) => readJson(join(sealedDir, 'envelopes', f), 'envelope'));
  const { requestId } = await call<{ requestId: string }>(coordinator, 'v1/requests', { body: { warrantId: signed.id }, token });
  const accepted: string[] = [];
  let refused = 0;
  for (let i = 0; i < envelopes.length; i += 500) {
    const r = await call<{ accepted: string[]; rejected: unknown[] }>(coordinator, `v1/requests/${requestId}/envelopes`, { body: { envelopes: envelopes.slice(i, i + 500) }, token });
    accepted.push(...r.accepted);
    refused += r.rejected.length;
  }
  say(`   ${accepted.length} in scope, ${refused} refused (out of scope: they stay sealed)`);
  const entry = buildRequestEntry(requestId, signed.id, accepted, investigator, [keys.epoch]);
  await call(coordinator, `v1/requests/${requestId}/submit`, { body: { entry }, token });

  say('5. The request is logged and cosigned; custodians release partials; the coordinator combines them.');
  const final = await waitForRequest(coordinator, requestId, token, accepted.length);
  if (final.state !== 'complete') throw new Error(`request ended ${final.state}${final.error ? `: ${final.error}` : ''}`);

  // Each result comes sealed to the investigator's key (docs/PROTOCOL.md §3.7, "Results sealed to the investigator").
  const res = await call<{ results: { envelopeId: string; sealed: unknown }[] }>(coordinator, `v1/requests/${requestId}/results`, { token });
  const secretKey = hexToBytes(investigator.secretKey, 32, 'secretKey');
  const lines: string[] = [];
  for (const r of res.results) {
    const plaintext = openSealedResult(r.sealed, secretKey, resultContext(requestId, r.envelopeId));
    if (!plaintext) throw new Error(`result ${r.envelopeId} does not open with the investigator key`);
    const sealed = readJson(join(sealedDir, 'records', `${r.envelopeId}.json`), 'sealed records') as { records: { nonce: string; ciphertext: string }[] };
    for (const rec of openRecords(r.envelopeId, plaintext, sealed.records)) lines.push(JSON.stringify(rec));
  }
  const resultsDir = join(l.demo, 'results');
  mkdirSync(resultsDir, { recursive: true, mode: 0o700 });
  const resultsFile = join(resultsDir, 'records.jsonl');
  writeFileSync(resultsFile, lines.sort().map((x) => x + '\n').join(''), { mode: 0o600 });
  say(`   ${res.results.length} envelopes opened → ${lines.length} records in ${l.show(resultsFile)}`);
  return { warrantId: signed.id, requestId, inScope: accepted.length, refused, records: lines.length, resultsFile };
}
