/**
 * Only the coordinator collects partials (docs/PROTOCOL.md §7.12, Call authorisation;
 * docs/PROTOCOL.md §5 step 6 "to that investigator only"): `POST /v1/partials` needs a
 * `Custodes-Call` header signed by the registry's log key for this node, this
 * request and these envelopes, issued within the freshness window, and each
 * call is good for one use (REPLAYED_CALL after, also across a restart). Every
 * other call is 401 with its code and leaks nothing; the coordinator's own
 * refused calls are recorded in the release log, calls refused before they
 * authenticate only counted in memory (no row, no attacker-chosen id).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bytesToHex, decodePoint, hexToBytes, parseEnvelope, schnorrVerify, taggedHash, utf8, verifyPartial } from '@custodes/shared/crypto';
import {
  canonicalJson,
  decodePartialsCall,
  encodePartialsCall,
  PARTIALS_CALL_HEADER,
  signPartialsCall,
  verifyPartialsCall,
} from '@custodes/shared/records';
import type { PartialsCall } from '@custodes/shared/records';
import { buildWorld, call, callHeader, decryptionRequest, inScope, makeEnvelopes, NOW, removeTempDirs, startNode, StandIn, sync } from './fixture';
import type { Node, World } from './fixture';
import { askPartials, scenario } from './scenario';
import type { Scenario } from './scenario';

let world: World;
let s: Scenario;

beforeAll(async () => {
  world = buildWorld();
  s = await scenario(world);
});

afterAll(async () => {
  await s?.close();
  removeTempDirs();
});

/** POSTs the scenario's request with `header` as the Custodes-Call value (none if undefined). */
function post(header: string | undefined, body: unknown = { requestId: s.request.requestId, envelopes: s.envelopes }) {
  return call(`${s.node.url}/v1/partials`, { json: body, ...(header === undefined ? {} : { headers: { [PARTIALS_CALL_HEADER]: header } }) });
}

const header = (over: Parameters<typeof callHeader>[4] = {}, signer?: string) => callHeader(world, 1, s.request.requestId, s.envelopes, over, signer);

async function releases(): Promise<{ requestId: string | null; outcome: string; code: string | null }[]> {
  return (await call(`${s.node.url}/v1/operator/releases`, { token: s.node.token })).json.releases;
}

/** The operator's count of calls refused before they authenticated, per code. */
async function unauthenticated(): Promise<Record<string, number>> {
  return (await call(`${s.node.url}/v1/operator/releases`, { token: s.node.token })).json.unauthenticated?.counts ?? {};
}

