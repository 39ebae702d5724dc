/**
 * One running service per data directory (docs/PROTOCOL.md §9.2, Storage): the
 * coordinator and each custodian hold theirs from creation to close.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { makePrivateFile } from './perms';

/** A data directory held by one running service (`tryLockDataDir`). */
export interface DataDirLock {
  release(): void;
}

/** The lock file in a data directory: empty of secrets, only ever locked. */
export const LOCK_FILE = 'service.lock';

/**
 * Holds `dir` for this service instance until `release()`, or null if another
 * instance — in this process or any other — holds it. Two coordinators on one
 * database would each keep their own view of the log in memory and could sign
 * two different checkpoints of the same size; two custodians on one replica
 * could cosign both. SQLite's own file lock does the holding (an exclusive
 * lock kept by a connection in EXCLUSIVE locking mode), so the operating
 * system drops it when the process dies, however it dies: no stale lock to
 * clear after a crash.
 */
export function tryLockDataDir(dir: string): DataDirLock | null {
  makePrivateFile(join(dir, LOCK_FILE));
  const db = new Database(join(dir, LOCK_FILE), { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // The first write takes the exclusive lock, and EXCLUSIVE mode keeps it until the connection closes.
    db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS held (id INTEGER PRIMARY KEY); COMMIT');
  } catch (err) {
    db.close();
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) return null;
    throw err;
  }
  return {
    release: () => {
      if (db.open) db.close();
    },
  };
}
