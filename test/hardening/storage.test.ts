/**
 * A full disk (docs/PROTOCOL.md §1 goal 9: bad conditions never crash or corrupt,
 * and no accepted data is lost). A node whose storage is full refuses the
 * calls it cannot store with 503 STORAGE_FULL, keeps serving reads and
 * /health, and catches up once space is freed — without a restart.
 *
 * The disk fills for real in SQLite's terms: each service runs with a cap on
 * its database (`maxDatabaseBytes`, SQLite's max_page_count, which fails a
 * write exactly as a full disk does), and a second connection fills the file
 * up to the cap; deleting the filler frees pages inside the file, as freeing
 * space on a disk does. SQLite can still write into free space inside pages
 * it has, so small writes may pass for a while: the tests keep calling until
 * a refusal shows, as a real node on a full disk would behave.
 */
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyLog } from '@custodes/auditor';
import type { Label } from '@custodes/shared/crypto';
import type { RealCluster } from '../../scripts/src/cluster/in-process';
import { fillPast } from '../../scripts/src/chaos/fullDisk';
import type { Filler } from '../../scripts/src/chaos/fullDisk';
import { checkLeaves } from '../../scripts/src/fuzz/integrity';
import { api, openResults, waitFor } from '../coordinator/helpers/cluster';
import { courtSignedWarrant, finishedRequest, startTestCluster, submitSealed } from '../coordinator/helpers/real';

const ORIGIN = 'custodes.test/storage';
const MB = 1024 * 1024;
/** Each service's database cap: well above what these tests store. */
const CAP = 16 * MB;
const now = () => Math.floor(Date.now() / 1000);
const label = (k: number): Label => ({ subject: 'subject-a', category: 'messages', time: now() - 86_400 - k });

let cluster: RealCluster | undefined;
const fillers: Filler[] = [];
let restoreWrites: (() => void) | undefined;

afterEach(async () => {
  restoreWrites?.();
  restoreWrites = undefined;
  for (const f of fillers.splice(0)) f.close();
  await cluster?.close();
  cluster = undefined;
});

/** Fills `file` past CAP (scripts/src/chaos/fullDisk.ts); closed after the test. */
function fill(file: string): Filler {
  const filler = fillPast(file, CAP);
  fillers.push(filler);
  return filler;
}

/**
 * From now on, while `full` is set, every write statement on the database
 * `file` fails as on a full disk (SQLITE_FULL), in this process: exactly when
 * the disk fills, however little each write needs.
 */
function failWritesTo(file: string): { full: boolean; refused: number } {
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as { run: (...args: unknown[]) => unknown };
  probe.close();
  const run = proto.run;
  const state = { full: false, refused: 0 };
  const target = resolve(file);
  proto.run = function (this: { database: { name: string } }, ...args: unknown[]) {
    if (state.full && resolve(this.database.name) === target) {
      state.refused++;
      throw new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
    }
    return run.apply(this, args);
  };
  restoreWrites = () => {
    proto.run = run;
  };
  return state;
}

async function start(coordinator: Record<string, unknown> = {}): Promise<RealCluster> {
  cluster = await startTestCluster({
    origin: ORIGIN,
    tempPrefix: 'storage',
    coordinator: { maxDatabaseBytes: CAP, cosignDelayMs: 50, ...coordinator },
    custodian: { maxDatabaseBytes: CAP, outboxGraceMs: 200 },
  });
  return cluster;
}

async function approved(c: RealCluster, warrantId: string, approvals = 5): Promise<void> {
  const token = c.tokens[0]!;
  await waitFor(`${approvals} approvals of ${warrantId}`, async () => {
    const s = await api(c.coordinatorUrl, 'GET', `/v1/warrants/${warrantId}`, undefined, token);
    return s.body.status === 'approved' && s.body.approvals >= approvals ? true : undefined;
  });
}

/** The whole log, checked by the auditor from public data, with no leaf twice. */
async function auditClean(c: RealCluster): Promise<{ type: string; [k: string]: unknown }[]> {
  const url = c.coordinatorUrl;
  await waitFor('the log to settle under a checkpoint', async () => {
    const size = (await api(url, 'GET', '/health')).body.size as number;
    const cp = await api<string>(url, 'GET', '/log/v1/checkpoint');
    return Number(cp.body.split('\n')[1]) === size ? true : undefined;
  });
  const verified = await verifyLog({ logUrl: url });
  expect(verified.findings).toEqual([]);
  expect(checkLeaves(verified.leaves).problems).toEqual([]);
  return verified.leaves.map((b) => JSON.parse(Buffer.from(b).toString('utf8')) as { type: string; [k: string]: unknown });
}

