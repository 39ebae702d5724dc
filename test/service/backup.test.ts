/**
 * Online backups and checked restores of a SQLite database
 * (shared/src/service/backup.ts, docs/PROTOCOL.md §9.6).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { backupDatabase, checkBackup, installDatabase, openDatabase, tryLockDataDir, withDataDirHeld } from '@custodes/shared/service';

const root = mkdtempSync(join(tmpdir(), 'custodes-backup-unit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const dir = () => {
  const d = join(root, `d${n++}`);
  mkdirSync(d);
  return d;
};

/** A WAL database whose every transaction adds a row and raises `total` by its value: consistent iff they agree. */
function ledger(file: string) {
  const db = openDatabase(file, ['CREATE TABLE rows (v INTEGER NOT NULL); CREATE TABLE total (id INTEGER PRIMARY KEY CHECK (id = 1), t INTEGER NOT NULL); INSERT INTO total VALUES (1, 0)']);
  const add = db.transaction((v: number) => {
    db.prepare('INSERT INTO rows (v) VALUES (?)').run(v);
    db.prepare('UPDATE total SET t = t + ? WHERE id = 1').run(v);
  });
  return { db, add };
}

const SHAPE = { tables: ['rows', 'total'], migrations: { migrations: 1 } };

describe('backupDatabase', () => {
  it('copies a database that is being written, consistent, 0600, WAL folded in', async () => {
    const d = dir();
    const { db, add } = ledger(join(d, 'live.db'));
    for (let i = 1; i <= 500; i++) add(i);
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        add(++written);
        await new Promise((r) => setImmediate(r));
      }
    })();
    const out = join(d, 'copy.db');
    await backupDatabase(join(d, 'live.db'), out);
    writing = false;
    await writer;
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const copy = checkBackup(out, SHAPE);
    const sum = copy.prepare('SELECT COALESCE(SUM(v), 0) FROM rows').pluck().get() as number;
    expect(copy.prepare('SELECT t FROM total').pluck().get()).toBe(sum);
    expect(sum).toBeGreaterThanOrEqual((500 * 501) / 2);
    expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
    copy.close();
    expect(readdirSync(d).filter((f) => f.startsWith('copy.db'))).toEqual(['copy.db']);
    await expect(backupDatabase(join(d, 'live.db'), out)).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    await expect(backupDatabase(join(d, 'none.db'), join(d, 'x.db'))).rejects.toMatchObject({ code: 'NO_DATABASE' });
    db.close();
  });
});

describe('checkBackup', () => {
  it('refuses junk, a truncated file, another kind of database, gaps and newer versions', async () => {
    const d = dir();
    writeFileSync(join(d, 'junk'), 'SQLite format 3\0 but not really');
    expect(() => checkBackup(join(d, 'junk'), SHAPE)).toThrow(expect.objectContaining({ code: 'BAD_BACKUP' }));
    expect(() => checkBackup(join(d, 'missing'), SHAPE)).toThrow(expect.objectContaining({ code: 'BAD_BACKUP' }));
    const { db, add } = ledger(join(d, 'a.db'));
    for (let i = 0; i < 2000; i++) add(i);
    db.close();
    await backupDatabase(join(d, 'a.db'), join(d, 'good.db'));
    checkBackup(join(d, 'good.db'), SHAPE).close();
    const bytes = readFileSync(join(d, 'good.db'));
    writeFileSync(join(d, 'cut.db'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    expect(() => checkBackup(join(d, 'cut.db'), SHAPE)).toThrow(expect.objectContaining({ code: 'BAD_BACKUP' }));
    expect(() => checkBackup(join(d, 'good.db'), { ...SHAPE, tables: ['node'] })).toThrow(expect.objectContaining({ code: 'BAD_BACKUP', message: expect.stringContaining('no table node') }));
    expect(() => checkBackup(join(d, 'good.db'), { tables: [], migrations: { migrations: 0 } })).toThrow(expect.objectContaining({ code: 'NEWER_BACKUP' }));
    const gap = new Database(join(d, 'good.db'));
    gap.prepare('INSERT INTO migrations (version, applied_at) VALUES (3, 0)').run();
    gap.close();
    expect(() => checkBackup(join(d, 'good.db'), { tables: [], migrations: { migrations: 5 } })).toThrow(expect.objectContaining({ code: 'BAD_BACKUP', message: expect.stringContaining('not 1..n') }));
  });
});

describe('installDatabase and withDataDirHeld', () => {
  it('refuses while the directory is held; keeps the replaced database with what its WAL held', async () => {
    const d = dir();
    const { db, add } = ledger(join(d, 'node.db'));
    add(1);
    await backupDatabase(join(d, 'node.db'), join(root, `b${n}.db`));
    add(2); // committed to the WAL only, after the backup
    const lock = tryLockDataDir(d)!;
    await expect(withDataDirHeld(d, () => 'ran')).rejects.toMatchObject({ code: 'DATA_DIR_IN_USE' });
    lock.release();
    db.pragma('wal_autocheckpoint = 0');
    add(3);
    expect(existsSync(join(d, 'node.db-wal'))).toBe(true);
    // Still open, as a crashed service leaves it: its last commit is only in the WAL.
    const { replaced } = await withDataDirHeld(d, () => installDatabase(d, 'node.db', join(root, `b${n}.db`)));
    db.close();
    expect(replaced).toMatch(/node\.db\.replaced-/);
    const old = new Database(replaced!, { readonly: true });
    expect(old.prepare('SELECT t FROM total').pluck().get()).toBe(6);
    old.close();
    const now = new Database(join(d, 'node.db'), { readonly: true });
    expect(now.prepare('SELECT t FROM total').pluck().get()).toBe(1);
    now.close();
    expect(statSync(join(d, 'node.db')).mode & 0o777).toBe(0o600);
    expect(readdirSync(d).filter((f) => f.includes('restoring'))).toEqual([]);
  });
});
