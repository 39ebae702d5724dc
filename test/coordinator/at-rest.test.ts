/**
 * The coordinator keeps no plaintext at rest (docs/PROTOCOL.md §3.7, "Results sealed
 * to the investigator"): after a real request completes, the bytes of its
 * plaintexts occur nowhere in the database files, while the investigator opens
 * them from the API. And a database from an earlier version, whose results
 * table holds raw plaintexts, is sealed in place by migration 4.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, openSealedResult, randomSecretKey, resultContext, schnorrPublicKey } from '@custodes/shared/crypto';
import type { Label } from '@custodes/shared/crypto';
import { openDatabase } from '@custodes/shared/service';
import type { RealCluster } from '../../scripts/src/cluster/in-process';
import { COORDINATOR_MIGRATIONS, migrateCoordinator } from '../../services/coordinator/src/repo/migrations';
import { api, openResultBytes, waitFor } from './helpers/cluster';
import { courtSignedWarrant, finishedRequest, startTestCluster, submitSealed } from './helpers/real';

const now = () => Math.floor(Date.now() / 1000);

/** 64 distinctive ASCII bytes (so their UTF-8 is themselves), fresh per run. */
function distinctive(tag: string): string {
  const text = `CUSTODES-AT-REST-${tag}-${randomBytes(16).toString('hex')}`;
  return text.padEnd(64, '#').slice(0, 64);
}

/** The database file with its -wal and -shm, each read whole (absent files are empty). */
function databaseBytes(file: string): Buffer[] {
  return [file, `${file}-wal`, `${file}-shm`].map((f) => (existsSync(f) ? readFileSync(f) : Buffer.alloc(0)));
}

function occursIn(files: Buffer[], needle: Uint8Array): boolean {
  return files.some((b) => b.indexOf(Buffer.from(needle)) >= 0);
}

describe('a completed request leaves no plaintext in the coordinator database', () => {
  let cluster: RealCluster;

  beforeAll(async () => {
    cluster = await startTestCluster({ origin: 'custodes.test/at-rest', tempPrefix: 'at-rest' });
  });

  afterAll(async () => {
    await cluster?.close();
  });

  it('the database and its WAL hold the sealed results only; the investigator opens them from the API', async () => {
    const url = cluster.coordinatorUrl;
    const token = cluster.tokens[0]!;
    const investigator = cluster.investigators[0]!;
    const w = courtSignedWarrant(cluster.court, investigator, 'CASE-AT-REST');
    expect((await api(url, 'POST', '/v1/warrants', w, token)).status).toBe(201);
    await waitFor('approval by the custodians', async () => {
      const s = await api(url, 'GET', `/v1/warrants/${w.warrant.id}`, undefined, token);
      return s.body.status === 'approved' ? true : undefined;
    });
    const texts = [distinctive('A'), distinctive('B')];
    for (const t of texts) expect(Buffer.byteLength(t)).toBe(64);
    const label = (k: number): Label => ({ subject: 'subject-a', category: 'messages', time: now() - 86_400 - k });
    const requestId = await submitSealed({ url, token, investigator, groupKey: cluster.groupKey, warrantId: w.warrant.id, texts, label });
    expect(await finishedRequest(url, token, requestId)).toMatchObject({ state: 'complete', done: 2, failed: 0 });

    const results = await api(url, 'GET', `/v1/requests/${requestId}/results`, undefined, token);
    expect(results.status).toBe(200);
    for (const r of results.body.results) expect(Object.keys(r).sort()).toEqual(['envelopeId', 'sealed']);

    const files = databaseBytes(join(cluster.coordinatorDir, 'coordinator.db'));
    for (const t of texts) {
      const bytes = Buffer.from(t, 'utf8');
      expect(occursIn(files, bytes), `plaintext ${t} is in the database files`).toBe(false);
      expect(occursIn(files, Buffer.from(bytes.toString('base64'))), `base64 of ${t} is in the database files`).toBe(false);
      expect(occursIn(files, bytes.subarray(0, 32)), `half of ${t} is in the database files`).toBe(false);
    }
    // The files read are the ones written: each sealed ciphertext is in them.
    for (const r of results.body.results) expect(occursIn(files, Buffer.from(r.sealed.ciphertext))).toBe(true);

    const opened = openResultBytes(results.body, requestId, investigator.secretKey).map((b) => Buffer.from(b).toString('utf8'));
    expect(opened).toEqual(texts);
    // Another investigator's key opens none of them.
    const other = bytesToHex(randomSecretKey());
    expect(() => openResultBytes(results.body, requestId, other)).toThrow(/does not open/);
  });
});

