/**
 * The coordinator's whole path against five stand-in custodians (t = 3):
 * intake → cosigned cover sheet → delivery → approvals → request → partials
 * → combination → plaintexts for that investigator only; and the refusals
 * around it (other investigators, no token, revoked/expired warrants,
 * unsealing, junk bodies).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hexToBytes } from '@custodes/shared/crypto';
import { parseSignedNote, verifiedCosigners } from '@custodes/shared/log';
import { decodePartialsCall, signRecord, signWarrant, verifyPartialsCall, warrantCommitment } from '@custodes/shared/records';
import type { RegistryEntry } from '@custodes/shared/records';
import {
  api,
  approvedWarrant,
  finished,
  logEntries,
  makeWarrant,
  openResults,
  party,
  requestEntry,
  seal,
  startCluster,
  subjectLabel,
  submitRequest,
  THRESHOLD,
  waitFor,
} from './helpers/cluster';
import type { Cluster } from './helpers/cluster';

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster();
});

afterAll(async () => {
  await cluster?.close();
});

describe('whole path', () => {
  it('decrypts in-scope envelopes for the warrant’s investigator and logs every step once', async () => {
    const { warrant } = await approvedWarrant(cluster, 'a');
    const status = await api(cluster.url, 'GET', `/v1/warrants/${warrant.id}`, undefined, cluster.tokens.a);
    expect(status.body).toEqual({ status: 'approved', approvals: expect.any(Number), denials: 0, threshold: THRESHOLD });
    expect(status.body.approvals).toBeGreaterThanOrEqual(THRESHOLD);

    const inScope = [
      seal(cluster, 'hello alice', subjectLabel('alice@example.com')),
      seal(cluster, 'hello bob', subjectLabel('bob@example.com', 'chat')),
    ];
    const outOfScope = seal(cluster, 'not yours', subjectLabel('carol@example.com'));
    const tampered = { ...seal(cluster, 'x', subjectLabel('alice@example.com')), label: subjectLabel('bob@example.com') };

    const open = await api(cluster.url, 'POST', '/v1/requests', { warrantId: warrant.id }, cluster.tokens.a);
    expect(open.status).toBe(201);
    const requestId = open.body.requestId as string;
    const batch = await api(
      cluster.url,
      'POST',
      `/v1/requests/${requestId}/envelopes`,
      { envelopes: [inScope[0], outOfScope, { junk: true }, tampered, inScope[1], { ...inScope[0]!, epoch: 7 }] },
      cluster.tokens.a,
    );
    expect(batch.status).toBe(200);
    expect(batch.body.accepted).toHaveLength(2);
    expect(batch.body.rejected).toEqual([
      { position: 1, reason: 'OUT_OF_SCOPE' },
      { position: 2, reason: 'MALFORMED' },
      { position: 3, reason: 'BAD_BINDING' },
      { position: 5, reason: 'UNKNOWN_EPOCH' },
    ]);
    // The same batch again is accepted again and stored once.
    const again = await api(cluster.url, 'POST', `/v1/requests/${requestId}/envelopes`, { envelopes: [inScope[0]] }, cluster.tokens.a);
    expect(again.body.accepted).toEqual([batch.body.accepted[0]]);

    // An entry that does not match the accepted set is refused.
    const wrong = requestEntry(cluster, 'a', requestId, warrant.id, [inScope[0]!]);
    const refused = await api(cluster.url, 'POST', `/v1/requests/${requestId}/submit`, { entry: wrong }, cluster.tokens.a);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('ENTRY_MISMATCH');

    const entry = requestEntry(cluster, 'a', requestId, warrant.id, inScope);
    const submit = await api(cluster.url, 'POST', `/v1/requests/${requestId}/submit`, { entry }, cluster.tokens.a);
    expect(submit.status).toBe(202);
    const repeat = await api(cluster.url, 'POST', `/v1/requests/${requestId}/submit`, { entry }, cluster.tokens.a);
    expect(repeat.status).toBe(202);
    expect(repeat.body.index).toBe(submit.body.index);

    const done = await finished(cluster, 'a', requestId);
    expect(done).toMatchObject({ state: 'complete', total: 2, done: 2, failed: 0 });
    const results = await api(cluster.url, 'GET', `/v1/requests/${requestId}/results`, undefined, cluster.tokens.a);
    expect(results.status).toBe(200);
    expect(openResults(results.body, requestId, cluster.investigators.a.secretKey)).toEqual(['hello alice', 'hello bob']);

    // Every partials call carried the coordinator's authorisation: signed by the log key, for that
    // custodian, this request and exactly these envelopes, issued now (docs/PROTOCOL.md §7.12, Call authorisation).
    const calls = cluster.custodians.flatMap((c) => c.calls.filter((k) => k.requestId === requestId).map((k) => ({ index: c.opts.index, header: k.header })));
    expect(calls.length).toBeGreaterThanOrEqual(THRESHOLD);
    for (const { index, header } of calls) {
      const call = decodePartialsCall(header);
      expect(call, String(header)).not.toBeNull();
      expect(verifyPartialsCall(call, cluster.log.publicKey)).toBe(true);
      expect(call).toMatchObject({ type: 'partials-call', custodian: index, requestId, envelopeCount: 2, envelopeSetRoot: entry.envelopeSetRoot });
      expect(Math.abs(call!.issuedAt - cluster.config.now!())).toBeLessThan(120);
    }

    // Others: another investigator of the same agency, one of another agency, nobody.
    for (const token of [cluster.tokens.b, cluster.tokens.c]) {
      const r = await api(cluster.url, 'GET', `/v1/requests/${requestId}/results`, undefined, token);
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('FORBIDDEN');
    }
    const anon = await api(cluster.url, 'GET', `/v1/requests/${requestId}/results`);
    expect(anon.status).toBe(401);
    expect(anon.body.error.code).toBe('UNAUTHENTICATED');
    const forged = await api(cluster.url, 'GET', `/v1/requests/${requestId}/results`, undefined, 'A'.repeat(43));
    expect(forged.status).toBe(401);

    // The log: one cover sheet, one request, one completion, releases once each, no duplicates.
    const entries = await logEntries(cluster);
    expect(entries[0]!.type).toBe('registry');
    const cover = entries.filter((e) => e.type === 'warrant' && e.warrantId === warrant.id);
    expect(cover).toHaveLength(1);
    expect(JSON.stringify(cover[0])).not.toContain('alice@example.com');
    expect(cover[0]).not.toHaveProperty('courtSignature');
    const mine = entries.filter((e) => e.requestId === requestId);
    expect(mine.filter((e) => e.type === 'decryption-request')).toHaveLength(1);
    expect(mine.filter((e) => e.type === 'decryption-complete')).toEqual([
      { type: 'decryption-complete', requestId, decrypted: 2, failed: 0, blamed: [], time: expect.any(Number) },
    ]);
    const releases = mine.filter((e) => e.type === 'release').map((e) => e.custodian as number);
    expect(new Set(releases).size).toBe(releases.length);
    expect(releases.length).toBeGreaterThanOrEqual(THRESHOLD);
    const leaves = entries.map((e) => JSON.stringify(e));
    expect(new Set(leaves).size).toBe(leaves.length);

    // The served checkpoint carries at least t verifying cosignatures.
    const keys = cluster.registry.epochs[0]!.custodians.map((c) => ({ name: c.name, publicKey: hexToBytes(c.signingKey, 32) }));
    await waitFor('t cosignatures on the latest checkpoint', async () => {
      const cp = await api<string>(cluster.url, 'GET', '/log/v1/checkpoint');
      return verifiedCosigners(parseSignedNote(cp.body), keys).length >= THRESHOLD ? true : undefined;
    });

    // The service's own logs name no subject, plaintext, token or salt.
    const logs = cluster.logLines.join('\n');
    expect(logs).toContain('decryption request finished');
    for (const secret of ['alice@example.com', 'bob@example.com', 'hello alice', Buffer.from('hello alice').toString('base64'), cluster.tokens.a, cluster.log.secretKey]) {
      expect(logs).not.toContain(secret);
    }

    // After the retention period the plaintexts are gone.
    cluster.clock.offset += 86_401;
    try {
      const purged = await api(cluster.url, 'GET', `/v1/requests/${requestId}/results`, undefined, cluster.tokens.a);
      expect(purged.status).toBe(410);
      expect(purged.body.error.code).toBe('PURGED');
    } finally {
      cluster.clock.offset -= 86_401;
    }
  });

  it('is idempotent by warrant id and refuses a different warrant under the same id', async () => {
    const w = makeWarrant(cluster, 'a');
    const first = await api(cluster.url, 'POST', '/v1/warrants', w, cluster.tokens.a);
    expect(first.status).toBe(201);
    const second = await api(cluster.url, 'POST', '/v1/warrants', w, cluster.tokens.a);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    const other = await api(cluster.url, 'POST', '/v1/warrants', { ...w, salt: 'ab'.repeat(32) }, cluster.tokens.a);
    expect(other.status).toBe(409);
    // Delivered to every custodian.
    await waitFor('delivery', () => (cluster.custodians.every((c) => c.warrants.has(w.warrant.id)) ? true : undefined));
  });
});

describe('witnesses', () => {
  it('answers a 409 with a proof from the witness’s own size', async () => {
    const witness = cluster.custodians[0]!;
    const sizes = [...witness.roots.keys()].sort((a, b) => a - b);
    // The witness lost its latest state and is back at an older size it had cosigned.
    witness.size = sizes[0]!;
    const conflicts = witness.witnessAnswers.get(409) ?? 0;
    const w = makeWarrant(cluster, 'a');
    const r = await api(cluster.url, 'POST', '/v1/warrants', w, cluster.tokens.a);
    await waitFor('a cosignature from the witness', async () => {
      const cp = await api<string>(cluster.url, 'GET', '/log/v1/checkpoint');
      const c = witness.opts;
      const key = cluster.registry.epochs[0]!.custodians.find((x) => x.index === c.index)!;
      const size = Number(cp.body.split('\n')[1]);
      const ok = size > r.body.index && verifiedCosigners(parseSignedNote(cp.body), [{ name: key.name, publicKey: hexToBytes(key.signingKey, 32) }]).length === 1;
      return ok ? true : undefined;
    });
    expect(witness.witnessAnswers.get(409)).toBeGreaterThan(conflicts);
    expect(witness.witnessAnswers.get(422) ?? 0).toBe(0);
  });
});

describe('intake refusals', () => {
  it('refuses bad signatures, unknown courts, bad dates and someone else’s warrant', async () => {
    const post = (body: unknown, token = cluster.tokens.a) => api(cluster.url, 'POST', '/v1/warrants', body, token);
    const base = makeWarrant(cluster, 'a');
    expect((await post(base, cluster.tokens.b)).body.error.code).toBe('FORBIDDEN');
    const badCourt = { ...base, warrant: { ...base.warrant, courtSignature: base.warrant.investigatorSignature } };
    expect((await post(badCourt)).body.error.code).toBe('BAD_COURT_SIGNATURE');
    const badInv = { ...base, warrant: { ...base.warrant, investigatorSignature: base.warrant.courtSignature } };
    expect((await post(badInv)).body.error.code).toBe('BAD_INVESTIGATOR_SIGNATURE');
    const unknownCourt = makeWarrant(cluster, 'a', { court: 'court-9' });
    expect((await post(unknownCourt)).body.error.code).toBe('UNKNOWN_COURT');
    const now = cluster.config.now!();
    const expired = makeWarrant(cluster, 'a', { issuedAt: now - 100, expiresAt: now - 10, sealedUntil: now });
    const r = await post(expired);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('BAD_DATES');
  });

  it('answers junk with 4xx and a code', async () => {
    const cases: [string, string, unknown, string | undefined, number, string][] = [
      ['POST', '/v1/warrants', 'not json', cluster.tokens.a, 400, 'BAD_JSON'],
      ['POST', '/v1/warrants', { warrant: 1 }, cluster.tokens.a, 400, 'BAD_REQUEST'],
      ['POST', '/v1/warrants', {}, undefined, 401, 'UNAUTHENTICATED'],
      ['POST', '/v1/records', { entry: { type: 'approval' } }, undefined, 400, 'BAD_REQUEST'],
      ['POST', '/v1/records', { entry: { type: 'warrant' } }, undefined, 400, 'BAD_REQUEST'],
      ['POST', '/v1/records', [], undefined, 400, 'BAD_REQUEST'],
      ['POST', '/v1/registry', { entry: null }, undefined, 400, 'BAD_REQUEST'],
      ['POST', '/v1/unseals', { warrantId: 'x' }, undefined, 400, 'BAD_REQUEST'],
      ['POST', '/v1/requests', { warrantId: 'nope' }, cluster.tokens.a, 400, 'BAD_REQUEST'],
      ['POST', '/v1/requests', { warrantId: '00000000-0000-4000-8000-000000000000' }, cluster.tokens.a, 404, 'NOT_FOUND'],
      ['GET', '/v1/requests/not-a-uuid', undefined, cluster.tokens.a, 400, 'BAD_REQUEST'],
      ['POST', '/v1/requests/00000000-0000-4000-8000-000000000000/envelopes', { envelopes: [] }, cluster.tokens.a, 400, 'BAD_REQUEST'],
      ['GET', '/v1/warrants/00000000-0000-4000-8000-000000000000', undefined, cluster.tokens.a, 404, 'NOT_FOUND'],
      ['GET', '/v1/nothing', undefined, undefined, 404, 'NOT_FOUND'],
    ];
    for (const [method, path, body, token, status, code] of cases) {
      const r = await api(cluster.url, method, path, body, token);
      expect({ path, status: r.status, code: r.body?.error?.code }).toEqual({ path, status, code });
    }
    const big = await api(cluster.url, 'POST', '/v1/records', { entry: 'x'.repeat(2_000_000) });
    expect(big.status).toBe(413);
    const explorer = await fetch(`${cluster.url}/explorer/`);
    expect(explorer.status).toBe(200);
    expect(explorer.headers.get('content-security-policy')).toContain("default-src 'none'");
    const report = await api(cluster.url, 'GET', '/report/report.json');
    expect(report.status).toBe(404);
    const health = await api(cluster.url, 'GET', '/health');
    expect(health.body).toMatchObject({ ok: true, size: expect.any(Number), storage: { state: 'ok' } });
  });
});

describe('records from custodians', () => {
  it('refuses approvals and releases that do not check out', async () => {
    const w = makeWarrant(cluster, 'a');
    const intake = await api(cluster.url, 'POST', '/v1/warrants', w, cluster.tokens.a);
    expect(intake.status).toBe(201);
    const c1 = cluster.custodians[0]!.opts;
    const approval = (over: object, key = c1.signingKey) => {
      const unsigned = {
        type: 'approval' as const,
        warrantId: w.warrant.id,
        commitment: warrantCommitment(w.warrant, w.salt),
        custodian: 1,
        decision: 'approve' as const,
        time: cluster.config.now!(),
        ...over,
      };
      return { ...unsigned, signature: signRecord(unsigned, 'approval', key) };
    };
    const post = (entry: object) => api(cluster.url, 'POST', '/v1/records', { entry });
    const cases: [object, number, string][] = [
      [approval({}, cluster.custodians[1]!.opts.signingKey), 400, 'BAD_SIGNATURE'],
      [approval({ custodian: 9 }), 400, 'UNKNOWN_CUSTODIAN'],
      [approval({ commitment: 'ab'.repeat(32) }), 400, 'BAD_COMMITMENT'],
      [approval({ warrantId: '00000000-0000-4000-8000-000000000000' }), 404, 'WARRANT_NOT_LOGGED'],
    ];
    for (const [entry, status, code] of cases) {
      const r = await post(entry);
      expect({ status: r.status, code: r.body.error?.code }).toEqual({ status, code });
    }
    const unsigned = { type: 'release' as const, requestId: '00000000-0000-4000-8000-000000000000', custodian: 1, count: 1, partialsRoot: 'cd'.repeat(32) };
    const release = { ...unsigned, signature: signRecord(unsigned, 'release', c1.signingKey) };
    const r = await post(release);
    expect({ status: r.status, code: r.body.error.code }).toEqual({ status: 404, code: 'REQUEST_NOT_LOGGED' });
  });
});

describe('revocation, expiry and unsealing', () => {
  it('refuses requests on a revoked warrant', async () => {
    const { warrant } = await approvedWarrant(cluster, 'a');
    const unsigned = {
      type: 'revocation' as const,
      warrantId: warrant.id,
      reason: 'case closed',
      by: 'court' as const,
      signer: cluster.court.publicKey,
      time: cluster.config.now!(),
    };
    // Signed by the investigator but claiming to be the court: refused.
    const forged = { ...unsigned, signature: signRecord(unsigned, 'revocation', cluster.investigators.a.secretKey) };
    expect((await api(cluster.url, 'POST', '/v1/records', { entry: forged })).body.error.code).toBe('BAD_SIGNATURE');
    const entry = { ...unsigned, signature: signRecord(unsigned, 'revocation', cluster.court.secretKey) };
    const r = await api(cluster.url, 'POST', '/v1/records', { entry });
    expect(r.status).toBe(201);
    expect((await api(cluster.url, 'POST', '/v1/records', { entry })).body).toEqual({ index: r.body.index });
    const s = await api(cluster.url, 'GET', `/v1/warrants/${warrant.id}`, undefined, cluster.tokens.a);
    expect(s.body.status).toBe('revoked');
    const open = await api(cluster.url, 'POST', '/v1/requests', { warrantId: warrant.id }, cluster.tokens.a);
    expect(open.status).toBe(409);
    expect(open.body.error.code).toBe('WARRANT_REVOKED');
  });

  it('lets the warrant’s own investigator revoke it, and no one else', async () => {
    const w = makeWarrant(cluster, 'a');
    expect((await api(cluster.url, 'POST', '/v1/warrants', w, cluster.tokens.a)).status).toBe(201);
    const revoke = (who: 'a' | 'b') => {
      const inv = cluster.investigators[who];
      const unsigned = { type: 'revocation' as const, warrantId: w.warrant.id, reason: 'no longer needed', by: 'investigator' as const, signer: inv.publicKey, time: cluster.config.now!() };
      return { ...unsigned, signature: signRecord(unsigned, 'revocation', inv.secretKey) };
    };
    const other = await api(cluster.url, 'POST', '/v1/records', { entry: revoke('b') });
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('FORBIDDEN');
    expect((await api(cluster.url, 'POST', '/v1/records', { entry: revoke('a') })).status).toBe(201);
    const s = await api(cluster.url, 'GET', `/v1/warrants/${w.warrant.id}`, undefined, cluster.tokens.a);
    expect(s.body.status).toBe('revoked');
  });

  it('refuses requests on an expired warrant, even a drafted one', async () => {
    const now = cluster.config.now!();
    const { warrant } = await approvedWarrant(cluster, 'a', { expiresAt: now + 3600 });
    const open = await api(cluster.url, 'POST', '/v1/requests', { warrantId: warrant.id }, cluster.tokens.a);
    expect(open.status).toBe(201);
    const envelopes = [seal(cluster, 'late', subjectLabel('alice@example.com'))];
    await api(cluster.url, 'POST', `/v1/requests/${open.body.requestId}/envelopes`, { envelopes }, cluster.tokens.a);
    cluster.clock.offset += 7200;
    try {
      const s = await api(cluster.url, 'GET', `/v1/warrants/${warrant.id}`, undefined, cluster.tokens.a);
      expect(s.body.status).toBe('expired');
      const entry = requestEntry(cluster, 'a', open.body.requestId, warrant.id, envelopes);
      const submit = await api(cluster.url, 'POST', `/v1/requests/${open.body.requestId}/submit`, { entry }, cluster.tokens.a);
      expect(submit.status).toBe(409);
      expect(submit.body.error.code).toBe('WARRANT_EXPIRED');
    } finally {
      cluster.clock.offset -= 7200;
    }
  });

  it('unseals only after sealedUntil and only with the right opening', async () => {
    const now = cluster.config.now!();
    const w = makeWarrant(cluster, 'a', { sealedUntil: now + 1000 });
    expect((await api(cluster.url, 'POST', '/v1/warrants', w, cluster.tokens.a)).status).toBe(201);
    const body = { warrantId: w.warrant.id, salt: w.salt, warrant: w.warrant };
    const early = await api(cluster.url, 'POST', '/v1/unseals', body);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('NOT_YET');
    cluster.clock.offset += 2000;
    try {
      const wrongSalt = await api(cluster.url, 'POST', '/v1/unseals', { ...body, salt: 'cd'.repeat(32) });
      expect(wrongSalt.status).toBe(400);
      expect(wrongSalt.body.error.code).toBe('BAD_OPENING');
      const ok = await api(cluster.url, 'POST', '/v1/unseals', body);
      expect(ok.status).toBe(201);
      const entries = await logEntries(cluster);
      expect(entries[ok.body.index]).toMatchObject({ type: 'unseal', warrantId: w.warrant.id, salt: w.salt });
    } finally {
      cluster.clock.offset -= 2000;
    }
  });

  it('refuses a second, different decision by the same custodian', async () => {
    const { warrant } = await approvedWarrant(cluster, 'a');
    const entries = await logEntries(cluster);
    const approval = entries.find((e) => e.type === 'approval' && e.warrantId === warrant.id)!;
    const c = cluster.custodians[approval.custodian - 1]!;
    const { signature: _old, ...rest } = approval;
    const unsigned = { ...rest, decision: 'deny', time: approval.time + 1 };
    const deny = { ...unsigned, signature: signRecord(unsigned, 'approval', c.opts.signingKey) };
    const r = await api(cluster.url, 'POST', '/v1/records', { entry: deny });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('DUPLICATE_DECISION');
    const same = await api(cluster.url, 'POST', '/v1/records', { entry: approval });
    expect(same.status).toBe(200);
  });
});

describe('decisions', () => {
  async function delivered(warrantId: string) {
    await waitFor('delivery to every custodian', () => (cluster.custodians.every((c) => c.warrants.has(warrantId)) ? true : undefined));
  }

  it('keeps a warrant pending until t approvals', async () => {
    for (const c of cluster.custodians) c.opts.decision = 'none';
    try {
      const w = makeWarrant(cluster, 'a');
      expect((await api(cluster.url, 'POST', '/v1/warrants', w, cluster.tokens.a)).status).toBe(201);
      await delivered(w.warrant.id);
      const s = await api(cluster.url, 'GET', `/v1/warrants/${w.warrant.id}`, undefined, cluster.tokens.a);
      expect(s.body).toEqual({ status: 'pending', approvals: 0, denials: 0, threshold: THRESHOLD });
      const open = await api(cluster.url, 'POST', '/v1/requests', { warrantId: w.warrant.id }, cluster.tokens.a);
      expect(open.status).toBe(409);
      expect(open.body.error.code).toBe('WARRANT_NOT_APPROVED');
    } finally {
      for (const c of cluster.custodians) c.opts.decision = 'approve';
    }
  });

  it('denies a warrant once more than n − t custodians deny it', async () => {
    for (const c of cluster.custodians.slice(0, 3)) c.opts.decision = 'deny';
    try {
      const w = makeWarrant(cluster, 'a');
      expect((await api(cluster.url, 'POST', '/v1/warrants', w, cluster.tokens.a)).status).toBe(201);
      const s = await waitFor('denial', async () => {
        const r = await api(cluster.url, 'GET', `/v1/warrants/${w.warrant.id}`, undefined, cluster.tokens.a);
        return r.body.denials === 3 ? r.body : undefined;
      });
      expect(s.status).toBe('denied');
      const open = await api(cluster.url, 'POST', '/v1/requests', { warrantId: w.warrant.id }, cluster.tokens.a);
      expect(open.body.error.code).toBe('WARRANT_DENIED');
    } finally {
      for (const c of cluster.custodians) c.opts.decision = 'approve';
    }
  });
});

describe('envelope batches', () => {
  it('accepts 500 envelopes in a batch of several megabytes and refuses 501', async () => {
    const { warrant } = await approvedWarrant(cluster, 'a');
    const open = await api(cluster.url, 'POST', '/v1/requests', { warrantId: warrant.id }, cluster.tokens.a);
    const env = seal(cluster, 'x'.repeat(4000), subjectLabel('alice@example.com'));
    const batch = await api(cluster.url, 'POST', `/v1/requests/${open.body.requestId}/envelopes`, { envelopes: Array(500).fill(env) }, cluster.tokens.a);
    expect(JSON.stringify(Array(500).fill(env)).length).toBeGreaterThan(2_000_000);
    expect(batch.status).toBe(200);
    expect(batch.body.accepted).toHaveLength(500);
    expect(new Set(batch.body.accepted).size).toBe(1);
    const tooMany = await api(cluster.url, 'POST', `/v1/requests/${open.body.requestId}/envelopes`, { envelopes: Array(501).fill(env) }, cluster.tokens.a);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.code).toBe('BAD_REQUEST');
    const progress = await api(cluster.url, 'GET', `/v1/requests/${open.body.requestId}`, undefined, cluster.tokens.a);
    expect(progress.body).toEqual({ state: 'draft', total: 1, done: 0, failed: 0 });
  });
});

describe('registry updates', () => {
  it('logs an update signed by t custodians and refuses fewer, gaps and rewrites', async () => {
    const current = await api(cluster.url, 'GET', '/v1/registry');
    expect(current.status).toBe(200);
    expect(current.body.index).toBe(0);
    const newCourt = party();
    const { signatures: _s, ...base } = current.body.entry as RegistryEntry;
    const unsigned = { ...base, sequence: 1, courts: [...base.courts, { id: 'court-2', name: 'Appeals Court', key: newCourt.publicKey }], time: cluster.config.now!() };
    const sign = (u: object, by: number[]) => by.map((i) => ({ custodian: i, signature: signRecord(u, 'registry', cluster.custodians[i - 1]!.opts.signingKey) }));
    const tooFew = await api(cluster.url, 'POST', '/v1/registry', { entry: { ...unsigned, signatures: sign(unsigned, [1, 2]) } });
    expect(tooFew.status).toBe(400);
    expect(tooFew.body.error.code).toBe('BAD_SIGNATURE');
    const gap = { ...unsigned, sequence: 5 };
    const skipped = await api(cluster.url, 'POST', '/v1/registry', { entry: { ...gap, signatures: sign(gap, [1, 2, 3]) } });
    expect(skipped.status).toBe(409);
    expect(skipped.body.error.code).toBe('REGISTRY_SEQUENCE');
    const entry = { ...unsigned, signatures: sign(unsigned, [2, 4, 5]) };
    const ok = await api(cluster.url, 'POST', '/v1/registry', { entry });
    expect(ok.status).toBe(201);
    expect((await api(cluster.url, 'POST', '/v1/registry', { entry })).body).toEqual(ok.body);
    const after = await api(cluster.url, 'GET', '/v1/registry');
    expect(after.body).toEqual({ index: ok.body.index, entry, activated: [] }); // no DKG epoch here (docs/PROTOCOL.md §7.4)
    // A warrant from the newly registered court is now accepted.
    const w = makeWarrant(cluster, 'a', { court: 'court-2' });
    const signed = { ...w.warrant, courtSignature: signWarrant(w.warrant, newCourt.secretKey) };
    expect((await api(cluster.url, 'POST', '/v1/warrants', { warrant: signed, salt: w.salt }, cluster.tokens.a)).status).toBe(201);
  });
});

describe('requests by the wrong people', () => {
  it('only the warrant’s own investigator may open a request', async () => {
    const { warrant } = await approvedWarrant(cluster, 'a');
    const b = await api(cluster.url, 'POST', '/v1/requests', { warrantId: warrant.id }, cluster.tokens.b);
    expect(b.status).toBe(403);
    const anon = await api(cluster.url, 'POST', '/v1/requests', { warrantId: warrant.id });
    expect(anon.status).toBe(401);
    const id = await submitRequest(cluster, 'a', warrant.id, [seal(cluster, 'm', subjectLabel('alice@example.com'))]);
    expect((await api(cluster.url, 'GET', `/v1/requests/${id}`, undefined, cluster.tokens.c)).status).toBe(403);
    expect((await finished(cluster, 'a', id)).state).toBe('complete');
  });
});
