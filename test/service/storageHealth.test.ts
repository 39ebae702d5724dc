/**
 * The storage state /health reports (shared/src/service/storageHealth.ts,
 * docs/PROTOCOL.md §9.5): a failure is recovered only by a committed change.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { StorageMonitor } from '@custodes/shared/service';

const sqliteError = (code: string) => new Database.SqliteError('storage trouble', code);

function database() {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (x INTEGER)');
  return db;
}

describe('StorageMonitor', () => {
  it('full, then ok once a transaction commits a change; a read-only transaction proves nothing', () => {
    let clock = 1000;
    const m = new StorageMonitor(() => clock);
    const db = database();
    const tx = m.observe(db, (fn) => db.transaction(fn)());
    expect(m.snapshot()).toEqual({ state: 'ok', lastFailure: null, recoveredAt: null });
    expect(() =>
      tx(() => {
        throw sqliteError('SQLITE_FULL');
      }),
    ).toThrow('storage trouble');
    expect(m.snapshot()).toEqual({ state: 'full', lastFailure: { code: 'STORAGE_FULL', at: 1000 }, recoveredAt: null });
    clock = 2000;
    tx(() => db.prepare('SELECT COUNT(*) FROM t').get());
    expect(m.snapshot().state).toBe('full');
    tx(() => db.prepare('INSERT INTO t VALUES (1)').run());
    expect(m.snapshot()).toEqual({ state: 'ok', lastFailure: { code: 'STORAGE_FULL', at: 1000 }, recoveredAt: 2000 });
  });

  it('an I/O error or a read-only file is error; busy is counted but changes nothing; other errors are not storage', () => {
    const m = new StorageMonitor();
    expect(m.failed(sqliteError('SQLITE_IOERR_WRITE'))?.code).toBe('STORAGE_ERROR');
    expect(m.snapshot().state).toBe('error');
    m.wrote();
    expect(m.failed(sqliteError('SQLITE_BUSY'))?.code).toBe('STORAGE_BUSY');
    expect(m.snapshot().state).toBe('ok');
    expect(m.failed(sqliteError('SQLITE_READONLY'))?.code).toBe('STORAGE_ERROR');
    for (const junk of [new Error('SQLITE_FULL'), null, undefined, 'SQLITE_FULL', { code: 'SQLITE_FULL' }, sqliteError('SQLITE_CONSTRAINT')]) expect(m.failed(junk)).toBeNull();
    expect(Object.fromEntries(m.failures())).toEqual({ STORAGE_ERROR: 2, STORAGE_BUSY: 1 });
  });

  it('a nested transaction does not count as a commit until the outer one commits', () => {
    const m = new StorageMonitor();
    const db = database();
    const tx = m.observe(db, (fn) => db.transaction(fn)());
    m.failed(sqliteError('SQLITE_FULL'));
    db.transaction(() => {
      tx(() => db.prepare('INSERT INTO t VALUES (1)').run());
      expect(m.snapshot().state).toBe('full');
    })();
  });
});
