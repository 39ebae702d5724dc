/**
 * The standalone witness's state (docs/PROTOCOL.md §4.3, §7.10): per log
 * origin, the last tree head it cosigned and the note it serves. SQLite, WAL,
 * synchronous=FULL (shared/src/service/db.ts): a cosignature is only returned
 * after its head is stored, so a restart never rolls the witness back.
 */
import type { DB } from '@custodes/shared/service';
import { openDatabase } from '@custodes/shared/service';

const MIGRATIONS = [
  // 1: one row per witnessed log: the head it cosigned last and the note it serves
  `
  CREATE TABLE heads (
    origin TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    cosigned_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
];

interface StoredHead {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
  readonly note: string;
  readonly cosignedAt: number;
}

class WitnessStore {
  readonly #db: DB;
  readonly #get;
  readonly #put;

  constructor(file: string) {
    this.#db = openDatabase(file, MIGRATIONS);
    this.#get = this.#db.prepare('SELECT origin, size, root, note, cosigned_at FROM heads WHERE origin = ?');
    this.#put = this.#db.prepare(`INSERT INTO heads (origin, size, root, note, cosigned_at) VALUES (@origin, @size, @root, @note, @cosignedAt)
      ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root, note = excluded.note, cosigned_at = excluded.cosigned_at`);
  }

  head(origin: string): StoredHead | undefined {
    const r = this.#get.get(origin) as { origin: string; size: number; root: Buffer; note: string; cosigned_at: number } | undefined;
    return r && { origin: r.origin, size: r.size, root: new Uint8Array(r.root), note: r.note, cosignedAt: r.cosigned_at };
  }

  setHead(head: StoredHead): void {
    this.#put.run({ ...head, root: Buffer.from(head.root) });
  }

  /** Runs `fn` in one transaction: the check and the store of a new head are one step. */
  tx<T>(fn: () => T): T {
    return this.#db.transaction(fn)();
  }

  close(): void {
    this.#db.close();
  }
}

export { WitnessStore, type StoredHead };
