/**
 * A decryption request in one call (`POST /v1/requests` with `{ warrantId,
 * requestId, envelopes, entry }`, docs/PROTOCOL.md §7.6) against five stand-in
 * custodians (t = 3): it decrypts; it is never seen half-made; every check
 * of opening, of a batch and of submitting still holds, each broken on its
 * own, and a refusal stores nothing (checked in the coordinator's database
 * itself); a repeat is answered again; a taken id is 409 CONFLICT; and the
 * `custodes investigator request` command uses it for up to 500 envelopes.
 */
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRecord } from '@custodes/shared/records';
import type { DecryptionRequestEntry } from '@custodes/shared/records';
import { parseEnvelope } from './helpers/crypto';
import type { Envelope } from './helpers/crypto';
import { api, approvedWarrant, finished, makeWarrant, openResults, requestEntry, seal, startCluster, subjectLabel, waitFor } from './helpers/cluster';
import type { Cluster } from './helpers/cluster';

let cluster: Cluster;
/** The coordinator's own database, read-only: what a call stored, or did not. */
let db: Database.Database;

beforeAll(async () => {
  cluster = await startCluster();
  db = new Database(join(cluster.dir, 'coordinator.db'), { readonly: true, fileMustExist: true });
});

afterAll(async () => {
  db?.close();
  await cluster?.close();
});

type Who = 'a' | 'b' | 'c';

const post = (body: unknown, who: Who = 'a') => api(cluster.url, 'POST', '/v1/requests', body, cluster.tokens[who]);

/** Rows and log entries that mention `requestId`. */
function stored(requestId: string) {
  const count = (sql: string, ...args: unknown[]) => db.prepare(sql).pluck().get(...args) as number;
  return {
    requests: count('SELECT COUNT(*) FROM requests WHERE id = ?', requestId),
    envelopes: count('SELECT COUNT(*) FROM request_envelopes WHERE request_id = ?', requestId),
    entryKeys: count('SELECT COUNT(*) FROM entry_keys WHERE key LIKE ?', `%${requestId}%`),
    logged: count('SELECT COUNT(*) FROM log_entries WHERE CAST(leaf AS TEXT) LIKE ?', `%${requestId}%`),
  };
}

const NOTHING = { requests: 0, envelopes: 0, entryKeys: 0, logged: 0 };

/** Nothing stored under `requestId`, and the API agrees: no such request. */
async function expectNothingStored(requestId: string) {
  expect(stored(requestId)).toEqual(NOTHING);
  const r = await api(cluster.url, 'GET', `/v1/requests/${requestId}`, undefined, cluster.tokens.a);
  expect(r.status).toBe(404);
}

/** The `decryption-request` entries logged for `requestId`. */
function loggedRequests(requestId: string): number {
  return db.prepare('SELECT COUNT(*) FROM log_entries WHERE CAST(leaf AS TEXT) LIKE ? AND CAST(leaf AS TEXT) LIKE ?').pluck().get('%"type":"decryption-request"%', `%${requestId}%`) as number;
}

/** A signed entry with any field overridden (signed by `signer`, by default the named investigator). */
function entryWith(who: Who, requestId: string, warrantId: string, envelopes: readonly Envelope[], over: Partial<DecryptionRequestEntry> = {}, signer?: string): DecryptionRequestEntry {
  const { signature: _s, ...base } = requestEntry(cluster, who, requestId, warrantId, envelopes);
  const unsigned = { ...base, ...over };
  return { ...unsigned, signature: signRecord(unsigned, 'decryption-request', signer ?? cluster.investigators[who].secretKey) };
}

const alice = (text: string) => seal(cluster, text, subjectLabel('alice@example.com'));
const bob = (text: string) => seal(cluster, text, subjectLabel('bob@example.com', 'chat'));

