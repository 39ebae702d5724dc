/**
 * SQLite (better-sqlite3 12) with WAL and numbered migrations (DESIGN.md §2).
 * Every multi-row change goes through `db.transaction(fn)`.
 */
import Database from 'better-sqlite3';
import type { Database as DB } from 'better-sqlite3';

export type { DB };

/** Opens `file` (':memory:' allowed), sets WAL and applies `migrations` in order, each once. */
export function openDatabase(file: string, migrations: readonly string[]): DB {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec('CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const done = new Set((db.prepare('SELECT version FROM migrations').all() as { version: number }[]).map((r) => r.version));
  const apply = db.transaction((version: number, sql: string) => {
    db.exec(sql);
    db.prepare('INSERT INTO migrations (version, applied_at) VALUES (?, ?)').run(version, Math.floor(Date.now() / 1000));
  });
  migrations.forEach((sql, i) => {
    if (!done.has(i + 1)) apply(i + 1, sql);
  });
  return db;
}
