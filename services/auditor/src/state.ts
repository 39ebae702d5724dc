/**
 * The auditor's memory (SQLite, docs/PROTOCOL.md §2): the entries of the last
 * verified checkpoint, every checkpoint it accepted, conflicting checkpoints
 * kept as evidence, and which findings were already reported. Repository
 * layer: SQL only, plain records out.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, WebhookSender, type DB, type WebhookOptions } from '@custodes/shared/service';
import type { Finding } from './findings';

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE entries (idx INTEGER PRIMARY KEY, data BLOB NOT NULL);
   CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, root BLOB NOT NULL, note TEXT NOT NULL, accepted_at INTEGER NOT NULL);
   CREATE TABLE conflicts (id INTEGER PRIMARY KEY AUTOINCREMENT, size INTEGER NOT NULL, root BLOB NOT NULL, note TEXT NOT NULL, source TEXT NOT NULL, seen_at INTEGER NOT NULL);
   CREATE TABLE reported (idx INTEGER NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL, reported_at INTEGER NOT NULL, PRIMARY KEY (idx, code, message));`,
];

export interface StoredCheckpoint {
  readonly size: number;
  readonly root: Uint8Array;
  readonly note: string;
}

/** File name of the state database inside `--state DIR`. */
export const STATE_FILE = 'auditor.sqlite';

export class AuditorState {
  readonly #db: DB;

  private constructor(db: DB) {
    this.#db = db;
  }

  /** Opens (creating) `<dir>/auditor.sqlite`, or an in-memory state without `dir`. */
  static open(dir?: string): AuditorState {
    if (dir === undefined) return new AuditorState(openDatabase(':memory:', MIGRATIONS));
    mkdirSync(dir, { recursive: true });
    return new AuditorState(openDatabase(join(dir, STATE_FILE), MIGRATIONS));
  }

  /** Number of stored entries (= size of the last accepted checkpoint). */
  get size(): number {
    // Not COUNT(*), which visits every entry: `accept` stores exactly
    // entries [0, size), so the count is MAX(idx) + 1, one primary-key probe.
    const row = this.#db.prepare('SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM entries').get() as { n: number };
    return row.n;
  }

  /** Every stored leaf, in log order. */
  leaves(): Uint8Array[] {
    const rows = this.#db.prepare('SELECT data FROM entries ORDER BY idx').all() as { data: Buffer }[];
    return rows.map((r) => new Uint8Array(r.data));
  }

  leaf(index: number): Uint8Array | undefined {
    const row = this.#db.prepare('SELECT data FROM entries WHERE idx = ?').get(index) as { data: Buffer } | undefined;
    return row ? new Uint8Array(row.data) : undefined;
  }

  /** The largest accepted checkpoint. */
  latest(): StoredCheckpoint | undefined {
    const row = this.#db.prepare('SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT 1').get() as
      | { size: number; root: Buffer; note: string }
      | undefined;
    return row ? { size: row.size, root: new Uint8Array(row.root), note: row.note } : undefined;
  }

  /**
   * Accepts a checkpoint and the leaves [this.size, checkpoint.size) in one
   * transaction (docs/PROTOCOL.md §2: multi-row changes are atomic).
   */
  accept(checkpoint: StoredCheckpoint, newLeaves: readonly Uint8Array[], now: number): void {
    const tx = this.#db.transaction(() => {
      const start = this.size;
      if (start + newLeaves.length !== checkpoint.size) throw new RangeError(`expected ${checkpoint.size - start} new leaves, got ${newLeaves.length}`);
      const insert = this.#db.prepare('INSERT INTO entries (idx, data) VALUES (?, ?)');
      newLeaves.forEach((leaf, i) => insert.run(start + i, Buffer.from(leaf)));
      this.#db
        .prepare('INSERT OR IGNORE INTO checkpoints (size, root, note, accepted_at) VALUES (?, ?, ?, ?)')
        .run(checkpoint.size, Buffer.from(checkpoint.root), checkpoint.note, now);
    });
    tx.immediate();
  }

  /** Keeps a checkpoint that conflicts with what was verified, as evidence. */
  recordConflict(checkpoint: StoredCheckpoint, source: string, now: number): void {
    this.#db
      .prepare('INSERT INTO conflicts (size, root, note, source, seen_at) VALUES (?, ?, ?, ?, ?)')
      .run(checkpoint.size, Buffer.from(checkpoint.root), checkpoint.note, source, now);
  }

  conflicts(): (StoredCheckpoint & { source: string })[] {
    const rows = this.#db.prepare('SELECT size, root, note, source FROM conflicts ORDER BY id').all() as {
      size: number;
      root: Buffer;
      note: string;
      source: string;
    }[];
    return rows.map((r) => ({ size: r.size, root: new Uint8Array(r.root), note: r.note, source: r.source }));
  }

  /** Records `findings` as reported; returns those not reported before, in order. */
  markReported(findings: readonly Finding[], now: number): Finding[] {
    const insert = this.#db.prepare('INSERT OR IGNORE INTO reported (idx, code, message, reported_at) VALUES (?, ?, ?, ?)');
    const tx = this.#db.transaction(() => findings.filter((f) => insert.run(f.index, f.code, f.message, now).changes > 0));
    return tx.immediate();
  }

  /** The webhook outbox in this state's database (docs/PROTOCOL.md §9.7): undelivered events wait here across runs. */
  webhooks(options: WebhookOptions): WebhookSender {
    return new WebhookSender(this.#db, options);
  }

  close(): void {
    this.#db.close();
  }
}