describe('one call', () => {
  it('decrypts: 202 with the log index, one request entry, never seen half-made, plaintexts back in order', async () => {
    const { warrant } = await approvedWarrant(cluster, 'a');
    const envelopes = Array.from({ length: 40 }, (_, k) => (k % 2 ? bob(`message ${k}`) : alice(`message ${k}`)));
    const requestId = randomUUID();
    const entry = requestEntry(cluster, 'a', requestId, warrant.id, envelopes);
    // A repeated envelope is accepted again and kept once, at its first position (as in a batch).
    const call = post({ warrantId: warrant.id, requestId, envelopes: [...envelopes, envelopes[0]], entry });
    // Meanwhile: the request either does not exist or exists whole (all-or-nothing is one commit).
    const seen: string[] = [];
    let pending = true;
    void call.then(
      () => (pending = false),
      () => (pending = false),
    );
    while (pending) {
      const r = await api(cluster.url, 'GET', `/v1/requests/${requestId}`, undefined, cluster.tokens.a);
      seen.push(r.status === 404 ? 'absent' : `${r.body.state} ${r.body.total}`);
    }
    const answer = await call;
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    expect(answer.body).toEqual({ requestId, index: expect.any(Number) });
    expect(seen.length).toBeGreaterThan(0);
    for (const s of seen) expect(s).toMatch(/^(absent|(logged|releasing|complete) 40)$/);

    const done = await finished(cluster, 'a', requestId);
    expect(done).toMatchObject({ state: 'complete', total: 40, done: 40, failed: 0 });
    const results = await api(cluster.url, 'GET', `/v1/requests/${requestId}/results`, undefined, cluster.tokens.a);
    expect(results.body.results.map((r: { envelopeId: string }) => r.envelopeId)).toEqual(envelopes.map((e) => parseEnvelope(e).id));
    expect(openResults(results.body, requestId, cluster.investigators.a.secretKey)).toEqual(envelopes.map((_, k) => `message ${k}`));
    expect(stored(requestId)).toMatchObject({ requests: 1, envelopes: 40 });
    expect(loggedRequests(requestId)).toBe(1);
    const logged = await api(cluster.url, 'GET', `/log/v1/entries?start=${answer.body.index}&end=${answer.body.index + 1}`);
    expect(JSON.parse(Buffer.from(logged.body.entries[0], 'base64').toString('utf8'))).toEqual(entry);
  });

  it('carries 500 envelopes (several megabytes) in one body and refuses 501; the old { warrantId } body still opens a draft', async () => {
    const { warrant } = await approvedWarrant(cluster, 'a');
    const env = alice('x'.repeat(4000));
    const requestId = randomUUID();
    const entry = requestEntry(cluster, 'a', requestId, warrant.id, [env]);
    const tooMany = await post({ warrantId: warrant.id, requestId, envelopes: Array(501).fill(env), entry });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.code).toBe('BAD_REQUEST');
    await expectNothingStored(requestId);
    const body = { warrantId: warrant.id, requestId, envelopes: Array(500).fill(env), entry };
    expect(JSON.stringify(body).length).toBeGreaterThan(2_000_000);
    const ok = await post(body);
    expect(ok.status, JSON.stringify(ok.body)).toBe(202);
    expect((await finished(cluster, 'a', requestId)).state).toBe('complete');

    const open = await post({ warrantId: warrant.id });
    expect(open.status).toBe(201);
    expect(open.body).toEqual({ requestId: expect.any(String) });
    const draft = await api(cluster.url, 'GET', `/v1/requests/${open.body.requestId}`, undefined, cluster.tokens.a);
    expect(draft.body).toEqual({ state: 'draft', total: 0, done: 0, failed: 0 });
  });

  it('holds the body to its strict schema: 400 BAD_REQUEST and nothing stored', async () => {
    const { warrant } = await approvedWarrant(cluster, 'a');
    const env = alice('schema');
    const requestId = randomUUID();
    const entry = requestEntry(cluster, 'a', requestId, warrant.id, [env]);
    const full = { warrantId: warrant.id, requestId, envelopes: [env], entry };
    const { entry: _e, ...noEntry } = full;
    const { envelopes: _v, ...noEnvelopes } = full;
    const upper = requestId.toUpperCase();
    for (const [what, body] of [
      ['no entry', noEntry],
      ['no envelopes', noEnvelopes],
      ['only a request id', { warrantId: warrant.id, requestId }],
      ['an empty batch', { ...full, envelopes: [] }],
      ['an unknown field', { ...full, priority: 1 }],
      ['an uppercase request id', { ...full, requestId: upper, entry: requestEntry(cluster, 'a', upper, warrant.id, [env]) }],
      ['a request id that is no UUID', { ...full, requestId: 'not-a-uuid' }],
      ['an entry that is no entry', { ...full, entry: { ...entry, extra: true } }],
      ['the old body with junk', { warrantId: warrant.id, junk: true }],
    ] as const) {
      const r = await post(body);
      expect({ what, status: r.status, code: r.body.error?.code }).toEqual({ what, status: 400, code: 'BAD_REQUEST' });
    }
    await expectNothingStored(requestId);
    expect(stored(upper)).toEqual(NOTHING);
  });
});

