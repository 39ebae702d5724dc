/**
 * Interim adapter between the coordinator and its log storage, until
 * ./log/store and ./api/logRead land: leaves in SQLite, hashes in a MemoryTree
 * rebuilt at open, checkpoints signed with the log key. Only the minimum of
 * the DESIGN.md §4.4 read API that witnesses need (checkpoint, entries).
 */
import { Router } from 'express';
import { base64ToBytes, bytesToBase64, hexToBytes } from '@custodes/shared/crypto';
import { MemoryTree, signCheckpoint } from '@custodes/shared/log';
import { HttpError } from '@custodes/shared/service';
import type { DB } from '@custodes/shared/service';
import type { LogStorePort } from './ledger';

export function openLogStore(db: DB, opts: { origin: string; logSecretKey: string }): LogStorePort {
  db.exec(`
    CREATE TABLE IF NOT EXISTS interim_leaves (idx INTEGER PRIMARY KEY, data BLOB NOT NULL);
    CREATE TABLE IF NOT EXISTS interim_checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL);
  `);
  const tree = new MemoryTree();
  for (const row of db.prepare('SELECT data FROM interim_leaves ORDER BY idx').iterate() as Iterable<{ data: Buffer }>) {
    tree.append(new Uint8Array(row.data));
  }
  const key = hexToBytes(opts.logSecretKey, 32);
  const latest = () => db.prepare('SELECT size, note FROM interim_checkpoints ORDER BY size DESC LIMIT 1').get() as { size: number; note: string } | undefined;
  return {
    size: () => tree.size,
    append(leaves) {
      const first = tree.size;
      const insert = db.prepare('INSERT INTO interim_leaves (idx, data) VALUES (?, ?)');
      leaves.forEach((l, i) => insert.run(first + i, Buffer.from(l)));
      // The tree follows only once the SQL rows are in; a rolled-back append must not stay in memory.
      for (const l of leaves) tree.append(l);
      return first;
    },
    entry(index) {
      const row = db.prepare('SELECT data FROM interim_leaves WHERE idx = ?').get(index) as { data: Buffer } | undefined;
      if (!row) throw new RangeError(`no entry ${index}`);
      return new Uint8Array(row.data);
    },
    consistencyProof: (from, to) => tree.consistencyProof(from, to),
    publishCheckpoint() {
      const size = tree.size;
      const l = latest();
      if (l && l.size === size) return l;
      const note = signCheckpoint({ origin: opts.origin, size, root: tree.root(size) }, key);
      db.prepare('INSERT INTO interim_checkpoints (size, note) VALUES (?, ?)').run(size, note);
      return { size, note };
    },
    latestCheckpoint: latest,
    addCosignature(size, line) {
      const row = db.prepare('SELECT note FROM interim_checkpoints WHERE size = ?').get(size) as { note: string } | undefined;
      if (!row) throw new RangeError(`no checkpoint of size ${size}`);
      db.prepare('UPDATE interim_checkpoints SET note = ? WHERE size = ?').run(row.note + line, size);
    },
  };
}

export function logReadRoutes(db: DB, store: LogStorePort): Router {
  const r = Router();
  r.get('/log/v1/checkpoint', (_req, res) => {
    const l = store.latestCheckpoint();
    if (!l) throw new HttpError(404, 'NOT_FOUND', 'no checkpoint yet');
    res.type('text/plain').send(l.note);
  });
  r.get('/log/v1/entries', (req, res) => {
    const start = Number(req.query.start);
    const end = Number(req.query.end);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end <= start) {
      throw new HttpError(400, 'BAD_REQUEST', 'start and end must be integers with 0 ≤ start < end');
    }
    if (end > store.size()) throw new HttpError(404, 'NOT_FOUND', 'range beyond the tree');
    const entries: string[] = [];
    for (let i = start; i < Math.min(end, start + 1000); i++) entries.push(bytesToBase64(store.entry(i)));
    res.json({ start, entries });
  });
  void db;
  void base64ToBytes;
  return r;
}
