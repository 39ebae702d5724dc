/**
 * The coordinator's transparency log in SQLite (better-sqlite3, WAL;
 * docs/PROTOCOL.md §2, §4.3): leaves with their hashes, every complete-subtree hash,
 * and the published checkpoints.
 *
 * Every complete subtree is stored, so any root, inclusion or consistency
 * proof at any size costs O(log n) indexed reads (./proof in the shared log
 * library). An append writes the leaves and the subtrees they complete in one
 * transaction: after a crash the tree is exactly some prefix of acknowledged
 * appends. A checkpoint covers only stored entries, its root is recomputed
 * from storage before it is kept, and it is written in one statement.
 */
import Database from 'better-sqlite3';
import { abytes, ed25519PublicKey, equalBytes, hexToBytes } from '@custodes/shared/crypto';
import {
  EMPTY_ROOT,
  HASH_SIZE,
  LogError,
  MAX_ENTRY_BYTES,
  consistencyProof,
  formatCheckpoint,
  formatSignatureLine,
  formatSignedNote,
  inclusionProof,
  isValidKeyName,
  leafHash,
  nodeHash,
  parseCheckpoint,
  parseSignedNote,
  signCheckpoint,
  subtreeNodes,
  treeHash,
  verifyLogSignature,
  type Checkpoint,
  type HashReader,
  type NoteKey,
  type TreeNode,
} from '@custodes/shared/log';
import type { DB } from '@custodes/shared/service';
import { LogStoreError } from './errors';
import { migrateLog } from './migrations';

// ## Types

interface LogStoreOptions {
  /** The log's origin: the checkpoint origin line and its key name (docs/PROTOCOL.md §4.3). */
  readonly origin: string;
  /** The log's Ed25519 note key (32-byte seed, hex or bytes; docs/PROTOCOL.md §4.3); without it the store cannot publish. */
  readonly noteSecretKey?: string | Uint8Array;
}

/** A published checkpoint: the signed note grows as cosignatures are added. */
interface StoredCheckpoint {
  readonly size: number;
  readonly root: Uint8Array;
  readonly note: string;
  /** POSIX seconds. */
  readonly publishedAt: number;
}

/** `MTH(D[0:size])` of the stored tree. */
interface TreeHead {
  readonly size: number;
  readonly root: Uint8Array;
}

interface CheckpointRow {
  size: number;
  root: Uint8Array;
  note: string;
  published_at: number;
}

/** Leaves per group of the leaf-hash index: idx >> 12 (migration 2). */
const HASH_CHUNK = 4096;

// ## Stored hash positions

/**
 * Position of node (level, index) in creation order: leaf n's hash is
 * followed by the subtrees it completes (golang.org/x/mod/sumdb/tlog
 * StoredHashIndex). Level-≥1 nodes are keyed by it, so inserts append.
 */
function storedHashIndex(level: number, index: number): number {
  let n = index;
  for (let l = level; l > 0; l--) n = 2 * n + 1;
  let i = 0;
  for (; n > 0; n = Math.floor(n / 2)) i += n;
  return i + level;
}

function astring(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
  return value;
}