describe('all or nothing', () => {
  it('a rejected envelope is 422 ENVELOPES_REJECTED naming each one as a batch would; nothing is stored and the id stays free', async () => {
    const { warrant } = await approvedWarrant(cluster, 'a');
    const good = [alice('hello alice'), bob('hello bob')];
    const outOfScope = seal(cluster, 'not yours', subjectLabel('carol@example.com'));
    const tampered = { ...alice('x'), label: subjectLabel('bob@example.com') };
    const requestId = randomUUID();
    const entry = requestEntry(cluster, 'a', requestId, warrant.id, good);
    const envelopes = [good[0], outOfScope, { junk: true }, tampered, good[1], { ...good[0]!, epoch: 7 }];
    const r = await post({ warrantId: warrant.id, requestId, envelopes, entry });
    expect(r.status).toBe(422);
    expect(r.body).toEqual({
      error: {
        code: 'ENVELOPES_REJECTED',
        message: expect.stringContaining('4 of 6'),
        rejected: [
          { position: 1, reason: 'OUT_OF_SCOPE' },
          { position: 2, reason: 'MALFORMED' },
          { position: 3, reason: 'BAD_BINDING' },
          { position: 5, reason: 'UNKNOWN_EPOCH' },
        ],
      },
    });
    // The batch endpoint names the same positions and reasons for the same envelopes.
    const open = await post({ warrantId: warrant.id });
    const batch = await api(cluster.url, 'POST', `/v1/requests/${open.body.requestId}/envelopes`, { envelopes }, cluster.tokens.a);
    expect(batch.body.rejected).toEqual(r.body.error.rejected);
    await expectNothingStored(requestId);

    // The same id, without the rejected envelopes, is then taken.
    const ok = await post({ warrantId: warrant.id, requestId, envelopes: good, entry });
    expect(ok.status, JSON.stringify(ok.body)).toBe(202);
    const done = await finished(cluster, 'a', requestId);
    expect(done).toMatchObject({ state: 'complete', total: 2, done: 2 });
  });

  it('each check of the entry, broken on its own, refuses the call as submit would and stores nothing', async () => {
    const { warrant } = await approvedWarrant(cluster, 'a');
    const other = await approvedWarrant(cluster, 'a');
    const envelopes = [alice('one'), bob('two')];
    const third = alice('three');
    const requestId = randomUUID();
    const body = (entry: DecryptionRequestEntry) => ({ warrantId: warrant.id, requestId, envelopes, entry });
    const cases: [string, DecryptionRequestEntry, number, string, string][] = [
      ['requestId', entryWith('a', randomUUID(), warrant.id, envelopes), 400, 'ENTRY_MISMATCH', 'requestId'],
      ['warrantId', entryWith('a', requestId, other.warrant.id, envelopes), 400, 'ENTRY_MISMATCH', 'warrantId'],
      ['investigator', entryWith('b', requestId, warrant.id, envelopes), 400, 'ENTRY_MISMATCH', 'investigator'],
      ['envelopeCount (over fewer ids)', entryWith('a', requestId, warrant.id, envelopes.slice(0, 1)), 400, 'ENTRY_MISMATCH', 'envelopeCount'],
      ['envelopeSetRoot (over other ids)', entryWith('a', requestId, warrant.id, [envelopes[0]!, third]), 400, 'ENTRY_MISMATCH', 'envelopeSetRoot'],
      ['envelopeSetRoot (another order)', entryWith('a', requestId, warrant.id, [...envelopes].reverse()), 400, 'ENTRY_MISMATCH', 'envelopeSetRoot'],
      ['epochs', entryWith('a', requestId, warrant.id, envelopes, { epochs: [0, 1] }), 400, 'ENTRY_MISMATCH', 'epochs'],
      ['time', entryWith('a', requestId, warrant.id, envelopes, { time: cluster.config.now!() + 3600 }), 400, 'BAD_REQUEST', 'future'],
      ['signature', entryWith('a', requestId, warrant.id, envelopes, {}, cluster.investigators.b.secretKey), 400, 'BAD_SIGNATURE', 'signature'],
    ];
    for (const [what, entry, status, code, says] of cases) {
      const r = await post(body(entry));
      expect({ what, status: r.status, code: r.body.error?.code }).toEqual({ what, status, code });
      expect(r.body.error.message).toContain(says);
      await expectNothingStored(requestId);
    }
    // The control: the same call with the right entry is taken.
    const ok = await post(body(requestEntry(cluster, 'a', requestId, warrant.id, envelopes)));
    expect(ok.status, JSON.stringify(ok.body)).toBe(202);
  });

  it('the warrant must be the caller’s and approved, as for opening; nothing is stored', async () => {
    const envelopes = [alice('w')];
    for (const c of cluster.custodians) c.opts.decision = 'none';
    let pendingId: string;
    try {
      const w = makeWarrant(cluster, 'a');
      expect((await api(cluster.url, 'POST', '/v1/warrants', w, cluster.tokens.a)).status).toBe(201);
      pendingId = w.warrant.id;
      await waitFor('delivery to every custodian', () => (cluster.custodians.every((c) => c.warrants.has(w.warrant.id)) ? true : undefined));
    } finally {
      for (const c of cluster.custodians) c.opts.decision = 'approve';
    }
    const { warrant } = await approvedWarrant(cluster, 'a');
    const cases: [string, string, Who, number, string][] = [
      ['pending', pendingId, 'a', 409, 'WARRANT_NOT_APPROVED'],
      ['someone else’s', warrant.id, 'b', 403, 'FORBIDDEN'],
      ['unknown', randomUUID(), 'a', 404, 'NOT_FOUND'],
    ];
    for (const [what, warrantId, who, status, code] of cases) {
      const requestId = randomUUID();
      const r = await post({ warrantId, requestId, envelopes, entry: requestEntry(cluster, who, requestId, warrantId, envelopes) }, who);
      expect({ what, status: r.status, code: r.body.error?.code }).toEqual({ what, status, code });
      await expectNothingStored(requestId);
    }
    const anon = await api(cluster.url, 'POST', '/v1/requests', { warrantId: warrant.id, requestId: randomUUID(), envelopes, entry: requestEntry(cluster, 'a', randomUUID(), warrant.id, envelopes) });
    expect(anon.status).toBe(401);
  });

  it('the warrant’s maxEnvelopes holds across requests: 409 ENVELOPE_CAP, nothing stored', async () => {
    const { warrant } = await approvedWarrant(cluster, 'a', { maxEnvelopes: 2 });
    const three = [alice('1'), alice('2'), alice('3')];
    const send = (envelopes: Envelope[]) => {
      const requestId = randomUUID();
      return { requestId, answer: post({ warrantId: warrant.id, requestId, envelopes, entry: requestEntry(cluster, 'a', requestId, warrant.id, envelopes) }) };
    };
    const over = send(three);
    const r = await over.answer;
    expect({ status: r.status, code: r.body.error?.code }).toEqual({ status: 409, code: 'ENVELOPE_CAP' });
    await expectNothingStored(over.requestId);
    const first = send(three.slice(0, 2));
    expect((await first.answer).status).toBe(202);
    const more = send(three.slice(2));
    const r2 = await more.answer;
    expect({ status: r2.status, code: r2.body.error?.code }).toEqual({ status: 409, code: 'ENVELOPE_CAP' });
    await expectNothingStored(more.requestId);
  });
});

