/**
 * The SQLite log store: appends, reads, proofs at every size against an
 * in-memory reference, reopen, shared databases with rolled-back appends,
 * checkpoints and cosignatures.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ed25519PublicKey } from '../../shared/src/crypto/ed25519';
import {
  EMPTY_ROOT,
  MemoryTree,
  cosignCheckpoint,
  leafHash,
  openCheckpoint,
  parseSignedNote,
  signCheckpoint,
  verifyConsistency,
  verifyCosignature,
  verifyInclusion,
} from '../../shared/src/log/index';
import { LOG_MIGRATIONS, LogStore, LogStoreError, storedHashIndex } from '../../services/coordinator/src/log/index';

const ORIGIN = 'custodes.test/log';
const SECRET = new Uint8Array(32).fill(11);
const LOG_KEY = { name: ORIGIN, publicKey: ed25519PublicKey(SECRET) };
const WITNESS_SECRET = new Uint8Array(32).fill(12);
const WITNESS = { name: 'witness.test', publicKey: ed25519PublicKey(WITNESS_SECRET) };

const leaf = (i: number): Uint8Array => new TextEncoder().encode(`leaf ${i}`);

function rootOf(leaves: Uint8Array[]): Uint8Array {
  const tree = new MemoryTree();
  leaves.forEach((l) => tree.append(l));
  return tree.root();
}

let dir: string;
let file: string;
const open: LogStore[] = [];

function openStore(options: { noteSecretKey?: Uint8Array } = { noteSecretKey: SECRET }): LogStore {
  const store = LogStore.open(file, { origin: ORIGIN, ...options });
  open.push(store);
  return store;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'custodes-log-'));
  file = join(dir, 'log.sqlite');
});

afterEach(() => {
  for (const s of open.splice(0)) s.close();
  rmSync(dir, { recursive: true, force: true });
});

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(LogStoreError);
    expect((error as LogStoreError).code).toBe(code);
    return;
  }
  throw new Error(`expected LogStoreError ${code}`);
}

describe('stored hash positions', () => {
  it('number nodes in creation order (tlog StoredHashIndex)', () => {
    // Leaf 0 → 0; leaf 1 → 1, node(1,0) → 2; leaf 2 → 3; leaf 3 → 4, (1,1) → 5, (2,0) → 6.
    expect([storedHashIndex(0, 0), storedHashIndex(0, 1), storedHashIndex(1, 0)]).toEqual([0, 1, 2]);
    expect([storedHashIndex(0, 3), storedHashIndex(1, 1), storedHashIndex(2, 0)]).toEqual([4, 5, 6]);
    const seen = new Set<number>();
    let previous = -1;
    const tree = new MemoryTree();
    for (let i = 0; i < 300; i++) {
      tree.append(leaf(i));
      // The subtrees leaf i completes get increasing positions.
      for (let level = 0, pos = i; ; level++, pos = (pos - 1) / 2) {
        const id = storedHashIndex(level, pos);
        expect(id).toBeGreaterThan(previous);
        expect(seen.has(id)).toBe(false);
        seen.add(id);
        previous = id;
        if (pos % 2 === 0) break;
      }
    }
  });
});

describe('LogStore', () => {
  it('appends in batches and answers every root and proof like the reference tree', () => {
    const store = openStore();
    const ref = new MemoryTree();
    expect(store.size()).toBe(0);
    expect(store.treeHead()).toEqual({ size: 0, root: EMPTY_ROOT });
    let n = 0;
    for (const batch of [1, 2, 5, 1, 8, 13, 3, 40]) {
      const leaves = Array.from({ length: batch }, (_, i) => leaf(n + i));
      expect(store.append(leaves)).toBe(n);
      leaves.forEach((l) => ref.append(l));
      n += batch;
    }
    expect(store.size()).toBe(73);
    for (let size = 1; size <= 73; size++) {
      const root = store.treeHead(size).root;
      expect(root).toEqual(ref.root(size));
      for (let i = 0; i < size; i += 7) {
        const proof = store.inclusionProof(i, size);
        expect(proof).toEqual(ref.inclusionProof(i, size));
        expect(verifyInclusion(i, size, leafHash(leaf(i)), proof, root)).toBe(true);
      }
      for (let m = 1; m <= size; m += 5) {
        expect(verifyConsistency(m, size, store.consistencyProof(m, size), ref.root(m), root)).toBe(true);
      }
    }
    expect(store.entry(42)).toEqual(leaf(42));
    expect(store.entries(10, 13)).toEqual([leaf(10), leaf(11), leaf(12)]);
    expect(store.leafHashes(0, 2)).toEqual([leafHash(leaf(0)), leafHash(leaf(1))]);
    expect(store.indexOfLeafHash(leafHash(leaf(50)))).toBe(50);
    expect(store.indexOfLeafHash(leafHash(leaf(500)))).toBeUndefined();
  });

  it('finds the first index of a repeated leaf', () => {
    const store = openStore();
    store.append([leaf(1), leaf(2), leaf(1)]);
    expect(store.indexOfLeafHash(leafHash(leaf(1)))).toBe(0);
  });

  it('looks leaves up by hash across the 4096-leaf index chunks, through the index', () => {
    const store = openStore();
    store.append(Array.from({ length: 9000 }, (_, i) => leaf(i)));
    store.append([leaf(4096)]); // a repeat in a later chunk
    for (const i of [0, 4095, 4096, 8191, 8192, 8999]) expect(store.indexOfLeafHash(leafHash(leaf(i)))).toBe(i);
    expect(store.indexOfLeafHash(leafHash(leaf(9000)))).toBeUndefined();
    const db = new Database(file, { readonly: true });
    const plan = db
      .prepare('EXPLAIN QUERY PLAN SELECT idx FROM log_entries WHERE (idx >> 12) = ? AND hash = ? ORDER BY idx LIMIT 1')
      .all(0, leafHash(leaf(0))) as { detail: string }[];
    db.close();
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING (COVERING )?INDEX log_entries_by_chunk_hash/);
  });

  it('migrates a version-1 database in place', () => {
    const db = new Database(file);
    db.exec('CREATE TABLE log_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    db.exec(LOG_MIGRATIONS[0]!);
    db.prepare('INSERT INTO log_migrations VALUES (1, 0)').run();
    db.prepare('INSERT INTO log_entries VALUES (0, ?, ?)').run(leaf(0), leafHash(leaf(0)));
    db.close();
    const store = openStore();
    expect(store.indexOfLeafHash(leafHash(leaf(0)))).toBe(0);
    store.append([leaf(1)]);
    expect(store.treeHead().root).toEqual(rootOf([leaf(0), leaf(1)]));
  });

  it('reads O(log n) hashes per proof', () => {
    const store = openStore();
    for (let b = 0; b < 10; b++) store.append(Array.from({ length: 100 }, (_, i) => leaf(b * 100 + i)));
    const spy = vi.spyOn(store, 'readHashes');
    store.inclusionProof(517, 1000);
    store.consistencyProof(333, 999);
    store.treeHead(777);
    for (const call of spy.mock.calls) expect(call[0].length).toBeLessThanOrEqual(2 * Math.log2(1000) + 2);
    expect(spy).toHaveBeenCalledTimes(3);
  });

  it('survives reopening: same tree, and appends continue from the stored frontier', () => {
    const first = openStore();
    first.append(Array.from({ length: 11 }, (_, i) => leaf(i)));
    first.close();
    const second = openStore();
    expect(second.size()).toBe(11);
    second.append([leaf(11), leaf(12)]);
    const ref = new MemoryTree();
    for (let i = 0; i < 13; i++) ref.append(leaf(i));
    expect(second.treeHead().root).toEqual(ref.root());
    // Migrations ran once.
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT version FROM log_migrations ORDER BY version').pluck().all()).toEqual([1, 2]);
    db.close();
  });

  it('shares a database and joins the caller transaction; a rolled-back append leaves no trace', () => {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    const store = LogStore.open(db, { origin: ORIGIN });
    store.append([leaf(0), leaf(1), leaf(2)]);
    expect(() =>
      db.transaction(() => {
        store.append([leaf(99), leaf(98)]);
        throw new Error('caller failed later');
      })(),
    ).toThrow('caller failed later');
    expect(store.size()).toBe(3);
    store.append([leaf(3)]);
    const ref = new MemoryTree();
    for (let i = 0; i < 4; i++) ref.append(leaf(i));
    expect(store.treeHead().root).toEqual(ref.root());
    store.close(); // does not close a database it does not own
    expect(db.open).toBe(true);
    db.close();
  });

  it('rejects bad leaves and bad reads without storing anything', () => {
    const store = openStore();
    expect(() => store.append('x' as never)).toThrow(TypeError);
    expect(() => store.append([leaf(0), 'x' as never])).toThrow(TypeError);
    expect(() => store.append([leaf(0), new Uint8Array(0x10000)])).toThrow(RangeError);
    expect(store.size()).toBe(0);
    expect(store.append([])).toBe(0);
    store.append([new Uint8Array(0), new Uint8Array(0xffff)]);
    expect(() => store.entry(2)).toThrow(RangeError);
    expect(() => store.entries(1, 3)).toThrow(RangeError);
    expect(() => store.entries(2, 1)).toThrow(RangeError);
    expect(() => store.inclusionProof(0, 3)).toThrow(RangeError);
    expect(() => store.consistencyProof(1, 3)).toThrow(RangeError);
    expect(() => store.treeHead(-1)).toThrow(RangeError);
    expect(() => store.indexOfLeafHash(new Uint8Array(31))).toThrow(RangeError);
    expectCode(() => store.readHashes([{ level: 1, index: 5 }]), 'STORE_CORRUPT');
  });

  it('refuses an origin that cannot be a key name or a checkpoint line', () => {
    expect(() => LogStore.open(file, { origin: '' })).toThrow(RangeError);
    expect(() => LogStore.open(file, { origin: 'a\nb' })).toThrow(RangeError);
    expect(() => LogStore.open(file, { origin: ORIGIN, noteSecretKey: 'zz' })).toThrow(RangeError);
  });
});

describe('checkpoints', () => {
  it('publishes a signed checkpoint at the stored size, once per size', () => {
    const store = openStore();
    const empty = store.publishCheckpoint(1000);
    expect(empty.size).toBe(0);
    store.append([leaf(0), leaf(1), leaf(2)]);
    const cp = store.publishCheckpoint(1001);
    expect(cp).toMatchObject({ size: 3, publishedAt: 1001 });
    const opened = openCheckpoint(cp.note, LOG_KEY);
    expect(opened?.checkpoint.root).toEqual(store.treeHead(3).root);
    expect(store.publishCheckpoint(1002)).toEqual(cp);
    expect(store.latestCheckpoint()).toEqual(cp);
    expect(store.checkpointAt(0)?.size).toBe(0);
  });

  it('keeps a note signed elsewhere only if it matches storage and only moves forward', () => {
    const store = openStore();
    store.append(Array.from({ length: 6 }, (_, i) => leaf(i)));
    const head = (size: number) => ({ origin: ORIGIN, ...store.treeHead(size) });
    expect(store.saveCheckpoint(signCheckpoint(head(4), SECRET)).size).toBe(4);
    expectCode(() => store.saveCheckpoint(signCheckpoint(head(3), SECRET)), 'CHECKPOINT_SHRINKS');
    expectCode(() => store.saveCheckpoint(signCheckpoint({ ...head(6), size: 7 }, SECRET)), 'CHECKPOINT_AHEAD');
    expectCode(() => store.saveCheckpoint(signCheckpoint({ ...head(6), root: head(5).root }, SECRET)), 'CHECKPOINT_ROOT');
    expectCode(() => store.saveCheckpoint(signCheckpoint({ ...head(6), origin: 'other.test/log' }, SECRET)), 'BAD_CHECKPOINT');
    expectCode(() => store.saveCheckpoint(signCheckpoint(head(6), WITNESS_SECRET)), 'BAD_CHECKPOINT');
    expectCode(() => store.saveCheckpoint('junk'), 'BAD_CHECKPOINT');
    expect(store.latestCheckpoint()?.size).toBe(4);
    expect(store.saveCheckpoint(signCheckpoint(head(6), SECRET)).size).toBe(6);
  });

  it('cannot publish without the log key', () => {
    const store = openStore({});
    expectCode(() => store.publishCheckpoint(), 'NO_SIGNING_KEY');
  });

  it('adds cosignature lines once, after the log signature', () => {
    const store = openStore();
    store.append([leaf(0), leaf(1)]);
    const cp = store.publishCheckpoint();
    const checkpoint = { origin: ORIGIN, size: cp.size, root: cp.root };
    const line = cosignCheckpoint(checkpoint, { name: WITNESS.name, secretKey: WITNESS_SECRET, timestamp: 5 });
    store.addCosignature(2, line);
    store.addCosignatures(2, [line, line.trimEnd()]);
    const note = parseSignedNote(store.latestCheckpoint()!.note);
    expect(note.signatures.map((s) => s.name)).toEqual([ORIGIN, WITNESS.name]);
    expect(verifyCosignature(note, WITNESS)).toBe(true);
    expect(openCheckpoint(store.latestCheckpoint()!.note, LOG_KEY)).not.toBeNull();
    expectCode(() => store.addCosignature(1, line), 'NO_CHECKPOINT');
    expect(() => store.addCosignature(2, 'not a signature line')).toThrow(RangeError);
    expect(() => store.addCosignatures(2, [line, `\n${line}`])).toThrow(RangeError);
    expect(parseSignedNote(store.latestCheckpoint()!.note).signatures).toHaveLength(2);
  });
});
