/**
 * Init and the seal (docs/PROTOCOL.md §3.6): unseal keys one at a time, wrong and too
 * few keys, re-seal, restart comes back sealed, 503 while sealed, and no secret
 * on disk in the clear or in any answer.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustodian, CustodianError, initCustodian } from '../../services/custodian/src/index';
import type { Custodian } from '../../services/custodian/src/index';
import { buildWorld, call, keyFile, keyPair, removeTempDirs, StandIn, tempDir } from './fixture';
import type { World } from './fixture';

let world: World;
let standIn: StandIn;
const running: Custodian[] = [];

beforeAll(async () => {
  world = buildWorld();
  standIn = new StandIn(world);
  await standIn.start();
});

afterAll(async () => {
  for (const c of running) await c.close();
  await standIn.close();
  removeTempDirs();
});

async function startSealed(dataDir: string): Promise<Custodian> {
  const c = createCustodian({ dataDir, coordinatorUrl: standIn.url });
  running.push(c);
  await c.start();
  return c;
}

function codeOf(fn: () => Promise<unknown>): Promise<string> {
  return fn().then(
    () => 'resolved',
    (err: unknown) => (err instanceof CustodianError || (err as { code?: string }).code ? String((err as { code: string }).code) : String(err)),
  );
}

describe('init', () => {
  it('returns unseal keys and an operator token once and refuses an initialised data dir', async () => {
    const dataDir = tempDir();
    const res = await initCustodian({ dataDir, shareFile: world.shares[0], keyFile: keyFile(world.custodians[0]!) });
    expect(res.custodian).toBe(1);
    expect(res.unsealKeys).toHaveLength(5);
    expect(new Set(res.unsealKeys).size).toBe(5);
    expect(res.operatorToken.length).toBeGreaterThanOrEqual(32);
    expect(await codeOf(() => initCustodian({ dataDir, shareFile: world.shares[0], keyFile: keyFile(world.custodians[0]!) }))).toBe('ALREADY_INITIALISED');

    // No secret is on disk in the clear: not the share, not the signing key, not the token, not K's pieces.
    const secrets = [world.shares[0]!.share, world.custodians[0]!.secretKey, res.operatorToken, ...res.unsealKeys];
    for (const f of readdirSync(dataDir)) {
      const bytes = readFileSync(join(dataDir, f));
      for (const s of secrets) {
        expect(bytes.includes(Buffer.from(s, 'utf8'))).toBe(false);
        if (/^[0-9a-f]+$/.test(s)) expect(bytes.includes(Buffer.from(s, 'hex'))).toBe(false);
      }
    }
    expect(existsSync(join(dataDir, 'dev-unseal-keys.json'))).toBe(false);
  });

  it('validates the share against its commitments and the key file against itself', async () => {
    const badShare = { ...world.shares[0]!, share: world.shares[1]!.share };
    expect(await codeOf(() => initCustodian({ dataDir: tempDir(), shareFile: badShare, keyFile: keyFile(world.custodians[0]!) }))).toBe('BAD_SHARE');
    expect(await codeOf(() => initCustodian({ dataDir: tempDir(), shareFile: { junk: true }, keyFile: keyFile(world.custodians[0]!) }))).toBe('BAD_FORMAT');
    const mismatched = { ...keyFile(world.custodians[0]!), publicKey: keyPair().publicKey };
    expect(await codeOf(() => initCustodian({ dataDir: tempDir(), shareFile: world.shares[0], keyFile: mismatched }))).toBe('BAD_KEY_FILE');
    expect(await codeOf(() => initCustodian({ dataDir: tempDir(), shareFile: world.shares[0], keyFile: keyFile(world.custodians[0]!), unsealThreshold: 6 }))).toBe('BAD_OPTIONS');
    expect(await codeOf(() => initCustodian({ dataDir: tempDir(), shareFile: world.shares[0], keyFile: keyFile(world.custodians[0]!), policy: { courts: 'x' } as never }))).toBe('BAD_POLICY');
  });

  it('refuses to start on a data dir that was never initialised', () => {
    expect(() => createCustodian({ dataDir: tempDir(), coordinatorUrl: standIn.url })).toThrow(/init/);
  });

  it('refuses a bad callWindowSeconds or outboxGraceMs with BAD_OPTIONS, before opening the store', async () => {
    const dataDir = tempDir();
    await initCustodian({ dataDir, shareFile: world.shares[0], keyFile: keyFile(world.custodians[0]!) });
    const junk = [-1, 1.5, Number.NaN, Infinity, 2 ** 31, '5000' as unknown as number, null as unknown as number];
    for (const outboxGraceMs of junk) {
      expect(await codeOf(async () => createCustodian({ dataDir, coordinatorUrl: standIn.url, outboxGraceMs })), String(outboxGraceMs)).toBe('BAD_OPTIONS');
    }
    for (const callWindowSeconds of [-1, Number.NaN, Infinity]) {
      expect(await codeOf(async () => createCustodian({ dataDir, coordinatorUrl: standIn.url, callWindowSeconds })), String(callWindowSeconds)).toBe('BAD_OPTIONS');
    }
    // The edges are accepted (and the store, opened once each, is closed again).
    for (const outboxGraceMs of [0, 2 ** 31 - 1]) await createCustodian({ dataDir, coordinatorUrl: standIn.url, outboxGraceMs }).close();
  });
});

describe('seal and unseal', () => {
  it('starts sealed; only health and seal routes answer; everything else is 503 sealed', async () => {
    const dataDir = tempDir();
    const init = await initCustodian({ dataDir, shareFile: world.shares[1], keyFile: keyFile(world.custodians[1]!) });
    const c = await startSealed(dataDir);
    // A sealed node cannot do its job: 503, with what it is and why (docs/PROTOCOL.md §9.5).
    const health = await call(`${c.url}/health`);
    expect(health.status).toBe(503);
    expect(health.json).toMatchObject({ ok: false, sealed: true, custodian: 2, storage: { state: 'ok', lastFailure: null } });
    // The console asks with sealedok=1: sealed is all that is wrong, so 200 (anything else than '1' is the default).
    expect(await call(`${c.url}/health?sealedok=1`)).toMatchObject({ status: 200, json: { ok: false, sealed: true } });
    expect((await call(`${c.url}/health?sealedok=true`)).status).toBe(503);
    expect((await call(`${c.url}/v1/seal`)).json).toEqual({ sealed: true, progress: 0, threshold: 3, shares: 5 });
    const gated = [
      call(`${c.url}/v1/operator/queue`, { token: init.operatorToken }),
      call(`${c.url}/v1/seal`, { method: 'POST', token: init.operatorToken }),
      call(`${c.url}/witness/v1/add-checkpoint`, { text: 'old 0\n\nx\n' }),
      call(`${c.url}/v1/warrants`, { json: {} }),
      call(`${c.url}/v1/partials`, { json: {} }),
      call(`${c.url}/no/such/route`),
    ];
    for (const r of await Promise.all(gated)) {
      expect(r.status).toBe(503);
      expect(r.json.error.code).toBe('sealed');
    }
  });

  it('unseals with k keys one per call, reports progress, re-seals on the operator\'s word, and restarts sealed', async () => {
    const dataDir = tempDir();
    const init = await initCustodian({ dataDir, shareFile: world.shares[2], keyFile: keyFile(world.custodians[2]!) });
    let c = await startSealed(dataDir);
    const keys = init.unsealKeys;
    expect((await call(`${c.url}/v1/unseal`, { json: { key: keys[4] } })).json).toMatchObject({ sealed: true, progress: 1 });
    // the same key twice counts once
    expect((await call(`${c.url}/v1/unseal`, { json: { key: keys[4] } })).json).toMatchObject({ sealed: true, progress: 1 });
    expect((await call(`${c.url}/v1/unseal`, { json: { key: keys[1] } })).json).toMatchObject({ sealed: true, progress: 2 });
    const done = await call(`${c.url}/v1/unseal`, { json: { key: keys[2] } });
    expect(done.json).toMatchObject({ sealed: false, progress: 0 });
    expect((await call(`${c.url}/health`)).json.sealed).toBe(false);
    expect((await call(`${c.url}/v1/operator/queue`, { token: init.operatorToken })).status).toBe(200);

    // operator calls need the token
    expect((await call(`${c.url}/v1/seal`, { method: 'POST' })).json.error.code).toBe('UNAUTHENTICATED');
    expect((await call(`${c.url}/v1/seal`, { method: 'POST', token: 'x'.repeat(43) })).status).toBe(401);
    const sealed = await call(`${c.url}/v1/seal`, { method: 'POST', token: init.operatorToken });
    expect(sealed.json).toMatchObject({ sealed: true, progress: 0 });
    expect((await call(`${c.url}/v1/operator/queue`, { token: init.operatorToken })).status).toBe(503);
    expect(await call(`${c.url}/health`)).toMatchObject({ status: 503, json: { ok: false, sealed: true } });

    // unsealed again, then a restart comes back sealed
    for (const k of keys.slice(0, 3)) await call(`${c.url}/v1/unseal`, { json: { key: k } });
    expect((await call(`${c.url}/health`)).json.sealed).toBe(false);
    await c.close();
    c = await startSealed(dataDir);
    expect((await call(`${c.url}/health`)).json.sealed).toBe(true);
  });

  it('wrong keys and junk: a clear error, not counted, the node stays sealed', async () => {
    const dataDir = tempDir();
    const init = await initCustodian({ dataDir, shareFile: world.shares[3], keyFile: keyFile(world.custodians[3]!) });
    const other = await initCustodian({ dataDir: tempDir(), shareFile: world.shares[3], keyFile: keyFile(world.custodians[3]!) });
    const c = await startSealed(dataDir);
    for (const junk of ['', 'zz', 'a'.repeat(66).toUpperCase(), '00'.repeat(33), 12, null]) {
      const r = await call(`${c.url}/v1/unseal`, { json: { key: junk } });
      expect(r.status).toBe(400);
      expect(['BAD_UNSEAL_KEY', 'BAD_REQUEST']).toContain(r.json.error.code);
    }
    // two right keys, then one from another node's split: refused on its own, not counted
    await call(`${c.url}/v1/unseal`, { json: { key: init.unsealKeys[0] } });
    await call(`${c.url}/v1/unseal`, { json: { key: init.unsealKeys[1] } });
    for (const k of other.unsealKeys) {
      const wrong = await call(`${c.url}/v1/unseal`, { json: { key: k } });
      expect(wrong.status).toBe(400);
      expect(wrong.json.error.code).toBe('WRONG_UNSEAL_KEY');
      expect(wrong.text).not.toContain(k);
      expect(wrong.text).not.toContain(world.shares[3]!.share);
    }
    expect((await call(`${c.url}/v1/seal`)).json).toEqual({ sealed: true, progress: 2, threshold: 3, shares: 5 });
    expect((await call(`${c.url}/v1/operator/queue`, { token: init.operatorToken })).status).toBe(503);
    // and the third right key opens it
    expect((await call(`${c.url}/v1/unseal`, { json: { key: init.unsealKeys[4] } })).json.sealed).toBe(false);
  });

  it('junk interleaved with the officers\' keys cannot keep the node sealed: each junk key is refused alone, the real k unseal it', async () => {
    const dataDir = tempDir();
    const init = await initCustodian({ dataDir, shareFile: world.shares[0], keyFile: keyFile(world.custodians[0]!) });
    const c = await startSealed(dataDir);
    const real = init.unsealKeys;
    // Well-formed junk: random y under every x, including the x of each real key (the old "conflict" attack).
    const junkFor = (x: number) => randomBytes(32).toString('hex') + x.toString(16).padStart(2, '0');
    const xs = real.map((k) => parseInt(k.slice(64), 16));
    const junk = [...xs, 1, 2, 255].map(junkFor);
    const submit = (key: string) => call(`${c.url}/v1/unseal`, { json: { key } });
    // The attacker goes first: k − 1 junk keys, then junk between every real one.
    for (const j of junk.slice(0, 2)) expect((await submit(j)).json.error.code).toBe('WRONG_UNSEAL_KEY');
    expect((await call(`${c.url}/v1/seal`)).json.progress).toBe(0);
    for (const [n, key] of real.slice(0, 3).entries()) {
      const r = await submit(key);
      expect(r.status, r.text).toBe(200);
      if (n < 2) {
        expect(r.json).toMatchObject({ sealed: true, progress: n + 1 });
        for (const j of junk) {
          const refused = await submit(j);
          expect(refused.status).toBe(400);
          expect(refused.json.error.code).toBe('WRONG_UNSEAL_KEY');
        }
        expect((await call(`${c.url}/v1/seal`)).json.progress).toBe(n + 1);
      } else expect(r.json).toMatchObject({ sealed: false });
    }
    expect((await call(`${c.url}/health`)).json.sealed).toBe(false);
  });

  it('a node initialised before unseal key commitments: unseals with its keys, stores them, and from then on refuses junk', async () => {
    const dataDir = tempDir();
    const init = await initCustodian({ dataDir, shareFile: world.shares[1], keyFile: keyFile(world.custodians[1]!) });
    // As the old init left it: no commitments (migration 5 adds the column as NULL).
    const db = new Database(join(dataDir, 'custodian.db'));
    db.prepare('UPDATE node SET unseal_commitments = NULL').run();
    db.close();
    const c = await startSealed(dataDir);
    const keys = init.unsealKeys;
    // Without commitments a key is counted unchecked, as before: a wrong one fails the store and resets.
    const other = await initCustodian({ dataDir: tempDir(), shareFile: world.shares[1], keyFile: keyFile(world.custodians[1]!) });
    await call(`${c.url}/v1/unseal`, { json: { key: keys[0] } });
    await call(`${c.url}/v1/unseal`, { json: { key: other.unsealKeys[0] } });
    expect((await call(`${c.url}/v1/unseal`, { json: { key: keys[1] } })).json.error.code).toBe('UNSEAL_FAILED');
    for (const k of keys.slice(0, 3)) await call(`${c.url}/v1/unseal`, { json: { key: k } });
    expect((await call(`${c.url}/health`)).json.sealed).toBe(false);
    const stored = new Database(join(dataDir, 'custodian.db'), { readonly: true });
    expect((stored.prepare('SELECT length(unseal_commitments) AS n FROM node').get() as { n: number }).n).toBe(255 * 32);
    stored.close();
    // Sealed again: junk is refused alone, and the officers who did not take part (keys 4 and 5) still unseal it.
    await call(`${c.url}/v1/seal`, { method: 'POST', token: init.operatorToken });
    expect((await call(`${c.url}/v1/unseal`, { json: { key: other.unsealKeys[1] } })).json.error.code).toBe('WRONG_UNSEAL_KEY');
    for (const k of [keys[3], keys[4]]) expect((await call(`${c.url}/v1/unseal`, { json: { key: k } })).status).toBe(200);
    expect((await call(`${c.url}/v1/unseal`, { json: { key: other.unsealKeys[2] } })).json.error.code).toBe('WRONG_UNSEAL_KEY');
    expect((await call(`${c.url}/v1/unseal`, { json: { key: keys[0] } })).json.sealed).toBe(false);
  });

  it('dev mode keeps the unseal keys on disk and unseals at start', async () => {
    const dataDir = tempDir();
    await initCustodian({ dataDir, shareFile: world.shares[4], keyFile: keyFile(world.custodians[4]!), dev: true });
    expect(existsSync(join(dataDir, 'dev-unseal-keys.json'))).toBe(true);
    const c = await startSealed(dataDir);
    const health = await call(`${c.url}/health`);
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ ok: true, sealed: false, custodian: 5, storage: { state: 'ok' }, outbox: { pending: 0, oldestSeconds: null } });
  });
});