describe('repeats and taken ids', () => {
  it('the same call again is the same 202, also when two race; nothing is logged twice', async () => {
    const { warrant } = await approvedWarrant(cluster, 'a');
    const envelopes = Array.from({ length: 24 }, (_, k) => alice(`race ${k}`));
    const requestId = randomUUID();
    const body = { warrantId: warrant.id, requestId, envelopes, entry: requestEntry(cluster, 'a', requestId, warrant.id, envelopes) };
    // Both screen their envelopes (yielding to each other) before either commits.
    const [x, y] = await Promise.all([post(body), post(body)]);
    expect([x.status, y.status]).toEqual([202, 202]);
    expect(y.body).toEqual(x.body);
    const again = await post(body);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(x.body);
    expect((await finished(cluster, 'a', requestId)).state).toBe('complete');
    const late = await post(body);
    expect(late.body).toEqual(x.body);
    expect(loggedRequests(requestId)).toBe(1);
    expect(stored(requestId)).toMatchObject({ requests: 1, envelopes: 24 });
  });

  it('a request made in three calls is answered again by the one call with its entry', async () => {
    const { warrant } = await approvedWarrant(cluster, 'a');
    const envelopes = [alice('three calls')];
    const open = await post({ warrantId: warrant.id });
    const requestId = open.body.requestId as string;
    await api(cluster.url, 'POST', `/v1/requests/${requestId}/envelopes`, { envelopes }, cluster.tokens.a);
    const entry = requestEntry(cluster, 'a', requestId, warrant.id, envelopes);
    const submit = await api(cluster.url, 'POST', `/v1/requests/${requestId}/submit`, { entry }, cluster.tokens.a);
    expect(submit.status).toBe(202);
    const one = await post({ warrantId: warrant.id, requestId, envelopes, entry });
    expect(one.status).toBe(202);
    expect(one.body).toEqual(submit.body);
    expect(loggedRequests(requestId)).toBe(1);
  });

  it('an id already taken by another investigator, warrant or entry, or by a draft, is 409 CONFLICT and changes nothing', async () => {
    const { warrant } = await approvedWarrant(cluster, 'a');
    const other = await approvedWarrant(cluster, 'a');
    const bWarrant = await approvedWarrant(cluster, 'b');
    const envelopes = [alice('taken')];
    const requestId = randomUUID();
    const first = await post({ warrantId: warrant.id, requestId, envelopes, entry: requestEntry(cluster, 'a', requestId, warrant.id, envelopes) });
    expect(first.status).toBe(202);
    expect((await finished(cluster, 'a', requestId)).state).toBe('complete');
    const before = stored(requestId);
    const cases: [string, Who, string, DecryptionRequestEntry][] = [
      ['another entry (another time)', 'a', warrant.id, entryWith('a', requestId, warrant.id, envelopes, { time: cluster.config.now!() - 60 })],
      ['another entry (other envelopes)', 'a', warrant.id, entryWith('a', requestId, warrant.id, [alice('other')])],
      ['another warrant', 'a', other.warrant.id, entryWith('a', requestId, other.warrant.id, envelopes)],
      ['another investigator', 'b', bWarrant.warrant.id, entryWith('b', requestId, bWarrant.warrant.id, envelopes)],
      ['another agency', 'c', warrant.id, entryWith('c', requestId, warrant.id, envelopes)],
    ];
    for (const [what, who, warrantId, entry] of cases) {
      const r = await post({ warrantId, requestId, envelopes, entry }, who);
      expect({ what, status: r.status, code: r.body.error?.code }).toEqual({ what, status: 409, code: 'CONFLICT' });
    }
    expect(stored(requestId)).toEqual(before);
    expect(loggedRequests(requestId)).toBe(1);

    // A draft's id (the coordinator chose it) is taken too; the draft is left as it was.
    const open = await post({ warrantId: warrant.id });
    const draftId = open.body.requestId as string;
    const r = await post({ warrantId: warrant.id, requestId: draftId, envelopes, entry: requestEntry(cluster, 'a', draftId, warrant.id, envelopes) });
    expect({ status: r.status, code: r.body.error?.code }).toEqual({ status: 409, code: 'CONFLICT' });
    const draft = await api(cluster.url, 'GET', `/v1/requests/${draftId}`, undefined, cluster.tokens.a);
    expect(draft.body).toEqual({ state: 'draft', total: 0, done: 0, failed: 0 });
    expect(stored(draftId)).toEqual({ ...NOTHING, requests: 1 });
  });
});

