/**
 * The coordinator's own tables (the log's tables belong to ../log/store).
 * Numbered migrations, applied once each, tracked apart from the log store's
 * so the two can evolve independently in one database file (docs/PROTOCOL.md §2).
 */
import { resultContext, sealToInvestigator } from '@custodes/shared/crypto';
import { migrate } from '@custodes/shared/service';
import type { DB, Migration } from '@custodes/shared/service';

/**
 * Migration 4: results are kept sealed to the requesting investigator
 * (docs/PROTOCOL.md §3.7, "Results sealed to the investigator"), never in the clear.
 * Rows written by earlier versions still hold a raw plaintext: each is sealed
 * here to its request's investigator, then the plaintext column is dropped, so
 * no code path can read or write a plaintext at rest again. It is a `scrub`
 * migration: run with secure_delete on, then VACUUM and a truncated WAL, so the
 * old bytes (of these rows, and of rows purged before, left in free pages) are
 * gone from the file too; a backup taken before the upgrade still holds them.
 */
function sealStoredPlaintexts(db: DB): void {
  db.exec('ALTER TABLE results ADD COLUMN sealed TEXT');
  const rows = db
    .prepare(
      `SELECT results.request_id, results.position, results.envelope_id, results.plaintext, requests.investigator
       FROM results JOIN requests ON requests.id = results.request_id WHERE results.plaintext IS NOT NULL`,
    )
    .all() as { request_id: string; position: number; envelope_id: string; plaintext: Buffer; investigator: string }[];
  const update = db.prepare('UPDATE results SET sealed = ?, plaintext = NULL WHERE request_id = ? AND position = ?');
  for (const r of rows) {
    const plaintext = new Uint8Array(r.plaintext);
    const sealed = sealToInvestigator(plaintext, r.investigator, resultContext(r.request_id, r.envelope_id));
    update.run(JSON.stringify(sealed), r.request_id, r.position);
    plaintext.fill(0);
    r.plaintext.fill(0);
  }
  db.exec('ALTER TABLE results DROP COLUMN plaintext');
}

/**
 * Migration 5: the warrant index of the public log (docs/PROTOCOL.md §7.3,
 * "Warrant search"): one row per (warrant, log index) of every entry that
 * belongs to a warrant, filled at append time (ledger.ts) so that
 * `GET /v1/log/warrant/:id` is one index range scan. A log written before
 * this migration is indexed here from its leaves: entries naming a warrant
 * directly, then those naming one of its requests (through `requests`, which
 * holds every request this coordinator logged). A fresh database has no log
 * tables yet (the log store creates them after this runs): nothing to index.
 */
function indexWarrantEntries(db: DB): void {
  db.exec(`
    CREATE TABLE warrant_entries (
      warrant_id TEXT NOT NULL,
      log_index INTEGER NOT NULL,
      PRIMARY KEY (warrant_id, log_index)
    ) WITHOUT ROWID;
  `);
  const hasLog = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'log_entries'").get() !== undefined;
  if (!hasLog) return;
  db.exec(`
    INSERT OR IGNORE INTO warrant_entries (warrant_id, log_index)
      SELECT json_extract(CAST(leaf AS TEXT), '$.warrantId'), idx FROM log_entries
      WHERE json_extract(CAST(leaf AS TEXT), '$.type') IN ('warrant', 'approval', 'decryption-request', 'revocation', 'unseal')
        AND json_extract(CAST(leaf AS TEXT), '$.warrantId') IS NOT NULL;
    INSERT OR IGNORE INTO warrant_entries (warrant_id, log_index)
      SELECT requests.warrant_id, log_entries.idx FROM log_entries
      JOIN requests ON requests.id = json_extract(CAST(log_entries.leaf AS TEXT), '$.requestId')
      WHERE json_extract(CAST(log_entries.leaf AS TEXT), '$.type') IN ('release', 'decryption-complete', 'misbehavior');
  `);
}