/** Rows of the node's release log, read from its SQLite file. */
function releaseRows(node: Node): number {
  const db = new Database(join(node.dataDir, 'custodian.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM release_log').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** A 401 with `code`, a JSON error and nothing else: no partial, no release, no signature echoed. */
function expectRefused(r: Awaited<ReturnType<typeof post>>, code: string, sent?: string) {
  expect(r.status, r.text).toBe(401);
  expect(Object.keys(r.json)).toEqual(['error']);
  expect(r.json.error.code).toBe(code);
  expect(typeof r.json.error.message).toBe('string');
  expect(r.text).not.toMatch(/"partials"|"release"|"D"/);
  if (sent) expect(r.text).not.toContain(decodePartialsCall(sent)?.signature ?? sent);
}

describe('the call format (custodes/v1/partials-call)', () => {
  it('is a §3.5 signed record under its own tag, carried as base64 of its JCS bytes', () => {
    const call = signPartialsCall({ custodian: 2, requestId: s.request.requestId, envelopeCount: 3, envelopeSetRoot: s.request.envelopeSetRoot, issuedAt: NOW }, world.logKey.secretKey);
    const { signature, ...unsigned } = call;
    expect(unsigned.type).toBe('partials-call');
    // Recomputed from docs/PROTOCOL.md §3 / §3.5 directly: BIP340 over H("custodes/v1/partials-call", JCS(record without signature)).
    const digest = taggedHash('custodes/v1/partials-call', utf8(canonicalJson(unsigned)));
    expect(schnorrVerify(hexToBytes(signature), digest, hexToBytes(world.logKey.publicKey))).toBe(true);
    expect(verifyPartialsCall(call, world.logKey.publicKey)).toBe(true);
    const encoded = encodePartialsCall(call);
    expect(Buffer.from(encoded, 'base64').toString('utf8')).toBe(canonicalJson(call));
    expect(decodePartialsCall(encoded)).toEqual(call);
  });

  it('rejects junk without throwing', () => {
    const good = signPartialsCall({ custodian: 1, requestId: s.request.requestId, envelopeCount: 3, envelopeSetRoot: s.request.envelopeSetRoot, issuedAt: NOW }, world.logKey.secretKey);
    const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
    for (const junk of [undefined, null, 5, '', '%%%', 'AAA', b64('{'), b64('[]'), b64(JSON.stringify({ ...good, extra: 1 })), b64(JSON.stringify(good, null, 1)),
      b64(canonicalJson({ ...good, custodian: 0 })), b64(canonicalJson({ ...good, type: 'release' })), encodePartialsCall(good) + '=', 'A'.repeat(5000)]) {
      expect(decodePartialsCall(junk), String(junk).slice(0, 40)).toBeNull();
    }
    for (const junk of [null, {}, { ...good, signature: 'zz' }, { ...good, issuedAt: -1 }, 'x']) expect(verifyPartialsCall(junk, world.logKey.publicKey)).toBe(false);
    expect(verifyPartialsCall(good, 'not a key')).toBe(false);
    expect(verifyPartialsCall(good, world.agency.investigator.publicKey)).toBe(false);
  });
});

describe('POST /v1/partials refuses every call the coordinator did not sign for it', () => {
  it('no authorisation: 401 UNAUTHENTICATED, before the body is even parsed', async () => {
    expectRefused(await post(undefined), 'UNAUTHENTICATED');
    expectRefused(await post(''), 'UNAUTHENTICATED');
    // A body the JSON parser would refuse with 400: the header is checked first.
    const junkBody = await call(`${s.node.url}/v1/partials`, { raw: '{' });
    expectRefused(junkBody, 'UNAUTHENTICATED');
  });

  it('a malformed header: 401 UNAUTHENTICATED', async () => {
    const good = decodePartialsCall(header())!;
    for (const h of ['junk', 'Bearer abc', Buffer.from('{}').toString('base64'), Buffer.from(JSON.stringify({ ...good, extra: 1 })).toString('base64')]) {
      expectRefused(await post(h), 'UNAUTHENTICATED');
    }
  });

  it('signed by another key (an investigator, the court, a custodian, this node itself): 401 BAD_CALL_SIGNATURE', async () => {
    for (const key of [world.agency.investigator.secretKey, world.court.secretKey, world.custodians[1]!.secretKey, world.custodians[0]!.secretKey]) {
      const h = header({}, key);
      expectRefused(await post(h), 'BAD_CALL_SIGNATURE', h);
    }
  });

  it('a tampered signature byte, or a field changed after signing: 401 BAD_CALL_SIGNATURE', async () => {
    const good = decodePartialsCall(header())!;
    const last = good.signature.slice(-2);
    const flipped: PartialsCall = { ...good, signature: good.signature.slice(0, -2) + (last === '00' ? '01' : '00') };
    expectRefused(await post(encodePartialsCall(flipped)), 'BAD_CALL_SIGNATURE');
    const firstByte = bytesToHex(Uint8Array.of(hexToBytes(good.signature.slice(0, 2))[0]! ^ 0x80));
    expectRefused(await post(encodePartialsCall({ ...good, signature: firstByte + good.signature.slice(2) })), 'BAD_CALL_SIGNATURE');
    expectRefused(await post(encodePartialsCall({ ...good, issuedAt: good.issuedAt - 1 })), 'BAD_CALL_SIGNATURE');
  });

  it('signed for another custodian index: 401 WRONG_CUSTODIAN', async () => {
    for (const index of [2, 5, 255]) expectRefused(await post(header({ custodian: index })), 'WRONG_CUSTODIAN');
  });

  it('signed for another request id: 401 CALL_MISMATCH', async () => {
    expectRefused(await post(header({ requestId: '00000000-0000-4000-8000-000000000000' })), 'CALL_MISMATCH');
  });

  it('signed for other envelopes (another set, another order, another count): 401 CALL_MISMATCH', async () => {
    const other = makeEnvelopes(world, [inScope(0), inScope(1), inScope(2, 'subject-b')]).envelopes;
    expectRefused(await post(callHeader(world, 1, s.request.requestId, other)), 'CALL_MISMATCH');
    const swapped = [s.envelopes[1]!, s.envelopes[0]!, s.envelopes[2]!];
    expectRefused(await post(callHeader(world, 1, s.request.requestId, swapped)), 'CALL_MISMATCH');
    expectRefused(await post(header({ envelopeCount: 2 })), 'CALL_MISMATCH');
    // …and the other way round: a good call, a body with other envelopes.
    expectRefused(await post(header(), { requestId: s.request.requestId, envelopes: other }), 'CALL_MISMATCH');
  });

  it('issued outside ±120 s of the node clock: 401 STALE_CALL; at the edges it is accepted', async () => {
    expectRefused(await post(header({ issuedAt: NOW - 121 })), 'STALE_CALL');
    expectRefused(await post(header({ issuedAt: NOW + 121 })), 'STALE_CALL');
    expectRefused(await post(header({ issuedAt: 0 })), 'STALE_CALL');
    // Nothing served so far: the node released nothing and posted no release.
    expect(s.standIn.records.filter((e) => e.type === 'release')).toEqual([]);
    expect((await releases()).every((r) => r.outcome === 'refused')).toBe(true);
    expect((await post(header({ issuedAt: NOW - 120 }))).status).toBe(200);
    expect((await post(header({ issuedAt: NOW + 120 }))).status).toBe(200);
  });

  it('the coordinator\'s refused calls are in the release log with their code; the others are counted per code', async () => {
    const log = await releases();
    const codes = new Set(log.filter((r) => r.outcome === 'refused').map((r) => r.code));
    expect([...codes]).toEqual(['CALL_MISMATCH']);
    const counts = await unauthenticated();
    for (const code of ['UNAUTHENTICATED', 'BAD_CALL_SIGNATURE', 'WRONG_CUSTODIAN', 'STALE_CALL']) expect(counts[code], code).toBeGreaterThan(0);
  });

  it('junk calls leave the database and the operator\'s history as they were, whatever request ids and counts they claim', async () => {
    const rows = releaseRows(s.node);
    const before = await releases();
    const countsBefore = await unauthenticated();
    const attackerIds = Array.from({ length: 4 }, (_, k) => `0000000${k}-dead-4bad-8bad-000000000000`);
    const N = 50;
    for (let k = 0; k < N; k++) {
      const requestId = attackerIds[k % attackerIds.length]!;
      const junk = [
        undefined,
        'junk',
        header({ requestId, envelopeCount: 99_999 }, world.agency.investigator.secretKey), // BAD_CALL_SIGNATURE
        header({ requestId, custodian: 2 }), // WRONG_CUSTODIAN
        header({ requestId, issuedAt: NOW - 10_000 }), // STALE_CALL
      ][k % 5];
      expect((await post(junk, { requestId, envelopes: s.envelopes })).status).toBe(401);
    }
    expect(releaseRows(s.node)).toBe(rows);
    const after = await releases();
    expect(after).toEqual(before);
    expect(JSON.stringify(after)).not.toMatch(/dead-4bad/);
    const counts = await unauthenticated();
    const added = Object.keys(counts).reduce((n, c) => n + counts[c]! - (countsBefore[c] ?? 0), 0);
    expect(added).toBe(N);
  });
});

describe('POST /v1/partials with the coordinator\'s call', () => {
  it('serves partials that verify; a repeat needs a valid call too', async () => {
    const r = await askPartials(s.node, s.request.requestId, s.envelopes);
    expect(r.status, r.text).toBe(200);
    const X1 = decodePoint(hexToBytes(world.publicKeySet.verificationShares['1']!, 33), 'X');
    const parsed = s.envelopes.map((e) => parseEnvelope(e));
    r.json.partials.forEach((p: unknown, k: number) => expect(verifyPartial(p, X1, parsed[k]!)).toBe(true));
    await vi.waitFor(() => expect(s.standIn.records.some((e) => e.type === 'release' && e.requestId === s.request.requestId)).toBe(true));

    // The stored answer of a served request is returned only to a valid call.
    expectRefused(await post(undefined), 'UNAUTHENTICATED');
    expectRefused(await post(header({}, world.agency.investigator.secretKey)), 'BAD_CALL_SIGNATURE');
    expectRefused(await post(header({ issuedAt: NOW - 3600 })), 'STALE_CALL');
    expectRefused(await post(header({ custodian: 2 })), 'WRONG_CUSTODIAN');
    const again = await askPartials(s.node, s.request.requestId, s.envelopes);
    expect(again.status).toBe(200);
    expect(again.json).toEqual(r.json);
    expect((await releases())[0]).toMatchObject({ requestId: s.request.requestId, outcome: 'repeated' });
  });
});

/** Issue times of the calls `node` remembers as used, from its SQLite file. */
function usedCalls(node: Node): number[] {
  const db = new Database(join(node.dataDir, 'custodian.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT issued_at FROM used_calls ORDER BY issued_at').all() as { issued_at: number }[]).map((r) => r.issued_at);
  } finally {
    db.close();
  }
}

describe('one use per call: 401 REPLAYED_CALL', () => {
  /** A second request on the scenario's warrant, logged but never served. */
  async function freshRequest() {
    const envelopes = makeEnvelopes(world, [inScope(10), inScope(11)]).envelopes;
    const request = decryptionRequest(world, s.warrant.id, envelopes);
    s.standIn.append(request);
    await sync(s.node, s.standIn);
    const postWith = (h: string) => call(`${s.node.url}/v1/partials`, { json: { requestId: request.requestId, envelopes }, headers: { [PARTIALS_CALL_HEADER]: h } });
    return { request, envelopes, header: () => callHeader(world, 1, request.requestId, envelopes), post: postWith };
  }

  it('a call that was served is refused the second time, and the replay is counted, not stored', async () => {
    const f = await freshRequest();
    const h = f.header();
    const first = await f.post(h);
    expect(first.status, first.text).toBe(200);
    expect((await releases())[0]).toMatchObject({ requestId: f.request.requestId, outcome: 'served' });
    const replays = (await unauthenticated()).REPLAYED_CALL ?? 0;
    const rows = releaseRows(s.node);
    for (let k = 0; k < 2; k++) expectRefused(await f.post(h), 'REPLAYED_CALL', h);
    expect((await releases())[0]).toMatchObject({ requestId: f.request.requestId, outcome: 'served' });
    expect(releaseRows(s.node)).toBe(rows);
    expect((await unauthenticated()).REPLAYED_CALL).toBe(replays + 2);
    // The coordinator's way: a freshly signed call for the same request gets the stored answer.
    const again = await f.post(f.header());
    expect(again.status, again.text).toBe(200);
    expect(again.json).toEqual(first.json);
    expect((await releases())[0]).toMatchObject({ requestId: f.request.requestId, outcome: 'repeated' });
  });

  it('two uses of one call at once: exactly one answer', async () => {
    const h = header();
    const answers = await Promise.all([post(h), post(h), post(h)]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 401, 401]);
    for (const r of answers.filter((a) => a.status === 401)) expectRefused(r, 'REPLAYED_CALL', h);
  });

  it('a call is used up once it authenticates, even when what follows refuses it', async () => {
    // CALL_MISMATCH: the body names other envelopes. The same call with the right body is then a replay.
    const h = header();
    const other = makeEnvelopes(world, [inScope(0), inScope(1), inScope(2, 'subject-b')]).envelopes;
    expectRefused(await post(h, { requestId: s.request.requestId, envelopes: other }), 'CALL_MISMATCH');
    expectRefused(await post(h), 'REPLAYED_CALL', h);
    // A release rule's refusal (REQUEST_NOT_LOGGED, which the coordinator retries with fresh calls) uses it up too.
    const envelopes = makeEnvelopes(world, [inScope(20)]).envelopes;
    const pending = decryptionRequest(world, s.warrant.id, envelopes);
    const ask = (value: string) => call(`${s.node.url}/v1/partials`, { json: { requestId: pending.requestId, envelopes }, headers: { [PARTIALS_CALL_HEADER]: value } });
    const early = callHeader(world, 1, pending.requestId, envelopes);
    expect((await ask(early)).json.error.code).toBe('REQUEST_NOT_LOGGED');
    s.standIn.append(pending);
    await sync(s.node, s.standIn);
    expectRefused(await ask(early), 'REPLAYED_CALL', early);
    expect((await ask(callHeader(world, 1, pending.requestId, envelopes))).status).toBe(200);
  });

  it('a call refused before it authenticates is not used up (nothing of junk is stored)', async () => {
    const before = usedCalls(s.node).length;
    expectRefused(await post(header({ custodian: 2 })), 'WRONG_CUSTODIAN');
    expectRefused(await post(header({ issuedAt: NOW - 121 })), 'STALE_CALL');
    expectRefused(await post(header({}, world.agency.investigator.secretKey)), 'BAD_CALL_SIGNATURE');
    expect(usedCalls(s.node)).toHaveLength(before);
  });

  it('remembered across a restart', async () => {
    const h = header();
    expect((await post(h)).status).toBe(200);
    await s.node.restart();
    expectRefused(await post(h), 'REPLAYED_CALL', h);
    expect((await post(header())).status).toBe(200);
  });

  it('forgets calls older than the window when it records a new one; a call below what it forgot is stale', async () => {
    let now = NOW;
    const standIn = new StandIn(world);
    await standIn.start();
    standIn.append(world.registry);
    const node = await startNode(world, standIn, 1, { config: { clock: () => now * 1000 } });
    try {
      await sync(node, standIn);
      // Authenticated calls for a request this node does not know: refused (409), but used up.
      const envelopes = makeEnvelopes(world, [inScope(0)]).envelopes;
      const requestId = '00000000-0000-4000-8000-000000000001';
      const ask = (issuedAt: number, h = callHeader(world, 1, requestId, envelopes, { issuedAt })) =>
        call(`${node.url}/v1/partials`, { json: { requestId, envelopes }, headers: { [PARTIALS_CALL_HEADER]: h } });
      const old = callHeader(world, 1, requestId, envelopes, { issuedAt: NOW });
      expect((await ask(NOW, old)).json.error.code).toBe('REQUEST_NOT_LOGGED');
      expect((await ask(NOW)).json.error.code).toBe('REQUEST_NOT_LOGGED');
      now = NOW + 100;
      expect((await ask(NOW + 100)).json.error.code).toBe('REQUEST_NOT_LOGGED');
      expect(usedCalls(node)).toEqual([NOW, NOW, NOW + 100]);
      // 121 s later the calls issued at NOW would be stale: the next recorded call prunes them.
      now = NOW + 121;
      expect((await ask(NOW + 121)).json.error.code).toBe('REQUEST_NOT_LOGGED');
      expect(usedCalls(node)).toEqual([NOW + 100, NOW + 121]);
      expectRefused(await ask(NOW, old), 'STALE_CALL', old);
      // The clock steps back to NOW: the forgotten call would be fresh again, but it is below what
      // the node forgot, so it stays refused, as does any call issued there; later ones pass.
      now = NOW;
      expectRefused(await ask(NOW, old), 'STALE_CALL', old);
      const forgotten = await ask(NOW);
      expectRefused(forgotten, 'STALE_CALL');
      expect(forgotten.json.error.message).toMatch(/forgotten/);
      expect((await ask(NOW + 1)).json.error.code).toBe('REQUEST_NOT_LOGGED');
      // So is a restart with a wider window.
      await node.restart({ callWindowSeconds: 600 });
      expectRefused(await ask(NOW, old), 'STALE_CALL', old);
      expect(usedCalls(node)).toEqual([NOW + 1, NOW + 100, NOW + 121]);
    } finally {
      await node.close();
      await standIn.close();
    }
  });
});

describe('configuration', () => {
  it('callWindowSeconds narrows the freshness window; a node with no registry yet refuses every call', async () => {
    const standIn = new StandIn(world);
    await standIn.start();
    const node = await startNode(world, standIn, 1, { config: { callWindowSeconds: 10 } });
    try {
      const envelopes = makeEnvelopes(world, [inScope(0)]).envelopes;
      const ask = (issuedAt: number) =>
        call(`${node.url}/v1/partials`, {
          json: { requestId: s.request.requestId, envelopes },
          headers: { [PARTIALS_CALL_HEADER]: callHeader(world, 1, s.request.requestId, envelopes, { issuedAt }) },
        });
      expect((await ask(NOW - 11)).json.error.code).toBe('STALE_CALL');
      // Within the window, but this node has no replica: no log key to check the call with.
      const r = await ask(NOW - 10);
      expect(r.status).toBe(401);
      expect(r.json.error.code).toBe('UNAUTHENTICATED');
    } finally {
      await node.close();
      await standIn.close();
    }
  });
});
