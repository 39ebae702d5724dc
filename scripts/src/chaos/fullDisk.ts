/**
 * A full disk, as one SQLite database sees it: a second connection fills the
 * file past a service's cap (`--max-db-mb`, SQLite max_page_count), leaving no
 * free page, so the service's next write that needs a page fails with
 * SQLITE_FULL exactly as on a full disk; deleting the filler frees its pages
 * inside the file, as freeing space on a disk does. Used by the chaos harness
 * (`--full-disks N`) and test/hardening/storage.test.ts.
 */
import Database from 'better-sqlite3';

export interface Filler {
  /** Deletes the filler: its pages are free inside the file again, for the service to use. */
  free(): void;
  close(): void;
}

const BLOB = Buffer.alloc(256 * 1024, 7);

/** Grows the database `file` past `capBytes` with a filler table; throws if a free page is left. */
export function fillPast(file: string, capBytes: number): Filler {
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 10000');
    db.exec('CREATE TABLE IF NOT EXISTS test_filler (id INTEGER PRIMARY KEY, b BLOB NOT NULL)');
    const insert = db.prepare('INSERT INTO test_filler (b) VALUES (?)');
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const size = () => (db.pragma('page_count', { simple: true }) as number) * pageSize;
    const freePages = () => db.pragma('freelist_count', { simple: true }) as number;
    // IMMEDIATE: the write lock first (waiting out the service's own writes), so reading the sizes
    // below cannot make the transaction stale for writing (SQLITE_BUSY without a wait, in WAL mode).
    db.transaction(() => {
      // Free pages are used first (a file filled and freed before has many), then the file grows past the cap.
      while (freePages() > 0 || size() <= capBytes + BLOB.length) insert.run(BLOB);
    }).immediate();
    if (freePages() !== 0) throw new Error(`${file}: ${freePages()} free pages left after filling`);
  } catch (err) {
    db.close();
    throw err;
  }
  return {
    free: () => void db.transaction(() => db.exec('DELETE FROM test_filler')).immediate(),
    close: () => {
      if (db.open) db.close();
    },
  };
}
