/**
 * The one migration runner of every service's SQLite database (docs/PROTOCOL.md §2:
 * numbered migrations, append, never edit).
 *
 * A set of migrations is tracked in its own table, one row per applied
 * version (1-based: migrations[0] is version 1). A table per set, not
 * `PRAGMA user_version`, because one file may hold several sets that evolve
 * independently (the coordinator's tables and its log's share a database),
 * and because every database written so far records its versions so.
 *
 * Each migration runs in one IMMEDIATE transaction together with its version
 * row, so a failing migration leaves neither its changes nor its row, and two
 * processes opening one fresh file cannot both apply it (the check that it is
 * still due runs inside the write lock).
 */
import type { DB } from './db';

// ## Migrations

/** A migration step: SQL, or code for a step SQL cannot do (both run inside the transaction). */
export type MigrationStep = string | ((db: DB) => void);

/** A migration with the special handling some need. */
export interface MigrationSpec {
  readonly up: MigrationStep;
  /**
   * The step rewrites or deletes secrets at rest, whose old bytes must not
   * stay in the file: it runs with `secure_delete` on (SQLite zeroes deleted
   * content only then), and after its commit the file is VACUUMed (pages freed
   * earlier without it are rewritten) and the WAL checkpointed and truncated
   * (it keeps old page images). VACUUM cannot run inside a transaction.
   */
  readonly scrub?: boolean;
}

export type Migration = MigrationStep | MigrationSpec;

/** The database holds versions this code does not know: it was written by a newer release. */
export class NewerDatabaseError extends Error {
  override readonly name = 'NewerDatabaseError';
  constructor(
    readonly table: string,
    readonly databaseVersion: number,
    readonly codeVersion: number,
  ) {
    super(
      `the database is at version ${databaseVersion} of ${table}, newer than this code (version ${codeVersion}): ` +
        'run the release that wrote it, or restore a backup taken before the upgrade',
    );
  }
}

// ## Runner

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

const spec = (m: Migration): MigrationSpec => (typeof m === 'object' ? m : { up: m });

/**
 * Applies `migrations` to `db` in order, each once, tracking them in `table`.
 * Throws NewerDatabaseError, before changing anything, if `table` records a
 * version beyond `migrations.length`. Idempotent.
 */
export function migrate(db: DB, table: string, migrations: readonly Migration[]): void {
  if (typeof table !== 'string' || !IDENTIFIER.test(table)) throw new TypeError('table must be a lower-case SQL identifier');
  if (!Array.isArray(migrations)) throw new TypeError('migrations must be an array');
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`);
  const latest = db.prepare(`SELECT COALESCE(MAX(version), 0) FROM ${table}`).pluck();
  const applied = db.prepare(`SELECT 1 FROM ${table} WHERE version = ?`);
  const record = db.prepare(`INSERT INTO ${table} (version, applied_at) VALUES (?, ?)`);
  const refuseNewer = (): void => {
    const version = latest.get() as number;
    if (version > migrations.length) throw new NewerDatabaseError(table, version, migrations.length);
  };
  refuseNewer();

  const apply = db.transaction((version: number, up: MigrationStep): boolean => {
    refuseNewer();
    if (applied.get(version) !== undefined) return false;
    if (typeof up === 'string') db.exec(up);
    else up(db);
    record.run(version, Math.floor(Date.now() / 1000));
    return true;
  });

  migrations.forEach((m, i) => {
    const version = i + 1;
    if (applied.get(version) !== undefined) return;
    const { up, scrub = false } = spec(m);
    if (!scrub) {
      apply.immediate(version, up);
      return;
    }
    const before = db.pragma('secure_delete', { simple: true }) as number;
    db.pragma('secure_delete = ON');
    let ran: boolean;
    try {
      ran = apply.immediate(version, up);
    } finally {
      db.pragma(`secure_delete = ${before ? 'ON' : 'OFF'}`);
    }
    if (!ran) return;
    db.exec('VACUUM');
    db.pragma('wal_checkpoint(TRUNCATE)');
  });
}