describe('migration 4 seals the raw plaintexts an earlier version stored', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'custodes-at-rest-migrate-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('each row is sealed to its request investigator, the plaintext column is gone, and neither its bytes nor those of rows purged before are in the files', () => {
    const file = join(dir, 'coordinator.db');
    const sk = randomSecretKey();
    const investigator = bytesToHex(schnorrPublicKey(sk));
    const texts = [distinctive('OLD1'), distinctive('OLD2')];
    const envelopeIds = ['aa'.repeat(32), 'bb'.repeat(32)];
    const requestId = '6f0c1d0e-7a4b-4c8e-9d2f-0123456789ab';

    // A database as versions 1–3 left it, with two raw plaintexts in results.
    const old = openDatabase(file, []);
    old.exec('CREATE TABLE coordinator_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    COORDINATOR_MIGRATIONS.slice(0, 3).forEach((sql, i) => {
      old.exec(sql as string);
      old.prepare('INSERT INTO coordinator_migrations (version, applied_at) VALUES (?, ?)').run(i + 1, now());
    });
    old.pragma('foreign_keys = OFF');
    old.prepare("INSERT INTO requests (id, warrant_id, investigator, state, created_at) VALUES (?, 'w', ?, 'complete', ?)").run(requestId, investigator, now());
    texts.forEach((t, k) => {
      old.prepare('INSERT INTO results (request_id, position, envelope_id, plaintext, failure) VALUES (?, ?, ?, ?, NULL)').run(requestId, k, envelopeIds[k], Buffer.from(t));
    });
    old.prepare("INSERT INTO results (request_id, position, envelope_id, plaintext, failure) VALUES (?, 2, ?, NULL, 'NOT_ENOUGH_PARTIALS')").run(requestId, 'cc'.repeat(32));
    // A request purged under the old version: its rows deleted, their bytes left in free space.
    const purged = distinctive('PURGED');
    old.prepare("INSERT INTO requests (id, warrant_id, investigator, state, created_at, purged) VALUES ('r-purged', 'w', ?, 'complete', ?, 1)").run(investigator, now());
    for (let k = 0; k < 50; k++) {
      old.prepare('INSERT INTO results (request_id, position, envelope_id, plaintext, failure) VALUES (?, ?, ?, ?, NULL)').run('r-purged', k, 'dd'.repeat(32), Buffer.from(purged.repeat(64)));
    }
    old.pragma('wal_checkpoint(TRUNCATE)');
    old.prepare("DELETE FROM results WHERE request_id = 'r-purged'").run();
    old.pragma('wal_checkpoint(TRUNCATE)');
    old.close();
    // The controls: both were in the file.
    expect(occursIn(databaseBytes(file), Buffer.from(texts[0]!))).toBe(true);
    expect(occursIn(databaseBytes(file), Buffer.from(purged))).toBe(true);

    const db = openDatabase(file, []);
    migrateCoordinator(db);
    const columns = (db.prepare('PRAGMA table_info(results)').all() as { name: string }[]).map((c) => c.name);
    expect(columns).toContain('sealed');
    expect(columns).not.toContain('plaintext');
    const rows = db.prepare('SELECT position, envelope_id, sealed, failure FROM results ORDER BY position').all() as { position: number; envelope_id: string; sealed: string | null; failure: string | null }[];
    expect(rows.map((r) => r.failure)).toEqual([null, null, 'NOT_ENOUGH_PARTIALS']);
    expect(rows[2]!.sealed).toBeNull();
    for (const [k, t] of texts.entries()) {
      const opened = openSealedResult(JSON.parse(rows[k]!.sealed!), sk, resultContext(requestId, envelopeIds[k]!));
      expect(Buffer.from(opened!).toString('utf8')).toBe(t);
    }
    // Migrating again is a no-op.
    migrateCoordinator(db);
    db.close();
    const files = databaseBytes(file);
    for (const t of [...texts, purged]) expect(occursIn(files, Buffer.from(t)), `plaintext ${t} is still in the files`).toBe(false);
  });
});
