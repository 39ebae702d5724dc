/**
 * Online backups and checked restores of a service's SQLite database
 * (docs/PROTOCOL.md §9.6, Backups and restores).
 *
 * A backup runs beside the running service: it opens the database read-only
 * and copies it with SQLite's online backup API (better-sqlite3
 * `db.backup()`, whose first step copies every page in one read transaction:
 * one consistent state of the file, WAL included; in WAL mode the service's
 * writes are not blocked meanwhile). It needs neither the
 * data-directory lock (./lock.ts) nor a write lock, so the service is not
 * disturbed. The copy is made 0600 under a temporary name and renamed into
 * place, so a file at `out` is always a complete backup.
 *
 * A restore refuses while a service holds the directory (it takes the lock
 * itself for the duration), checks the backup before it replaces anything
 * (`checkBackup`, plus the service's own identity check), and keeps the
 * replaced database, with its WAL, beside it under a `.replaced-<time>` name.
 */
import { chmodSync, closeSync, existsSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { CustodesError } from '../errors';
import type { DB } from './db';
import { tryLockDataDir } from './lock';

// ## Errors

export type BackupCode = 'BAD_BACKUP' | 'NEWER_BACKUP' | 'OLDER_BACKUP' | 'WRONG_NODE' | 'DATA_DIR_IN_USE' | 'NO_DATABASE' | 'OUTPUT_EXISTS';

export class BackupError extends CustodesError<BackupCode> {}

// ## Backup

/**
 * Copies the database `file` to `out` (which must not exist), consistent and
 * online, mode 0600. Returns the size of the copy in bytes.
 */
export async function backupDatabase(file: string, out: string): Promise<{ bytes: number }> {
  if (typeof file !== 'string' || file.length === 0) throw new TypeError('file must be a path');
  if (typeof out !== 'string' || out.length === 0) throw new TypeError('out must be a path');
  if (!existsSync(file)) throw new BackupError('NO_DATABASE', `${file} does not exist`);
  if (existsSync(out)) throw new BackupError('OUTPUT_EXISTS', `${out} already exists; refusing to overwrite it`);
  const partial = `${out}.partial-${process.pid}`;
  // Created 0600 before SQLite writes a byte of it: the copy holds sealed secrets and hashed tokens.
  closeSync(openSync(partial, 'wx', 0o600));
  const source = new Database(file, { readonly: true, fileMustExist: true });
  try {
    await source.backup(partial);
    // The copy keeps the source's WAL mode in its header; a rollback journal lets it be opened
    // read-only where it lies (checkBackup) without creating -wal and -shm files beside it.
    const copy = new Database(partial, { fileMustExist: true });
    try {
      copy.pragma('journal_mode = DELETE');
    } finally {
      copy.close();
    }
    chmodSync(partial, 0o600);
    if (existsSync(out)) throw new BackupError('OUTPUT_EXISTS', `${out} appeared while the backup ran; refusing to overwrite it`);
    renameSync(partial, out);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    source.close();
  }
  return { bytes: statSync(out).size };
}

// ## Checking a backup

/** What a backup of one kind of database must hold. */
export interface BackupShape {
  /** Tables that must exist. */
  tables: readonly string[];
  /** Migration tables and the highest version this code knows of each: a backup may be older (start migrates it), never newer. */
  migrations: Readonly<Record<string, number>>;
}

/**
 * Opens the backup `file` read-only and checks it: an SQLite database whose
 * `PRAGMA integrity_check` is ok, holding every table of `shape`, with each
 * migration set applied from version 1 without gaps and no further than this
 * code knows. Returns the open database (the caller checks identity, then
 * closes it); throws BackupError otherwise.
 */
export function checkBackup(file: string, shape: BackupShape): DB {
  if (!existsSync(file)) throw new BackupError('BAD_BACKUP', `${file} does not exist`);
  let db: DB;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new BackupError('BAD_BACKUP', `${file} cannot be opened as a database: ${(err as Error).message}`);
  }
  try {
    let verdict: { integrity_check: string }[];
    try {
      verdict = db.pragma('integrity_check') as { integrity_check: string }[];
    } catch (err) {
      throw new BackupError('BAD_BACKUP', `${file} is not a usable SQLite database: ${(err as Error).message}`);
    }
    const problems = verdict.map((r) => r.integrity_check).filter((r) => r !== 'ok');
    if (problems.length > 0) throw new BackupError('BAD_BACKUP', `${file} fails its integrity check: ${problems[0]}`);
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]));
    for (const t of [...shape.tables, ...Object.keys(shape.migrations)]) {
      if (!tables.has(t)) throw new BackupError('BAD_BACKUP', `${file} has no table ${t}: not a backup of this kind of database`);
    }
    for (const [table, known] of Object.entries(shape.migrations)) {
      const versions = db.prepare(`SELECT version FROM ${table} ORDER BY version`).pluck().all() as number[];
      if (versions.length === 0 || versions.some((v, i) => v !== i + 1)) throw new BackupError('BAD_BACKUP', `${file}: the versions in ${table} are not 1..n`);
      const latest = versions[versions.length - 1]!;
      if (latest > known) throw new BackupError('NEWER_BACKUP', `${file} is at version ${latest} of ${table}, newer than this code (${known}): restore it with the release that wrote it`);
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

// ## Restoring

/**
 * `read` applied to the database `file` opened read-only, or undefined if
 * there is none or it cannot be read (which may be why it is being restored).
 */
export function readExisting<T>(file: string, read: (db: DB) => T | undefined): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return read(db);
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * Holds `dataDir` for a restore: `run` is called with the lock held, and the
 * lock is released afterwards. Refused while a service (or another restore)
 * holds the directory.
 */
export async function withDataDirHeld<T>(dataDir: string, run: () => Promise<T> | T): Promise<T> {
  if (!existsSync(dataDir)) throw new BackupError('NO_DATABASE', `${dataDir} does not exist`);
  const lock = tryLockDataDir(dataDir);
  if (!lock) throw new BackupError('DATA_DIR_IN_USE', `${dataDir} is in use by a running service: stop it before restoring`);
  try {
    return await run();
  } finally {
    lock.release();
  }
}

/**
 * Puts the checked backup `from` in place as `dataDir/dbName` (call with the
 * directory held, `withDataDirHeld`). The backup is copied (SQLite's backup
 * API, 0600) to a staging file, which `prepare`, if given, may change; then a
 * database already there is checkpointed (its WAL folded in, so that no WAL of
 * it is left to be replayed onto the restored file) and moved aside with its
 * -wal and -shm as `<dbName>.replaced-<time>`, and the staged copy renamed
 * into place. Returns where the replaced database went, or null.
 */
export async function installDatabase(dataDir: string, dbName: string, from: string, prepare?: (db: DB) => void): Promise<{ replaced: string | null }> {
  if (basename(dbName) !== dbName) throw new TypeError('dbName must be a file name');
  const target = join(dataDir, dbName);
  const staged = join(dataDir, `${dbName}.restoring-${process.pid}`);
  const removeStaged = () => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${staged}${suffix}`, { force: true });
  };
  removeStaged();
  closeSync(openSync(staged, 'wx', 0o600));
  let replaced: string | null = null;
  try {
    const source = new Database(from, { readonly: true, fileMustExist: true });
    try {
      await source.backup(staged);
    } finally {
      source.close();
    }
    if (prepare) {
      const db = new Database(staged, { fileMustExist: true });
      try {
        prepare(db);
        db.pragma('wal_checkpoint(TRUNCATE)');
      } finally {
        db.close();
      }
    }
    chmodSync(staged, 0o600);
    if (existsSync(target)) {
      const current = new Database(target, { fileMustExist: true });
      try {
        current.pragma('wal_checkpoint(TRUNCATE)');
      } finally {
        current.close();
      }
      replaced = `${target}.replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      for (const suffix of ['', '-wal', '-shm']) if (existsSync(`${target}${suffix}`)) renameSync(`${target}${suffix}`, `${replaced}${suffix}`);
    } else {
      for (const suffix of ['-wal', '-shm']) rmSync(`${target}${suffix}`, { force: true });
    }
    renameSync(staged, target);
  } catch (err) {
    removeStaged();
    throw err;
  }
  removeStaged(); // an empty -wal or -shm of the staging file
  return { replaced };
}
