/**
 * What `/health` says about a service's storage (docs/PROTOCOL.md §9.5, Health
 * and metrics): the last storage failure and whether it has been recovered
 * from, so that alerting need not grep log lines for STORAGE_FULL.
 *
 * Failures are classified by `storageProblem` (./db.ts) wherever they are met
 * (the HTTP error handler, the services' transaction wrappers). A failure is
 * recovered by the next transaction that commits a change (SQLite's
 * `total_changes()` grew): a read that happens to succeed proves nothing about
 * a full disk. STORAGE_BUSY is a lock held past the busy timeout, not a state
 * of the storage: it is counted, but leaves the state as it was.
 */
import type { DB, StorageProblem } from './db';
import { storageProblem } from './db';

// ## State

/** `ok` until a write fails; `full` (disk or cap) or `error` (I/O, read-only) until a later write commits. */
export type StorageState = 'ok' | 'full' | 'error';

export interface StorageFailure {
  code: StorageProblem['code'];
  /** Unix milliseconds. */
  at: number;
}

export interface StorageSnapshot {
  state: StorageState;
  /** The last failure that changed the state (never BUSY), or null if none since start. */
  lastFailure: StorageFailure | null;
  /** When a write last committed after that failure (Unix ms), or null while not recovered. */
  recoveredAt: number | null;
}

// ## Monitor

export class StorageMonitor {
  #state: StorageState = 'ok';
  #lastFailure: StorageFailure | null = null;
  #recoveredAt: number | null = null;
  readonly #counts = new Map<StorageProblem['code'], number>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Records `err` if it is a storage failure; returns its classification (null for any other error). */
  failed(err: unknown): StorageProblem | null {
    const problem = storageProblem(err);
    if (!problem) return null;
    this.#counts.set(problem.code, (this.#counts.get(problem.code) ?? 0) + 1);
    if (problem.code === 'STORAGE_BUSY') return problem;
    this.#state = problem.code === 'STORAGE_FULL' ? 'full' : 'error';
    this.#lastFailure = { code: problem.code, at: this.#now() };
    this.#recoveredAt = null;
    return problem;
  }

  /** A change was committed: the storage takes writes again. */
  wrote(): void {
    if (this.#state === 'ok') return;
    this.#state = 'ok';
    this.#recoveredAt = this.#now();
  }

  /**
   * Wraps `transaction` (which runs its argument in one SQLite transaction on
   * `db`) so that its outcome is recorded: a storage failure is `failed`, a
   * commit that changed rows is `wrote`. The error is rethrown unchanged.
   */
  observe(db: DB, transaction: <T>(fn: () => T) => T): <T>(fn: () => T) => T {
    const changes = db.prepare('SELECT total_changes()').pluck();
    return <T>(fn: () => T): T => {
      const before = changes.get() as number;
      let out: T;
      try {
        out = transaction(fn);
      } catch (err) {
        this.failed(err);
        throw err;
      }
      if (!db.inTransaction && (changes.get() as number) > before) this.wrote();
      return out;
    };
  }

  snapshot(): StorageSnapshot {
    return { state: this.#state, lastFailure: this.#lastFailure && { ...this.#lastFailure }, recoveredAt: this.#recoveredAt };
  }

  /** Storage failures met since start, by code (BUSY included). */
  failures(): ReadonlyMap<StorageProblem['code'], number> {
    return new Map(this.#counts);
  }
}