// ## The CLI

const BIN = fileURLToPath(new URL('../../scripts/bin/custodes.js', import.meta.url));

/** Runs the `custodes` CLI as a child (the cluster answers from this process, so not spawnSync). */
function custodes(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill(), 90_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** A pass-through proxy in front of the coordinator that records each call the CLI makes. */
async function recordingProxy(target: string) {
  const calls: { method: string; path: string; status: number }[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers: Record<string, string> = {};
    for (const h of ['authorization', 'content-type']) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h];
    const r = await fetch(target + req.url, { method: req.method, headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) });
    const body = Buffer.from(await r.arrayBuffer());
    calls.push({ method: req.method!, path: req.url!.split('?')[0]!, status: r.status });
    res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
    res.end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

describe('custodes investigator request', { timeout: 180_000 }, () => {
  let dir: string;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'custodes-one-call-'));
    const inv = cluster.investigators.a;
    writeFileSync(join(dir, 'inv.key'), JSON.stringify({ format: 'custodes.key.v1', secretKey: inv.secretKey, publicKey: inv.publicKey }), { mode: 0o600 });
    proxy = await recordingProxy(cluster.url);
  });
  afterAll(async () => {
    await proxy?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const request = (warrantId: string, envelopes: string) =>
    custodes(['investigator', 'request', '--coordinator', proxy.url, '--token', cluster.tokens.a, '--key', join(dir, 'inv.key'), '--warrant-id', warrantId, '--envelopes', envelopes]);

  it('investigator results opens each sealed result with the key file; with another key each envelope is reported, exit non-zero, no stack', async () => {
    const { warrant } = await approvedWarrant(cluster, 'a');
    const envDir = join(dir, 'for-results');
    mkdirSync(envDir);
    writeFileSync(join(envDir, '01-alice.json'), JSON.stringify(alice('results for alice')));
    writeFileSync(join(envDir, '02-bob.json'), JSON.stringify(bob('results for bob')));
    const r = await request(warrant.id, envDir);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const requestId = /^request ([0-9a-f-]{36}) complete/m.exec(r.stdout)?.[1];
    expect(requestId, r.stdout).toBeDefined();
    const ids = ['01-alice.json', '02-bob.json'].map((f) => parseEnvelope(JSON.parse(readFileSync(join(envDir, f), 'utf8'))).id);
    const results = (keyFile: string, out: string) =>
      custodes(['investigator', 'results', requestId!, '--coordinator', cluster.url, '--token', cluster.tokens.a, '--key', keyFile, '--out', out]);

    const ok = await results(join(dir, 'inv.key'), join(dir, 'out-ok'));
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`2 plaintexts written to ${join(dir, 'out-ok')}`);
    expect(ids.map((id) => readFileSync(join(dir, 'out-ok', `${id}.bin`), 'utf8'))).toEqual(['results for alice', 'results for bob']);

    const other = cluster.investigators.b;
    writeFileSync(join(dir, 'other.key'), JSON.stringify({ format: 'custodes.key.v1', secretKey: other.secretKey, publicKey: other.publicKey }), { mode: 0o600 });
    const bad = await results(join(dir, 'other.key'), join(dir, 'out-bad'));
    expect(bad.status).not.toBe(0);
    const lines = bad.stderr.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('result '))).toEqual(ids.map((id) => `result ${id}: does not open with the key in ${join(dir, 'other.key')}`));
    expect(bad.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(join(dir, 'out-bad', `${ids[0]}.bin`))).toBe(false);
  });

  it('request --out opens the results carried by the complete answer: no separate results call (docs/PROTOCOL.md §5.1)', async () => {
    const { warrant } = await approvedWarrant(cluster, 'a');
    const envDir = join(dir, 'for-out');
    mkdirSync(envDir);
    writeFileSync(join(envDir, '01-alice.json'), JSON.stringify(alice('carried to alice')));
    const id = parseEnvelope(JSON.parse(readFileSync(join(envDir, '01-alice.json'), 'utf8'))).id;
    const from = proxy.calls.length;
    const out = join(dir, 'out-carried');
    const r = await custodes(['investigator', 'request', '--coordinator', proxy.url, '--token', cluster.tokens.a, '--key', join(dir, 'inv.key'), '--warrant-id', warrant.id, '--envelopes', envDir, '--out', out]);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(`1 plaintexts written to ${out}`);
    expect(readFileSync(join(out, `${id}.bin`), 'utf8')).toBe('carried to alice');
    const made = proxy.calls.slice(from);
    expect(made[0]).toMatchObject({ method: 'POST', path: '/v1/requests', status: 202 });
    expect(made.slice(1).every((c) => c.method === 'GET' && /^\/v1\/requests\/[0-9a-f-]{36}$/.test(c.path))).toBe(true);
  });

  it('sends up to 500 envelopes in one call, drops what the coordinator rejects, and reports the refusals grouped by reason', async () => {
    const { warrant } = await approvedWarrant(cluster, 'a');
    const envDir = join(dir, 'small');
    mkdirSync(envDir);
    const write = (name: string, value: unknown) => writeFileSync(join(envDir, name), JSON.stringify(value));
    write('01-alice.json', alice('hello alice'));
    write('02-carol.json', seal(cluster, 'not yours', subjectLabel('carol@example.com')));
    write('03-junk.json', { junk: true });
    write('04-bob.json', bob('hello bob'));
    copyFileSync(join(envDir, '01-alice.json'), join(envDir, '05-alice-again.json'));
    proxy.calls.length = 0;
    const r = await request(warrant.id, envDir);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const requestId = /^request ([0-9a-f-]{36}): 2 envelopes submitted, 2 rejected$/m.exec(r.stdout)?.[1];
    expect(requestId, r.stdout).toBeDefined();
    expect(r.stdout).toContain(`request ${requestId} complete: 2 decrypted, 0 failed`);
    // One line per reason (scripts/src/refusals.ts); --verbose would add one per envelope.
    const refused = r.stderr.split('\n').filter((l) => l.startsWith('refused '));
    expect(refused).toEqual(['refused 1 envelope: OUT_OF_SCOPE', 'refused 1 envelope: MALFORMED']);
    // The malformed one never left the CLI; the out-of-scope one was refused (422) and the rest sent again.
    const posts = proxy.calls.filter((c) => c.method === 'POST');
    expect(posts).toEqual([
      { method: 'POST', path: '/v1/requests', status: 422 },
      { method: 'POST', path: '/v1/requests', status: 202 },
    ]);
    const results = await api(cluster.url, 'GET', `/v1/requests/${requestId}/results`, undefined, cluster.tokens.a);
    expect(openResults(results.body, requestId!, cluster.investigators.a.secretKey)).toEqual(['hello alice', 'hello bob']);
  });

  it('keeps the three calls for more than 500 files (a repeated envelope counted once)', async () => {
    const { warrant } = await approvedWarrant(cluster, 'a');
    const envDir = join(dir, 'large');
    mkdirSync(envDir);
    const text = JSON.stringify(alice('many copies'));
    for (let k = 0; k < 501; k++) writeFileSync(join(envDir, `${String(k).padStart(3, '0')}.json`), text);
    proxy.calls.length = 0;
    const r = await request(warrant.id, envDir);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/: 1 envelopes submitted, 0 rejected$/m);
    expect(r.stdout).toMatch(/complete: 1 decrypted, 0 failed/);
    const posts = proxy.calls.filter((c) => c.method === 'POST').map((c) => `${c.path.replace(/[0-9a-f-]{36}/, ':id')} ${c.status}`);
    expect(posts).toEqual(['/v1/requests 201', '/v1/requests/:id/envelopes 200', '/v1/requests/:id/envelopes 200', '/v1/requests/:id/submit 202']);
  });

  it('names the refusal when every envelope is rejected, and nothing is requested', async () => {
    const { warrant } = await approvedWarrant(cluster, 'a');
    const envDir = join(dir, 'none');
    mkdirSync(envDir);
    writeFileSync(join(envDir, 'carol.json'), JSON.stringify(seal(cluster, 'not yours', subjectLabel('carol@example.com'))));
    proxy.calls.length = 0;
    const r = await request(warrant.id, envDir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('refused 1 envelope: OUT_OF_SCOPE');
    expect(r.stderr).toContain('every envelope was rejected; nothing to request');
    expect(proxy.calls.filter((c) => c.method === 'POST').map((c) => c.status)).toEqual([422]);
  });
});