describe('a full disk', () => {
  it('at the coordinator: every call is accepted for good or refused 503 STORAGE_FULL; reads go on; it catches up once space is freed', async () => {
    const c = await start();
    const url = c.coordinatorUrl;
    const token = c.tokens[0]!;
    const investigator = c.investigators[0]!;
    const request = (warrantId: string, texts: string[]) => submitSealed({ url, token, investigator, groupKey: c.groupKey, warrantId, texts, label });

    // Before: one warrant and request through, whose results stay readable.
    const first = courtSignedWarrant(c.court, investigator, 'CASE-1');
    expect((await api(url, 'POST', '/v1/warrants', first, token)).status).toBe(201);
    await approved(c, first.warrant.id);
    const firstRequest = await request(first.warrant.id, ['before the disk filled']);
    expect(await finishedRequest(url, token, firstRequest)).toMatchObject({ state: 'complete', done: 1 });

    const filler = fill(join(c.coordinatorDir, 'coordinator.db'));
    const accepted: string[] = [];
    let refused: { warrant: ReturnType<typeof courtSignedWarrant>; body: { error: { code: string; message: string } } } | undefined;
    for (let k = 0; k < 40 && !refused; k++) {
      const w = courtSignedWarrant(c.court, investigator, `CASE-FULL-${k}`);
      const r = await api(url, 'POST', '/v1/warrants', w, token);
      if (r.status === 201) accepted.push(w.warrant.id);
      else {
        expect(r.status).toBe(503);
        refused = { warrant: w, body: r.body };
      }
    }
    expect(refused, 'a warrant refused while the disk is full').toBeDefined();
    expect(refused!.body.error.code).toBe('STORAGE_FULL');
    expect(refused!.body.error.message).toMatch(/storage is full/);
    // The refused warrant was not stored: unknown to its investigator, not in the log.
    expect((await api(url, 'GET', `/v1/warrants/${refused!.warrant.warrant.id}`, undefined, token)).status).toBe(404);

    // Reads go on: health (which says the storage is full: 503, docs/PROTOCOL.md §9.5), the public log, results already there.
    const health = await api(url, 'GET', '/health');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ ok: false, storage: { state: 'full', lastFailure: { code: 'STORAGE_FULL' }, recoveredAt: null } });
    expect((await api(url, 'GET', '/log/v1/checkpoint')).status).toBe(200);
    const before = await api(url, 'GET', `/v1/requests/${firstRequest}/results`, undefined, token);
    expect(before.status).toBe(200);
    expect(openResults(before.body, firstRequest, investigator.secretKey)).toEqual(['before the disk filled']);

    // Space is freed: no restart; the refused warrant goes in on a plain retry, and every
    // warrant accepted while the disk was full is delivered, approved and can be used.
    filler.free();
    expect((await api(url, 'POST', '/v1/warrants', refused!.warrant, token)).status).toBe(201);
    const recovered = await api(url, 'GET', '/health');
    expect(recovered.status).toBe(200);
    expect(recovered.body).toMatchObject({ ok: true, storage: { state: 'ok', lastFailure: { code: 'STORAGE_FULL' }, recoveredAt: expect.any(Number) } });
    for (const id of [...accepted, refused!.warrant.warrant.id]) await approved(c, id);
    const last = await request(refused!.warrant.warrant.id, ['after space was freed']);
    expect(await finishedRequest(url, token, last)).toMatchObject({ state: 'complete', done: 1 });
    const results = await api(url, 'GET', `/v1/requests/${last}/results`, undefined, token);
    expect(openResults(results.body, last, investigator.secretKey)).toEqual(['after space was freed']);

    const entries = await auditClean(c);
    for (const id of [first.warrant.id, ...accepted, refused!.warrant.warrant.id]) {
      expect(entries.filter((e) => e.type === 'warrant' && e.warrantId === id)).toHaveLength(1);
    }
  });

  it('at two custodians: the request completes from the other three; both catch up, cosign and approve once space is freed', async () => {
    const c = await start();
    const url = c.coordinatorUrl;
    const token = c.tokens[0]!;
    const investigator = c.investigators[0]!;
    const full = [1, 2].map((i) => fill(join(c.nodes[i - 1]!.dataDir, 'custodian.db')));
    const coordinatorDb = new Database(join(c.coordinatorDir, 'coordinator.db'), { readonly: true });
    fillers.push({ free: () => undefined, close: () => coordinatorDb.close() });
    const deliveryErrors = (custodian: number) =>
      (coordinatorDb.prepare('SELECT last_error AS e FROM deliveries WHERE custodian = ?').all(custodian) as { e: string | null }[]).map((r) => r.e);

    // Warrants until a delivery to each full node has been refused for storage (small
    // writes may fit in free space inside pages for a while), each approved by the other three.
    const warrants: string[] = [];
    for (let k = 0; k < 20 && ![1, 2].every((i) => deliveryErrors(i).includes('STORAGE_FULL')); k++) {
      const w = courtSignedWarrant(c.court, investigator, `CASE-NODE-${k}`);
      expect((await api(url, 'POST', '/v1/warrants', w, token)).status).toBe(201);
      await approved(c, w.warrant.id, 3);
      warrants.push(w.warrant.id);
    }
    expect(deliveryErrors(1)).toContain('STORAGE_FULL');
    expect(deliveryErrors(2)).toContain('STORAGE_FULL');
    // Each full node says so on /health (503, docs/PROTOCOL.md §9.5); the others are fine.
    for (const i of [1, 2]) {
      const h = await api(c.nodes[i - 1]!.url, 'GET', '/health');
      expect(h.status).toBe(503);
      expect(h.body).toMatchObject({ ok: false, sealed: false, storage: { state: 'full', lastFailure: { code: 'STORAGE_FULL' } } });
    }
    expect((await api(c.nodes[2]!.url, 'GET', '/health')).body).toMatchObject({ ok: true, storage: { state: 'ok', lastFailure: null } });

    const last = warrants[warrants.length - 1]!;
    const requestId = await submitSealed({ url, token, investigator, groupKey: c.groupKey, warrantId: last, texts: ['while two nodes were full'], label });
    expect(await finishedRequest(url, token, requestId)).toMatchObject({ state: 'complete', done: 1 });
    const results = await api(url, 'GET', `/v1/requests/${requestId}/results`, undefined, token);
    expect(openResults(results.body, requestId, investigator.secretKey)).toEqual(['while two nodes were full']);

    for (const f of full) f.free();
    for (const id of warrants) await approved(c, id, 5);
    // Both nodes witness the whole log again.
    const size = (await api(url, 'GET', '/health')).body.size as number;
    for (const i of [1, 2]) {
      await waitFor(`custodian ${i} to cosign the whole log`, async () => {
        const cp = await api<string>(c.nodes[i - 1]!.url, 'GET', '/witness/v1/checkpoint');
        return cp.status === 200 && Number(cp.body.split('\n')[1]) >= size ? true : undefined;
      });
    }
    for (const i of [1, 2]) {
      expect((await api(c.nodes[i - 1]!.url, 'GET', '/health')).body).toMatchObject({ ok: true, storage: { state: 'ok', recoveredAt: expect.any(Number) } });
    }
    const entries = await auditClean(c);
    for (const id of warrants) {
      const approvals = entries.filter((e) => e.type === 'approval' && e.warrantId === id).map((e) => e.custodian);
      expect(new Set(approvals)).toEqual(new Set([1, 2, 3, 4, 5]));
    }
  });

  it('while a request is releasing at the coordinator: its workflow pauses and runs again, without a restart, and completes', async () => {
    const lines: string[] = [];
    const c = await start({ logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }) });
    const url = c.coordinatorUrl;
    const token = c.tokens[0]!;
    const investigator = c.investigators[0]!;
    const w = courtSignedWarrant(c.court, investigator, 'CASE-STALL');
    expect((await api(url, 'POST', '/v1/warrants', w, token)).status).toBe(201);
    await approved(c, w.warrant.id);
    const disk = failWritesTo(join(c.coordinatorDir, 'coordinator.db'));

    // The request is stored and acknowledged (202); the disk fills before its workflow's first commit.
    const texts = ['one', 'two', 'three'];
    const requestId = await submitSealed({ url, token, investigator, groupKey: c.groupKey, warrantId: w.warrant.id, texts, label });
    disk.full = true;
    await waitFor('the workflow to stop on the full disk', () => (lines.some((l) => l.includes('decryption workflow stopped; it runs again after a pause')) ? true : undefined));
    expect(disk.refused).toBeGreaterThan(0);
    const stalled = await api(url, 'GET', `/v1/requests/${requestId}`, undefined, token);
    expect(stalled.body.state).not.toMatch(/^(complete|failed)$/);
    // Not blamed on the witnesses: the request did not fail QUORUM_UNAVAILABLE for want of stored cosignatures.
    expect(lines.some((l) => l.includes('storing a cosignature failed'))).toBe(true);

    disk.full = false;
    expect(await finishedRequest(url, token, requestId, 30_000)).toMatchObject({ state: 'complete', done: 3, failed: 0 });
    const results = await api(url, 'GET', `/v1/requests/${requestId}/results`, undefined, token);
    expect(openResults(results.body, requestId, investigator.secretKey)).toEqual(texts);
    const entries = await auditClean(c);
    expect(entries.filter((e) => e.type === 'decryption-complete' && e.requestId === requestId)).toHaveLength(1);
  });
});
