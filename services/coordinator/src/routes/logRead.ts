/**
 * The public read API of the log (docs/PROTOCOL.md §4.4; C2SP tlog-tiles paths), as
 * a self-contained express Router with absolute paths, to mount at the root:
 * `app.use(createLogReadRouter(store))`.
 *
 * Everything is served as of the latest published checkpoint: entries stored
 * but not yet covered by a checkpoint do not exist here (404), so every
 * answer can be checked against a signed root. Handlers stay thin: parse the
 * query strictly, check ranges, read the store.
 */
import { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import type { z } from 'zod';
import { bytesToBase64, concatBytes } from '@custodes/shared/crypto';
import { LogError, TILE_WIDTH, encodeEntryBundle, parseTilePath, tileNodes, tileWidthAt } from '@custodes/shared/log';
import { HttpError, errorHandler } from '@custodes/shared/service';
import { formatZodError } from '@custodes/shared/records';
import type { LogStore, StoredCheckpoint } from '../log/index';
import { ConsistencyQuery, EntriesQuery, InclusionByHashQuery, InclusionByIndexQuery } from './logQuery';

/** What the router reads: a LogStore or anything with the same read methods. */
type LogReader = Pick<
  LogStore,
  | 'latestCheckpoint'
  | 'latestCheckpointWithCosignatures'
  | 'entries'
  | 'leafHash'
  | 'leafHashes'
  | 'indexOfLeafHash'
  | 'inclusionProof'
  | 'consistencyProof'
  | 'readHashes'
>;

interface LogReadOptions {
  /** Largest entries page (docs/PROTOCOL.md §4.4: 1000). */
  readonly maxPage?: number;
  /** Called with errors that become 500 (a logger); never sent to the client. */
  readonly onUnexpected?: (err: unknown, req: Request) => void;
  /**
   * Cosignatures a checkpoint needs before `GET /log/v1/checkpoint` serves it
   * (the registry's t): auditors accept only such checkpoints (docs/PROTOCOL.md §1
   * goal 8), so the newest one still collecting cosignatures is held back
   * until it has them. Until any has, the latest is served.
   */
  readonly minCosignatures?: () => number;
}

const MAX_PAGE = 1000;

// ## Helpers

function parseQuery<S extends z.ZodType>(schema: S, req: Request): z.infer<S> {
  const result = schema.safeParse(req.query);
  if (!result.success) throw new HttpError(400, 'BAD_PARAMETER', formatZodError(result.error));
  return result.data;
}

function badParameter(message: string): never {
  throw new HttpError(400, 'BAD_PARAMETER', message);
}

function beyondTree(message: string): never {
  throw new HttpError(404, 'BEYOND_TREE', message);
}

/** The latest checkpoint: the tree every answer is about. */
function published(store: LogReader): StoredCheckpoint {
  const checkpoint = store.latestCheckpoint();
  if (checkpoint === undefined) throw new HttpError(404, 'NO_CHECKPOINT', 'no checkpoint has been published yet');
  return checkpoint;
}

function checkTreeSize(size: number, name: string, publishedSize: number): void {
  if (size > publishedSize) beyondTree(`${name} ${size} exceeds the published tree size ${publishedSize}`);
}

// ## Handlers

function checkpointHandler(store: LogReader, minCosignatures: () => number) {
  return (_req: Request, res: Response): void => {
    const min = minCosignatures();
    const { note } = (min > 0 ? store.latestCheckpointWithCosignatures(min) : undefined) ?? published(store);
    // C2SP tlog-tiles: mutable, so no caching beyond a few seconds.
    res.set('Cache-Control', 'no-cache').type('text/plain; charset=utf-8').send(note);
  };
}

function entriesHandler(store: LogReader, maxPage: number) {
  return (req: Request, res: Response): void => {
    const { start, end } = parseQuery(EntriesQuery, req);
    if (end <= start) badParameter('end must be greater than start (end is exclusive)');
    if (end - start > maxPage) badParameter(`at most ${maxPage} entries per page`);
    checkTreeSize(end, 'end', published(store).size);
    res.json({ start, entries: store.entries(start, end).map(bytesToBase64) });
  };
}

function inclusionHandler(store: LogReader) {
  return (req: Request, res: Response): void => {
    const byHash = Object.hasOwn(req.query, 'hash');
    const query = byHash ? parseQuery(InclusionByHashQuery, req) : parseQuery(InclusionByIndexQuery, req);
    const { size } = query;
    if (size === 0) badParameter('size must be at least 1: the empty tree has no leaves');
    checkTreeSize(size, 'size', published(store).size);
    let index: number;
    if ('hash' in query) {
      const found = store.indexOfLeafHash(query.hash);
      if (found === undefined || found >= size) {
        throw new HttpError(404, 'NOT_FOUND', `no leaf with this hash in the tree of size ${size}`);
      }
      index = found;
    } else {
      index = query.index;
      if (index >= size) badParameter('index must be less than size');
    }
    res.json({
      index,
      size,
      leafHash: bytesToBase64(store.leafHash(index)),
      proof: store.inclusionProof(index, size).map(bytesToBase64),
    });
  };
}

function consistencyHandler(store: LogReader) {
  return (req: Request, res: Response): void => {
    const { from, to } = parseQuery(ConsistencyQuery, req);
    if (from === 0) badParameter('from must be at least 1: nothing is proven from the empty tree');
    if (from > to) badParameter('from must not exceed to');
    checkTreeSize(to, 'to', published(store).size);
    res.json({ from, to, proof: store.consistencyProof(from, to).map(bytesToBase64) });
  };
}

/** `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`, mounted under /log/v1/tile. */
function tileHandler(store: LogReader) {
  return (req: Request, res: Response): void => {
    let tile;
    try {
      // req.path is still percent-encoded, so only the canonical ASCII path parses.
      tile = parseTilePath(`tile${req.path}`);
    } catch (error) {
      if (error instanceof LogError) badParameter(error.message);
      throw error;
    }
    const { size } = published(store);
    const level = tile.kind === 'hashes' ? tile.level : 0;
    const available = tileWidthAt(size, level, tile.index);
    // Full tiles need all 256 hashes; a partial tile of width W only its first W,
    // which never change once the tree has them.
    if (available < tile.width) beyondTree(`the tree of size ${size} does not fill this tile`);
    const start = tile.index * TILE_WIDTH;
    let body: Uint8Array;
    if (tile.kind === 'entries') body = encodeEntryBundle(store.entries(start, start + tile.width));
    else if (tile.level === 0) body = concatBytes(...store.leafHashes(start, start + tile.width));
    else body = concatBytes(...store.readHashes(tileNodes(tile.level, tile.index, tile.width)));
    res
      .set('Cache-Control', 'public, max-age=31536000, immutable')
      .type('application/octet-stream')
      .send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  };
}

/** Maps errors to `{ error: { code, message } }`; never a stack trace. */
function logReadErrors(onUnexpected?: (err: unknown, req: Request) => void): ErrorRequestHandler {
  const shared = errorHandler(onUnexpected);
  return (err, req, res, next) => {
    // Router-level decoding failures carry a 4xx status but no body-parser type.
    const status = (err as { status?: unknown } | null)?.status;
    if (!(err instanceof HttpError) && typeof status === 'number' && status >= 400 && status < 500) {
      if (!res.headersSent) res.status(400).json({ error: { code: 'BAD_REQUEST', message: 'malformed request' } });
      return;
    }
    shared(err, req, res, next);
  };
}

// ## The router

function createLogReadRouter(store: LogReader, options: LogReadOptions = {}): Router {
  if (typeof store !== 'object' || store === null) throw new TypeError('store must be a LogStore');
  const maxPage = options.maxPage ?? MAX_PAGE;
  if (!Number.isSafeInteger(maxPage) || maxPage < 1) throw new RangeError('maxPage must be a positive integer');
  const router = Router();
  router.get('/log/v1/checkpoint', checkpointHandler(store, options.minCosignatures ?? (() => 0)));
  router.get('/log/v1/entries', entriesHandler(store, maxPage));
  router.get('/log/v1/proof/inclusion', inclusionHandler(store));
  router.get('/log/v1/proof/consistency', consistencyHandler(store));
  const tiles = tileHandler(store);
  router.use('/log/v1/tile', (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    tiles(req, res);
  });
  router.use(logReadErrors(options.onUnexpected));
  return router;
}

export { createLogReadRouter, type LogReadOptions, type LogReader };
