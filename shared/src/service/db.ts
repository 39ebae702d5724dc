/**
 * SQLite (better-sqlite3 12) with WAL and numbered migrations (docs/PROTOCOL.md §2).
 * Every multi-row change goes through `db.transaction(fn)`.
 */
import Database from 'better-sqlite3';
import type { Database as DB } from 'better-sqlite3';
import { migrate, type Migration } from './migrations';
import { makePrivateFile } from './perms';

export type { DB };

export interface OpenOptions {
  /**
   * A cap on the database file, in bytes (SQLite's max_page_count): a write
   * that would grow it further fails exactly as on a full disk (SQLITE_FULL,
   * answered 503 STORAGE_FULL by `errorHandler`), while reads go on and pages
   * freed inside the file (e.g. by a purge) are used again. Applied after the
   * migrations; a cap below the current size holds the file at that size.
   * Unset: no cap beyond the disk's.
   */
  maxBytes?: number;
}

/**
 * Opens `file` (':memory:' allowed; created 0600 if absent), sets WAL and applies `migrations` in
 * order, each once, tracked in the table `migrations` (./migrations.ts).
 */
export function openDatabase(file: string, migrations: readonly Migration[], opts: OpenOptions = {}): DB {
  makePrivateFile(file); // 0600 from the start, and so its -wal and -shm (shared/src/service/perms.ts)
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  try {
    migrate(db, 'migrations', migrations);
  } catch (err) {
    db.close();
    throw err;
  }
  if (opts.maxBytes !== undefined) capSize(db, opts.maxBytes);
  return db;
}

/** Sets the cap of `OpenOptions.maxBytes` on an open database (pages of its page size, rounded down, at least one). */
export function capSize(db: DB, maxBytes: number): void {
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw new RangeError('maxBytes must be a positive integer');
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.pragma(`max_page_count = ${Math.max(1, Math.floor(maxBytes / pageSize))}`);
}

/** A storage failure as the API reports it: a full disk or cap, an I/O error, a busy database. */
export interface StorageProblem {
  status: 503;
  code: 'STORAGE_FULL' | 'STORAGE_ERROR' | 'STORAGE_BUSY';
  message: string;
}

/**
 * Classifies an error thrown by better-sqlite3 (`SqliteError`, whose `code` is
 * SQLite's extended result code name). Each rolls back the transaction that
 * met it; every call between services is idempotent (docs/PROTOCOL.md §5), so the
 * caller repeats it. Null for any other error.
 */
export function storageProblem(err: unknown): StorageProblem | null {
  if (!(err instanceof Error) || err.name !== 'SqliteError') return null;
  const code = (err as Error & { code?: unknown }).code;
  if (typeof code !== 'string') return null;
  if (code === 'SQLITE_FULL') {
    return { status: 503, code: 'STORAGE_FULL', message: "this node's storage is full: the call was not completed (retry later)" };
  }
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED' || code.startsWith('SQLITE_LOCKED_')) {
    return { status: 503, code: 'STORAGE_BUSY', message: "this node's database is busy: the call was not completed (retry)" };
  }
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY_')) {
    return { status: 503, code: 'STORAGE_ERROR', message: "this node cannot write to its storage: the call was not completed (retry later)" };
  }
  return null;
}
