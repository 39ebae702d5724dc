/**
 * The one migration runner (shared/src/service/migrations.ts): order, once
 * each, a failing migration rolls back whole, a database newer than the code
 * is refused before anything changes, and a scrub migration leaves no freed
 * bytes in the file.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, NewerDatabaseError, openDatabase, type DB, type Migration } from '@custodes/shared/service';

let dir: string;
let db: DB;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'custodes-migrations-'));
  db = new Database(join(dir, 'm.db'));
  db.pragma('journal_mode = WAL');
});
afterEach(() => {
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

const versions = (table: string): number[] => db.prepare(`SELECT version FROM ${table} ORDER BY version`).pluck().all() as number[];
const tables = (): string[] =>
  db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];

describe('migrate', () => {
  it('applies migrations in order, numbered from 1, each once', () => {
    const order: string[] = [];
    const steps: Migration[] = [
      'CREATE TABLE a (x INTEGER)',
      (d) => {
        order.push('two');
        d.exec('INSERT INTO a VALUES (2)');
      },
      { up: 'INSERT INTO a VALUES (3)' },
    ];
    migrate(db, 'test_migrations', steps);
    expect(versions('test_migrations')).toEqual([1, 2, 3]);
    expect(db.prepare('SELECT x FROM a').pluck().all()).toEqual([2, 3]);
    migrate(db, 'test_migrations', steps);
    expect(order).toEqual(['two']);
    expect(db.prepare('SELECT x FROM a').pluck().all()).toEqual([2, 3]);
  });

  it('applies only the migrations a database does not have yet', () => {
    migrate(db, 'test_migrations', ['CREATE TABLE a (x INTEGER)']);
    migrate(db, 'test_migrations', ['CREATE TABLE a (x INTEGER)', 'INSERT INTO a VALUES (1)']);
    expect(versions('test_migrations')).toEqual([1, 2]);
    expect(db.prepare('SELECT x FROM a').pluck().all()).toEqual([1]);
  });

  it('keeps sets in one file apart', () => {
    migrate(db, 'one_migrations', ['CREATE TABLE a (x INTEGER)']);
    migrate(db, 'two_migrations', ['CREATE TABLE b (x INTEGER)', 'CREATE TABLE c (x INTEGER)']);
    expect(versions('one_migrations')).toEqual([1]);
    expect(versions('two_migrations')).toEqual([1, 2]);
  });

  it('rolls a failing migration back whole, keeps the ones before, and retries it next time', () => {
    const failing: Migration[] = [
      'CREATE TABLE a (x INTEGER)',
      'CREATE TABLE b (x INTEGER); INSERT INTO a VALUES (1); INSERT INTO nowhere VALUES (1)',
      'CREATE TABLE c (x INTEGER)',
    ];
    expect(() => migrate(db, 'test_migrations', failing)).toThrow(/no such table: nowhere/);
    expect(versions('test_migrations')).toEqual([1]);
    expect(tables()).not.toContain('b');
    expect(tables()).not.toContain('c');
    expect(db.prepare('SELECT COUNT(*) FROM a').pluck().get()).toBe(0);

    const thrown = [
      'CREATE TABLE a (x INTEGER)',
      (d: DB) => {
        d.exec('CREATE TABLE b (x INTEGER)');
        throw new Error('step failed');
      },
    ];
    expect(() => migrate(db, 'test_migrations', thrown)).toThrow('step failed');
    expect(tables()).not.toContain('b');

    migrate(db, 'test_migrations', ['CREATE TABLE a (x INTEGER)', 'CREATE TABLE b (x INTEGER)']);
    expect(versions('test_migrations')).toEqual([1, 2]);
  });

  it('refuses a database newer than the code, before changing anything', () => {
    migrate(db, 'test_migrations', ['CREATE TABLE a (x INTEGER)', 'CREATE TABLE b (x INTEGER)', 'CREATE TABLE c (x INTEGER)']);
    db.exec('DELETE FROM test_migrations WHERE version = 2');
    let err: unknown;
    try {
      migrate(db, 'test_migrations', ['CREATE TABLE a (x INTEGER)', 'CREATE TABLE b2 (x INTEGER)']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NewerDatabaseError);
    expect((err as NewerDatabaseError).message).toBe(
      'the database is at version 3 of test_migrations, newer than this code (version 2): ' +
        'run the release that wrote it, or restore a backup taken before the upgrade',
    );
    expect(err).toMatchObject({ table: 'test_migrations', databaseVersion: 3, codeVersion: 2 });
    // Version 2 was missing and due, yet nothing ran.
    expect(tables()).not.toContain('b2');
    expect(versions('test_migrations')).toEqual([1, 3]);
  });

  it('openDatabase refuses a newer database and closes it', () => {
    const file = join(dir, 'newer.db');
    openDatabase(file, ['CREATE TABLE a (x INTEGER)', 'CREATE TABLE b (x INTEGER)']).close();
    expect(() => openDatabase(file, ['CREATE TABLE a (x INTEGER)'])).toThrow(NewerDatabaseError);
    // The same code as wrote it still opens it.
    openDatabase(file, ['CREATE TABLE a (x INTEGER)', 'CREATE TABLE b (x INTEGER)']).close();
  });

  it('scrubs: secure_delete during the step, then VACUUM and a truncated WAL, leave no deleted bytes in the files', () => {
    const secret = 'SCRUB-ME-'.repeat(40);
    const file = join(dir, 'm.db');
    db.exec('CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT)');
    for (let i = 0; i < 20; i++) db.prepare('INSERT INTO s (v) VALUES (?)').run(secret);
    db.pragma('wal_checkpoint(TRUNCATE)');
    // Freed earlier, without secure_delete: the bytes stay in free pages.
    db.exec('DELETE FROM s WHERE id > 10');
    db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = (): string => readFileSync(file).toString('latin1') + readFileSync(`${file}-wal`).toString('latin1');
    expect(bytes()).toContain(secret);

    const before = db.pragma('secure_delete', { simple: true });
    let during: unknown;
    migrate(db, 'test_migrations', [
      {
        up: (d) => {
          during = d.pragma('secure_delete', { simple: true });
          d.exec('DELETE FROM s');
        },
        scrub: true,
      },
    ]);
    expect(during).toBe(1);
    expect(db.pragma('secure_delete', { simple: true })).toBe(before);
    expect(bytes()).not.toContain(secret);
  });

  it('rejects a table name that is not a plain identifier', () => {
    expect(() => migrate(db, 'x; DROP TABLE a', [])).toThrow(TypeError);
    expect(() => migrate(db, '', [])).toThrow('table must be a lower-case SQL identifier');
  });
});
