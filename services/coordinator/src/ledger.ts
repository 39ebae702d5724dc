/**
 * The coordinator's view of its log: append entries exactly once (keyed, in
 * the same transaction as the caller's own rows) and publish signed
 * checkpoints. Storage is the log store's; this file only adds the rules.
 */
import { canonicalBytes, LogEntrySchema } from '@custodes/shared/records';
import type { LogEntry } from '@custodes/shared/records';
import { warrantOfEntry } from './rules/warrantIndex';
import type { Repository } from './repo/repository';

/** What the coordinator needs of the SQLite log store (./log/store). */
export interface LogStorePort {
  /** Number of leaves appended so far. */
  size(): number;
  /** Appends leaves (exact bytes) in the caller's transaction; returns the index of the first. */
  append(leaves: readonly Uint8Array[]): number;
  /** The raw bytes of leaf `index`. */
  entry(index: number): Uint8Array;
  /** The raw bytes of leaves [start, end). */
  entries(start: number, end: number): Uint8Array[];
  /** RFC 9162 consistency proof between two sizes of this tree. */
  consistencyProof(from: number, to: number): Uint8Array[];
  /** Signs and stores a checkpoint at the current size unless one exists; returns size and note. */
  publishCheckpoint(): { size: number; note: string };
  /** The latest published checkpoint, with the cosignature lines added so far. */
  latestCheckpoint(): { size: number; note: string } | undefined;
  /** Adds witnesses' cosignature lines to the stored checkpoint of `size`, in one transaction. */
  addCosignatures(size: number, lines: readonly string[]): void;
}

export class Ledger {
  readonly #store: LogStorePort;
  readonly #repo: Repository;
  /** Called after each fresh append commits (docs/PROTOCOL.md §4.3: publish a checkpoint after appends). */
  onAppend: (() => void) | undefined;

  constructor(store: LogStorePort, repo: Repository) {
    this.#store = store;
    this.#repo = repo;
  }

  get size(): number {
    return this.#store.size();
  }

  get store(): LogStorePort {
    return this.#store;
  }

  /** The index of the entry logged under `key`, if any. */
  indexOf(key: string): number | undefined {
    return this.#repo.entryIndex(key);
  }

  /**
   * Appends `entry` unless an entry was already logged under `key`; `then`
   * runs in the same transaction with the index. Returns the index and
   * whether this call appended it. With `publish`, a signed checkpoint of
   * the new size is stored in the same transaction.
   */
  appendOnce(key: string, entry: LogEntry, then?: (index: number) => void, opts: { publish?: boolean } = {}): { index: number; fresh: boolean } {
    // Everything we log must be a valid entry: a bug here must not reach the log.
    LogEntrySchema.parse(entry);
    const leaf = canonicalBytes(entry);
    const result = this.#repo.transaction(() => {
      const existing = this.#repo.entryIndex(key);
      if (existing !== undefined) return { index: existing, fresh: false };
      const index = this.#store.append([leaf]);
      this.#repo.putEntryKey(key, index);
      // The warrant index (docs/PROTOCOL.md §7.3, "Warrant search"), in the append's own commit.
      const warrantId = warrantOfEntry(entry, (requestId) => this.#repo.request(requestId)?.warrantId);
      if (warrantId !== undefined) this.#repo.putWarrantEntry(warrantId, index);
      then?.(index);
      // A step about to wait for cosigning publishes its checkpoint in the same commit (one fsync, not two).
      if (opts.publish) this.#store.publishCheckpoint();
      return { index, fresh: true };
    });
    if (result.fresh) this.onAppend?.();
    return result;
  }

  /** The logged entry at `index`, parsed (our own bytes). */
  entry(index: number): LogEntry {
    return LogEntrySchema.parse(JSON.parse(new TextDecoder().decode(this.#store.entry(index))));
  }
}