function toBytes(value: Uint8Array): Uint8Array {
  // better-sqlite3 returns Buffers; hand out plain Uint8Arrays.
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

// ## The store

/** Every statement the store runs, prepared once. */
function prepareStatements(db: DB) {
  return {
    size: db.prepare('SELECT idx FROM log_entries ORDER BY idx DESC LIMIT 1').pluck(),
    insertEntry: db.prepare('INSERT INTO log_entries (idx, leaf, hash) VALUES (?, ?, ?)'),
    insertNode: db.prepare('INSERT INTO log_nodes (id, hash) VALUES (?, ?)'),
    entry: db.prepare('SELECT leaf FROM log_entries WHERE idx = ?').pluck(),
    entries: db.prepare('SELECT leaf FROM log_entries WHERE idx >= ? AND idx < ? ORDER BY idx').pluck(),
    leafHash: db.prepare('SELECT hash FROM log_entries WHERE idx = ?').pluck(),
    leafHashes: db.prepare('SELECT hash FROM log_entries WHERE idx >= ? AND idx < ? ORDER BY idx').pluck(),
    // The expression must match the index's exactly (migration 2).
    byHash: db.prepare('SELECT idx FROM log_entries WHERE (idx >> 12) = ? AND hash = ? ORDER BY idx LIMIT 1').pluck(),
    node: db.prepare('SELECT hash FROM log_nodes WHERE id = ?').pluck(),
    latest: db.prepare('SELECT size, root, note, published_at FROM log_checkpoints ORDER BY size DESC LIMIT 1'),
    recent: db.prepare('SELECT size, root, note, published_at FROM log_checkpoints ORDER BY size DESC LIMIT 64'),
    checkpoint: db.prepare('SELECT size, root, note, published_at FROM log_checkpoints WHERE size = ?'),
    insertCheckpoint: db.prepare('INSERT INTO log_checkpoints (size, root, note, published_at) VALUES (?, ?, ?, ?)'),
    updateNote: db.prepare('UPDATE log_checkpoints SET note = ? WHERE size = ?'),
  };
}

class LogStore implements HashReader {
  readonly origin: string;
  readonly #db: DB;
  readonly #ownsDb: boolean;
  readonly #secretKey: Uint8Array | undefined;
  readonly #logKey: NoteKey | undefined;
  readonly #sql: ReturnType<typeof prepareStatements>;
  /**
   * Hashes of the complete subtrees that tile [0, size) by level: the left
   * siblings the next leaves will need. Trusted only while `#frontierSize`
   * and the last leaf's hash still match storage (an enclosing transaction
   * may have rolled an append back).
   */
  #frontier: Uint8Array[] = [];
  #frontierSize = -1;
  #frontierLast: Uint8Array | undefined;

  private constructor(db: DB, ownsDb: boolean, options: LogStoreOptions) {
    this.#db = db;
    this.#ownsDb = ownsDb;
    this.origin = astring(options.origin, 'origin');
    // The origin is also the log's key name: validate it once, here.
    formatCheckpoint({ origin: this.origin, size: 0, root: EMPTY_ROOT });
    const key = options.noteSecretKey;
    if (key !== undefined) {
      // It signs under the key name = origin (docs/PROTOCOL.md §4.3).
      if (!isValidKeyName(this.origin)) throw new RangeError('origin must be a valid key name (no spaces or "+")');
      this.#secretKey = typeof key === 'string' ? hexToBytes(key, 32, 'noteSecretKey') : abytes(key, 32, 'noteSecretKey');
      this.#logKey = { name: this.origin, publicKey: ed25519PublicKey(this.#secretKey) };
    }
    migrateLog(db);
    this.#sql = prepareStatements(db);
  }

  /**
   * Opens (creating and migrating if needed) the log in `target`: a file path,
   * or a database the caller owns and shares (e.g. with the coordinator's own
   * tables, so that appends join the caller's transactions). Idempotent.
   */
  static open(target: string | DB, options: LogStoreOptions): LogStore {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    if (typeof target === 'string') {
      const db = new Database(target);
      try {
        db.pragma('journal_mode = WAL');
        // FULL: an acknowledged append survives power loss, not only a crash.
        db.pragma('synchronous = FULL');
        db.pragma('busy_timeout = 5000');
        return new LogStore(db, true, options);
      } catch (error) {
        db.close();
        throw error;
      }
    }
    if (!(target instanceof Database)) throw new TypeError('target must be a path or a better-sqlite3 Database');
    return new LogStore(target, false, options);
  }

  /** Closes the database if this store opened it. */
  close(): void {
    if (this.#ownsDb && this.#db.open) this.#db.close();
  }

  /** Runs `fn` in one transaction (a savepoint inside an enclosing one). */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate();
  }

  // ## Entries

  /** Number of stored leaves. */
  size(): number {
    const last = this.#sql.size.get() as number | undefined;
    return last === undefined ? 0 : last + 1;
  }

  /**
   * Appends leaves (their exact bytes, each ≤ 65,535 bytes so that entry
   * bundles can carry them) in one transaction, with every subtree they
   * complete. Returns the index of the first; the others follow in order.
   */
  append(leaves: readonly Uint8Array[]): number {
    if (!Array.isArray(leaves)) throw new TypeError('leaves must be an array');
    leaves.forEach((leaf, i) => {
      abytes(leaf, undefined, `leaves[${i}]`);
      if (leaf.length > MAX_ENTRY_BYTES) throw new RangeError(`leaves[${i}] exceeds ${MAX_ENTRY_BYTES} bytes`);
    });
    let frontier: Uint8Array[] = [];
    let last: Uint8Array | undefined;
    const first = this.transaction(() => {
      const start = this.size();
      frontier = [...this.#frontierAt(start)];
      last = this.#frontierLast;
      let index = start;
      for (const leaf of leaves) {
        let hash = leafHash(leaf);
        this.#sql.insertEntry.run(index, leaf, hash);
        last = hash;
        let level = 0;
        let position = index;
        // A right child completes its parent; climb while that happens.
        while (position % 2 === 1) {
          const left = frontier[level];
          if (left === undefined) throw new LogStoreError('STORE_CORRUPT', `missing frontier hash at level ${level}`);
          hash = nodeHash(left, hash);
          level += 1;
          position = (position - 1) / 2;
          this.#sql.insertNode.run(storedHashIndex(level, position), hash);
        }
        frontier[level] = hash;
        index += 1;
      }
      return start;
    });
    // Only after the transaction returned: a throw above leaves the cache as it was.
    this.#frontier = frontier;
    this.#frontierSize = first + leaves.length;
    this.#frontierLast = last;
    return first;
  }

  /** The frontier for `size` leaves, from the cache if it still matches storage. */
  #frontierAt(size: number): readonly Uint8Array[] {
    if (size === this.#frontierSize) {
      const lastHash = size === 0 ? undefined : (this.#sql.leafHash.get(size - 1) as Uint8Array | undefined);
      const same =
        (lastHash === undefined && this.#frontierLast === undefined) ||
        (lastHash !== undefined && this.#frontierLast !== undefined && equalBytes(toBytes(lastHash), this.#frontierLast));
      if (same) return this.#frontier;
    }
    const nodes = subtreeNodes(0, size);
    const hashes = this.readHashes(nodes);
    const frontier: Uint8Array[] = [];
    nodes.forEach((node, i) => {
      frontier[node.level] = hashes[i]!;
    });
    this.#frontier = frontier;
    this.#frontierSize = size;
    this.#frontierLast = size === 0 ? undefined : this.leafHash(size - 1);
    return frontier;
  }

  #checkRange(start: number, end: number): void {
    for (const [value, name] of [
      [start, 'start'],
      [end, 'end'],
    ] as const) {
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new TypeError(`${name} must be an integer`);
    }
    if (start < 0 || start > end) throw new RangeError(`need 0 ≤ start ≤ end, got [${start}, ${end})`);
    const size = this.size();
    if (end > size) throw new RangeError(`end ${end} exceeds the stored size ${size}`);
  }

  /** The exact bytes of leaf `index`; requires index < size(). */
  entry(index: number): Uint8Array {
    this.#checkRange(index, index + 1);
    return toBytes(this.#sql.entry.get(index) as Uint8Array);
  }

  /** Leaves [start, end), in order; requires end ≤ size(). */
  entries(start: number, end: number): Uint8Array[] {
    this.#checkRange(start, end);
    return (this.#sql.entries.all(start, end) as Uint8Array[]).map(toBytes);
  }

  /** `SHA256(0x00 ‖ leaf)` of leaf `index`. */
  leafHash(index: number): Uint8Array {
    this.#checkRange(index, index + 1);
    return toBytes(this.#sql.leafHash.get(index) as Uint8Array);
  }

  /** Leaf hashes [start, end): a level-0 tile in one range read. */
  leafHashes(start: number, end: number): Uint8Array[] {
    this.#checkRange(start, end);
    return (this.#sql.leafHashes.all(start, end) as Uint8Array[]).map(toBytes);
  }

  /** The first index whose leaf hash is `hash`, if any: one index probe per 4096 leaves. */
  indexOfLeafHash(hash: Uint8Array): number | undefined {
    abytes(hash, HASH_SIZE, 'hash');
    const size = this.size();
    for (let chunk = 0; chunk * HASH_CHUNK < size; chunk++) {
      const index = this.#sql.byHash.get(chunk, hash) as number | undefined;
      if (index !== undefined) return index;
    }
    return undefined;
  }

  // ## Hashes and proofs

  /** HashReader: level 0 from the entries, levels ≥ 1 from the subtree table. Throws if one is missing. */
  readHashes(nodes: readonly TreeNode[]): Uint8Array[] {
    return nodes.map(({ level, index }) => {
      const hash =
        level === 0
          ? (this.#sql.leafHash.get(index) as Uint8Array | undefined)
          : (this.#sql.node.get(storedHashIndex(level, index)) as Uint8Array | undefined);
      if (hash === undefined) throw new LogStoreError('STORE_CORRUPT', `no stored hash for node (${level}, ${index})`);
      return toBytes(hash);
    });
  }

  #checkSize(size: number, name: string): number {
    if (typeof size !== 'number' || !Number.isSafeInteger(size)) throw new TypeError(`${name} must be an integer`);
    const stored = this.size();
    if (size < 0 || size > stored) throw new RangeError(`${name} ${size} is not in [0, ${stored}]`);
    return size;
  }

  /** `MTH(D[0:size])`, by default of everything stored. */
  treeHead(size: number = this.size()): TreeHead {
    this.#checkSize(size, 'size');
    return { size, root: treeHash(size, this) };
  }

  /** RFC 9162 §2.1.3.1 inclusion proof of leaf `index` in the tree of `size` leaves. */
  inclusionProof(index: number, size: number): Uint8Array[] {
    this.#checkSize(size, 'size');
    return inclusionProof(index, size, this);
  }

  /** RFC 9162 §2.1.4.1 consistency proof from `from` to `to` leaves. */
  consistencyProof(from: number, to: number): Uint8Array[] {
    this.#checkSize(to, 'to');
    return consistencyProof(from, to, this);
  }

  // ## Checkpoints

  #row(row: CheckpointRow | undefined): StoredCheckpoint | undefined {
    if (row === undefined) return undefined;
    return { size: row.size, root: toBytes(row.root), note: row.note, publishedAt: row.published_at };
  }

  /** The published checkpoint with the largest size, cosignatures included. */
  latestCheckpoint(): StoredCheckpoint | undefined {
    return this.#row(this.#sql.latest.get() as CheckpointRow | undefined);
  }

  /**
   * The largest of the recent published checkpoints whose note carries at
   * least `min` signature lines besides the log's own (cosignatures are
   * verified before they are stored), if any.
   */
  latestCheckpointWithCosignatures(min: number): StoredCheckpoint | undefined {
    for (const row of this.#sql.recent.iterate() as Iterable<CheckpointRow>) {
      const signatures = row.note.slice(row.note.indexOf('\n\n') + 2).split('\n').filter((l) => l.startsWith('\u2014 ')).length;
      if (signatures - 1 >= min) return this.#row(row);
    }
    return undefined;
  }

  /** The published checkpoint of exactly `size` leaves, if any. */
  checkpointAt(size: number): StoredCheckpoint | undefined {
    return this.#row(this.#sql.checkpoint.get(size) as CheckpointRow | undefined);
  }

  /**
   * Keeps a signed checkpoint note (e.g. signed elsewhere): its origin must be
   * this log's, it must cover only stored entries, its root must be the
   * stored tree's at that size, it must not be smaller than the latest, and,
   * if this store knows the log key, its log signature must verify. A note
   * for the latest size is a no-op that returns the stored one.
   */
  saveCheckpoint(noteText: string, now: number = Math.floor(Date.now() / 1000)): StoredCheckpoint {
    astring(noteText, 'note');
    let checkpoint: Checkpoint;
    try {
      checkpoint = parseCheckpoint(parseSignedNote(noteText).text);
    } catch (error) {
      if (error instanceof LogError) throw new LogStoreError('BAD_CHECKPOINT', error.message);
      throw error;
    }
    if (checkpoint.origin !== this.origin) {
      throw new LogStoreError('BAD_CHECKPOINT', `origin ${checkpoint.origin} is not ${this.origin}`);
    }
    if (this.#logKey !== undefined && !verifyLogSignature(parseSignedNote(noteText), this.#logKey)) {
      throw new LogStoreError('BAD_CHECKPOINT', 'the log signature does not verify');
    }
    return this.transaction(() => {
      const latest = this.latestCheckpoint();
      if (latest !== undefined && checkpoint.size < latest.size) {
        throw new LogStoreError('CHECKPOINT_SHRINKS', `size ${checkpoint.size} < published ${latest.size}`);
      }
      const stored = this.size();
      if (checkpoint.size > stored) {
        throw new LogStoreError('CHECKPOINT_AHEAD', `size ${checkpoint.size} > stored ${stored}`);
      }
      const root = treeHash(checkpoint.size, this);
      if (!equalBytes(root, checkpoint.root)) {
        throw new LogStoreError('CHECKPOINT_ROOT', `root differs from the stored tree at size ${checkpoint.size}`);
      }
      if (latest !== undefined && checkpoint.size === latest.size) return latest;
      this.#sql.insertCheckpoint.run(checkpoint.size, root, noteText, now);
      return { size: checkpoint.size, root, note: noteText, publishedAt: now };
    });
  }

  /**
   * Signs and keeps a checkpoint at the current stored size, unless the
   * latest already has that size (then returns it). Needs the log key.
   */
  publishCheckpoint(now?: number): StoredCheckpoint {
    const secretKey = this.#secretKey;
    if (secretKey === undefined) throw new LogStoreError('NO_SIGNING_KEY', 'opened without the log secret key');
    return this.transaction(() => {
      const head = this.treeHead();
      const latest = this.latestCheckpoint();
      if (latest !== undefined && latest.size === head.size) return latest;
      return this.saveCheckpoint(signCheckpoint({ origin: this.origin, ...head }, secretKey), now);
    });
  }

  /**
   * Adds signature lines (witness cosignatures, already verified by the
   * caller; each `— <name> <base64>`, newline optional) to the checkpoint of
   * `size`. Lines already present are skipped. Throws RangeError for text
   * that is not signature lines.
   */
  addCosignatures(size: number, lines: readonly string[]): StoredCheckpoint {
    if (!Array.isArray(lines)) throw new TypeError('lines must be an array');
    const block = lines.map((line, i) => {
      astring(line, `lines[${i}]`);
      return line.endsWith('\n') ? line : `${line}\n`;
    });
    return this.transaction(() => {
      const current = this.checkpointAt(size);
      if (current === undefined) throw new LogStoreError('NO_CHECKPOINT', `no checkpoint of size ${size}`);
      const note = parseSignedNote(current.note);
      let incoming: ReturnType<typeof parseSignedNote>;
      try {
        incoming = parseSignedNote(`${note.text}\n${block.join('')}`);
      } catch (error) {
        if (error instanceof LogError) throw new RangeError(`not signature lines: ${error.message}`);
        throw error;
      }
      // A blank line among the lines would have moved text into the body.
      if (incoming.text !== note.text) throw new RangeError('not signature lines: unexpected blank line');
      const seen = new Set(note.signatures.map(formatSignatureLine));
      const fresh = incoming.signatures.filter((s) => {
        const line = formatSignatureLine(s);
        if (seen.has(line)) return false;
        seen.add(line);
        return true;
      });
      if (fresh.length === 0) return current;
      const text = formatSignedNote({ text: note.text, signatures: [...note.signatures, ...fresh] });
      parseSignedNote(text); // still within the note's size and signature caps
      this.#sql.updateNote.run(text, size);
      return { ...current, note: text };
    });
  }

  /** Adds one signature line to the checkpoint of `size` (see addCosignatures). */
  addCosignature(size: number, line: string): void {
    this.addCosignatures(size, [line]);
  }
}

export { LogStore, storedHashIndex, type LogStoreOptions, type StoredCheckpoint, type TreeHead };