export const COORDINATOR_MIGRATIONS: readonly Migration[] = [
  `
  -- One row per logged entry that must never be logged twice (docs/PROTOCOL.md §5:
  -- "every call between services is idempotent"): warrant:<id>,
  -- request:<id>, release:<request>:<custodian>, and so on.
  CREATE TABLE entry_keys (
    key TEXT PRIMARY KEY,
    log_index INTEGER NOT NULL
  );

  CREATE TABLE registry (
    sequence INTEGER PRIMARY KEY,
    log_index INTEGER NOT NULL,
    entry_json TEXT NOT NULL
  );

  -- Investigator bearer tokens, stored as SHA-256 hex only.
  CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY,
    agency TEXT NOT NULL,
    investigator TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );

  -- Full warrants as received at intake: private (scope and subjects).
  CREATE TABLE warrants (
    id TEXT PRIMARY KEY,
    log_index INTEGER NOT NULL,
    commitment TEXT NOT NULL,
    agency TEXT NOT NULL,
    investigator TEXT NOT NULL,
    court TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    sealed_until INTEGER NOT NULL,
    max_envelopes INTEGER NOT NULL,
    warrant_json TEXT NOT NULL,
    salt TEXT NOT NULL,
    received_at INTEGER NOT NULL
  );

  -- Delivery of each warrant to each custodian (a persisted outbox).
  CREATE TABLE deliveries (
    warrant_id TEXT NOT NULL REFERENCES warrants(id),
    custodian INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'rejected')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    PRIMARY KEY (warrant_id, custodian)
  );

  CREATE TABLE decisions (
    warrant_id TEXT NOT NULL,
    custodian INTEGER NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('approve', 'deny')),
    log_index INTEGER NOT NULL,
    PRIMARY KEY (warrant_id, custodian)
  );

  CREATE TABLE revocations (
    warrant_id TEXT PRIMARY KEY,
    log_index INTEGER NOT NULL
  );

  -- Last tree size each witness has cosigned (C2SP tlog-witness "old" size).
  CREATE TABLE witnesses (
    custodian INTEGER PRIMARY KEY,
    size INTEGER NOT NULL
  );

  -- Decryption requests: a durable workflow (docs/PROTOCOL.md §5 steps 4–6).
  CREATE TABLE requests (
    id TEXT PRIMARY KEY,
    warrant_id TEXT NOT NULL REFERENCES warrants(id),
    investigator TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'logged', 'cosigned', 'releasing', 'complete', 'failed')),
    envelope_count INTEGER NOT NULL DEFAULT 0,
    entry_json TEXT,
    log_index INTEGER,
    decrypted INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    error_code TEXT,
    error_message TEXT,
    created_at INTEGER NOT NULL,
    completed_at INTEGER,
    purge_at INTEGER,
    purged INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX requests_unfinished ON requests(state) WHERE state IN ('logged', 'cosigned', 'releasing');

  CREATE TABLE request_envelopes (
    request_id TEXT NOT NULL REFERENCES requests(id),
    position INTEGER NOT NULL,
    envelope_id TEXT NOT NULL,
    envelope_json TEXT NOT NULL,
    PRIMARY KEY (request_id, position),
    UNIQUE (request_id, envelope_id)
  );

  -- Plaintexts for the requesting investigator only, until purge_at.
  CREATE TABLE results (
    request_id TEXT NOT NULL REFERENCES requests(id),
    position INTEGER NOT NULL,
    envelope_id TEXT NOT NULL,
    plaintext BLOB,
    failure TEXT,
    PRIMARY KEY (request_id, position)
  );
  `,
  `
  -- When a request first went to releasing (Unix seconds): its partials
  -- deadline counts from here, across restarts (workflow/decryption.ts).
  ALTER TABLE requests ADD COLUMN releasing_since INTEGER;
  `,
  `
  -- Indexes for the queries that ran as full scans of growing tables
  -- (test/hardening/queryPlans.test.ts). Each partial index holds only the
  -- rows its query wants, keyed on the filtered column so that the plan is a
  -- search, and in the order the query reads them (no sort step).

  -- The delivery pass (Repository.pendingDeliveries): pending rows, in
  -- rowid order, as equal keys of an index are.
  CREATE INDEX deliveries_pending ON deliveries(state) WHERE state = 'pending';

  -- The maxEnvelopes cap (Repository.requestedEnvelopes) sums a warrant's requests.
  CREATE INDEX requests_by_warrant ON requests(warrant_id);

  -- The purge (every minute and on every results read): requests not purged
  -- yet, by the time their retention ends.
  CREATE INDEX requests_to_purge ON requests(purge_at) WHERE purged = 0 AND purge_at IS NOT NULL;
  `,
  { up: sealStoredPlaintexts, scrub: true },
  indexWarrantEntries,
];

/** Applies the coordinator's migrations in order, each once, each in one transaction (shared/service/migrations.ts). */
export function migrateCoordinator(db: DB): void {
  migrate(db, 'coordinator_migrations', COORDINATOR_MIGRATIONS);
}
