/**
 * The log store's tables, numbered migrations applied once each (docs/PROTOCOL.md §2).
 * Tracked in `log_migrations`, apart from the coordinator's own, so both can
 * live in one database file and evolve independently.
 */
import { migrate } from '@custodes/shared/service';
import type { DB } from '@custodes/shared/service';

const LOG_MIGRATIONS: readonly string[] = [
  `
  -- One row per leaf: its exact bytes and SHA256(0x00 ‖ leaf) (RFC 9162 §2.1.1).
  CREATE TABLE log_entries (
    idx INTEGER PRIMARY KEY,
    leaf BLOB NOT NULL,
    hash BLOB NOT NULL CHECK (length(hash) = 32)
  );
  -- Inclusion proof by leaf hash (docs/PROTOCOL.md §4.3); replaced in migration 2.
  CREATE INDEX log_entries_by_hash ON log_entries(hash);

  -- Every complete subtree of level ≥ 1, keyed by its position in creation
  -- order (golang.org/x/mod/sumdb/tlog StoredHashIndex), so inserts append.
  CREATE TABLE log_nodes (
    id INTEGER PRIMARY KEY,
    hash BLOB NOT NULL CHECK (length(hash) = 32)
  );

  -- Published checkpoints: the signed note grows as cosignatures arrive.
  CREATE TABLE log_checkpoints (
    size INTEGER PRIMARY KEY,
    root BLOB NOT NULL CHECK (length(root) = 32),
    note TEXT NOT NULL,
    published_at INTEGER NOT NULL
  );
  `,
  `
  -- A global index on 32-byte hashes takes random inserts: each append batch
  -- dirtied ~one index page per leaf (4 KB of WAL per entry). Grouping the
  -- hashes by 4096-leaf chunk keeps each batch's inserts within one small
  -- region; a lookup probes each chunk in turn (O(n / 4096) index probes).
  DROP INDEX log_entries_by_hash;
  CREATE INDEX log_entries_by_chunk_hash ON log_entries(idx >> 12, hash);
  `,
];

/** Applies the log's migrations in order, each once, each in one transaction (shared/service/migrations.ts). */
function migrateLog(db: DB): void {
  migrate(db, 'log_migrations', LOG_MIGRATIONS);
}

export { LOG_MIGRATIONS, migrateLog };
