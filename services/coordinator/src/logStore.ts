/**
 * Where the coordinator meets its log storage (./log/store) and, for now, a
 * minimal read API (checkpoint and entries, what witnesses need) until the
 * full DESIGN.md §4.4 router (./api/logRead) lands.
 */
import { Router } from 'express';
import { bytesToBase64 } from '@custodes/shared/crypto';
import { HttpError } from '@custodes/shared/service';
import type { DB } from '@custodes/shared/service';
import { LogStore } from './log/store';

/** Opens the log in the coordinator's own database, so appends join its transactions. */
export function openLogStore(db: DB, opts: { origin: string; logSecretKey: string }): LogStore {
  return LogStore.open(db, opts);
}

const PAGE = 1000;

export function logReadRoutes(store: LogStore): Router {
  const r = Router();
  r.get('/log/v1/checkpoint', (_req, res) => {
    const latest = store.latestCheckpoint();
    if (!latest) throw new HttpError(404, 'NOT_FOUND', 'no checkpoint yet');
    res.type('text/plain').send(latest.note);
  });
  r.get('/log/v1/entries', (req, res) => {
    const start = Number(req.query.start);
    const end = Number(req.query.end);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end <= start) {
      throw new HttpError(400, 'BAD_REQUEST', 'start and end must be integers with 0 ≤ start < end');
    }
    if (end > store.size()) throw new HttpError(404, 'NOT_FOUND', 'range beyond the tree');
    res.json({ start, entries: store.entries(start, Math.min(end, start + PAGE)).map(bytesToBase64) });
  });
  return r;
}
