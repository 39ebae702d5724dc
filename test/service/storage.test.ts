/**
 * Storage failures as the services report them (shared/src/service/db.ts):
 * the database cap fails writes exactly as a full disk does, reads go on,
 * freed pages are used again, and the error handler answers 503 with a code
 * for storage conditions and 500 INTERNAL for anything else SQLite throws.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import express from 'express';
import { afterAll, describe, expect, it } from 'vitest';
import { capSize, errorHandler, listen, openDatabase, storageProblem } from '@custodes/shared/service';

const dir = mkdtempSync(join(tmpdir(), 'custodes-storage-'));
const servers: Server[] = [];

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(dir, { recursive: true, force: true });
});

const sqliteError = (code: string) => new Database.SqliteError(`sqlite says ${code}`, code);

describe('the database cap', () => {
  it('fails a write that would grow the file past it with SQLITE_FULL; reads go on; freed pages are used again', () => {
    const db = openDatabase(join(dir, 'capped.db'), ['CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL)'], { maxBytes: 256 * 1024 });
    const insert = db.prepare('INSERT INTO t (b) VALUES (?)');
    const blob = Buffer.alloc(16 * 1024, 1);
    let stored = 0;
    let refusal: unknown;
    for (let k = 0; k < 64 && !refusal; k++) {
      try {
        insert.run(blob);
        stored++;
      } catch (err) {
        refusal = err;
      }
    }
    expect(refusal).toBeInstanceOf(Database.SqliteError);
    expect((refusal as { code: string }).code).toBe('SQLITE_FULL');
    expect(storageProblem(refusal)).toMatchObject({ status: 503, code: 'STORAGE_FULL' });
    expect(stored).toBeGreaterThan(4);
    expect(stored).toBeLessThan(16); // 256 KiB of 16 KiB blobs, less the schema
    expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: stored });
    // Deleting frees pages inside the file: the same write fits again, under the same cap.
    db.prepare('DELETE FROM t WHERE id = (SELECT MIN(id) FROM t)').run();
    expect(() => insert.run(blob)).not.toThrow();
    db.close();
  });

  it('refuses a cap that is not a positive integer', () => {
    const db = openDatabase(':memory:', []);
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 60]) expect(() => capSize(db, bad)).toThrow(RangeError);
    db.close();
  });
});

describe('storageProblem', () => {
  it.each([
    ['SQLITE_FULL', 'STORAGE_FULL'],
    ['SQLITE_BUSY', 'STORAGE_BUSY'],
    ['SQLITE_BUSY_SNAPSHOT', 'STORAGE_BUSY'],
    ['SQLITE_LOCKED', 'STORAGE_BUSY'],
    ['SQLITE_IOERR', 'STORAGE_ERROR'],
    ['SQLITE_IOERR_FSYNC', 'STORAGE_ERROR'],
    ['SQLITE_READONLY', 'STORAGE_ERROR'],
  ])('%s is 503 %s', (sqlite, code) => {
    expect(storageProblem(sqliteError(sqlite))).toMatchObject({ status: 503, code });
  });

  it('is null for every other error, SQLite or not', () => {
    for (const e of [sqliteError('SQLITE_CONSTRAINT_UNIQUE'), sqliteError('SQLITE_CORRUPT'), new Error('SQLITE_FULL'), Object.assign(new Error('x'), { code: 'SQLITE_FULL' }), null, 'SQLITE_FULL']) {
      expect(storageProblem(e)).toBeNull();
    }
  });
});

describe('errorHandler', () => {
  it('answers a storage condition 503 with its code and Retry-After, and any other SQLite error 500 INTERNAL', async () => {
    const unexpected: { err: unknown; storage: unknown }[] = [];
    const app = express();
    app.get('/full', () => {
      throw sqliteError('SQLITE_FULL');
    });
    app.get('/constraint', () => {
      throw sqliteError('SQLITE_CONSTRAINT_UNIQUE');
    });
    app.use(errorHandler((err, _req, storage) => void unexpected.push({ err, storage })));
    const { server, port } = await listen(app, 0, '127.0.0.1');
    servers.push(server);
    const full = await fetch(`http://127.0.0.1:${port}/full`);
    expect(full.status).toBe(503);
    expect(full.headers.get('retry-after')).toBe('5');
    expect(await full.json()).toEqual({ error: { code: 'STORAGE_FULL', message: expect.stringMatching(/storage is full/) } });
    const other = await fetch(`http://127.0.0.1:${port}/constraint`);
    expect(other.status).toBe(500);
    expect(await other.json()).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
    // Both reach the operator's log, the full disk classified as such: it needs someone to act.
    expect(unexpected.map((u) => (u.storage as { code?: string } | null)?.code ?? null)).toEqual(['STORAGE_FULL', null]);
    expect(unexpected.map((u) => (u.err as { code?: string }).code)).toEqual(['SQLITE_FULL', 'SQLITE_CONSTRAINT_UNIQUE']);
  });
});
