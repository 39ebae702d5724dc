/**
 * A LogSource over C2SP tlog-tiles (docs/PROTOCOL.md §4.4, §9.9): a static
 * mirror, or the coordinator's own tiles at `<coordinator>/log/v1`. The
 * reading itself is the explorer's module, services/web/public/lib/tiles.js,
 * loaded here as is, so that the auditor, `custodes log mirror` and the
 * explorer read tiles with one implementation; this file adds timeouts,
 * retries, a size cap and the auditor's error codes. Everything fetched is
 * attacker-controlled and trusted only through the proofs and roots the
 * caller verifies.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TILE_WIDTH, type TilePath } from '@custodes/shared/log';
import { PUBLIC_DIR } from '@custodes/web';
import { AuditError, getText, trimBase, type FetchOptions, type LogSource } from './fetch';

type EntryTile = Extract<TilePath, { kind: 'entries' }>;

/** services/web/public/lib/tiles.js, typed by hand (it is plain JS with JSDoc). */
interface TileReader {
  checkpoint(): Promise<string>;
  tile(tile: TilePath): Promise<Uint8Array>;
  bundle(tile: EntryTile): Promise<Uint8Array[]>;
  entries(start: number, end: number, size: number, onPage?: (fetched: number) => void): Promise<Uint8Array[]>;
  inclusionProof(index: number, size: number): Promise<Uint8Array[]>;
  consistencyProof(from: number, to: number): Promise<Uint8Array[]>;
  treeHash(size: number): Promise<Uint8Array>;
}
interface TilesModule {
  TileReader: new (base: string, io: { fetchBytes: (url: string) => Promise<Uint8Array>; fetchText: (url: string) => Promise<string> }) => TileReader;
  TileError: new (...args: never[]) => Error & { code: string };
}

const TILES_JS = pathToFileURL(join(PUBLIC_DIR, 'lib', 'tiles.js')).href;

/** The largest tile: an entry bundle of 256 entries of at most 64 KiB, each with its u16 length. */
const MAX_TILE_BYTES = TILE_WIDTH * (2 + 0xffff);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `GET url` as bytes, capped at MAX_TILE_BYTES; 5xx, 429 and network failures are retried. */
async function getBytes(url: string, opts: FetchOptions): Promise<Uint8Array> {
  const retries = opts.retries ?? 2;
  for (let attempt = 0; ; attempt++) {
    let transient = true;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000), redirect: 'error' });
      if (!res.ok) {
        transient = res.status >= 500 || res.status === 429;
        await res.body?.cancel();
        throw new AuditError('FETCH_FAILED', `GET ${url}: ${res.status}`);
      }
      const declared = Number(res.headers.get('content-length') ?? '0');
      if (declared > MAX_TILE_BYTES) {
        transient = false;
        await res.body?.cancel();
        throw new AuditError('BAD_RESPONSE', `GET ${url}: ${declared} bytes is more than any tile`);
      }
      const body = new Uint8Array(await res.arrayBuffer());
      if (body.length > MAX_TILE_BYTES) {
        transient = false;
        throw new AuditError('BAD_RESPONSE', `GET ${url}: ${body.length} bytes is more than any tile`);
      }
      return body;
    } catch (err) {
      if (attempt >= retries || !transient) {
        if (err instanceof AuditError) throw err;
        throw new AuditError('FETCH_FAILED', `GET ${url}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
      }
      await sleep(Math.min(2000, 100 * 2 ** attempt));
    }
  }
}

/** A tlog-tiles reader rooted at `tilesUrl`. */
export class TileClient implements LogSource {
  readonly base: string;
  readonly #opts: FetchOptions;
  #reader: Promise<{ reader: TileReader; TileError: TilesModule['TileError'] }> | undefined;

  constructor(tilesUrl: string, opts: FetchOptions = {}) {
    this.base = trimBase(tilesUrl);
    this.#opts = opts;
  }

  /** Runs `f` on the shared reader; a malformed tile or bundle becomes BAD_RESPONSE. */
  async #read<T>(f: (reader: TileReader) => Promise<T>): Promise<T> {
    this.#reader ??= (import(TILES_JS) as Promise<TilesModule>).then((m) => ({
      reader: new m.TileReader(this.base, { fetchBytes: (url) => getBytes(url, this.#opts), fetchText: (url) => getText(url, this.#opts) }),
      TileError: m.TileError,
    }));
    const { reader, TileError } = await this.#reader;
    try {
      return await f(reader);
    } catch (err) {
      if (err instanceof TileError) throw new AuditError('BAD_RESPONSE', err.message);
      throw err;
    }
  }

  /** `GET <base>/checkpoint`: the signed note text. */
  checkpoint(): Promise<string> {
    return this.#read((r) => r.checkpoint());
  }

  /** One tile's bytes, unverified. */
  tile(tile: TilePath): Promise<Uint8Array> {
    return this.#read((r) => r.tile(tile));
  }

  /** An entry bundle's entries: exactly its width's (C2SP tlog-tiles). */
  bundle(tile: EntryTile): Promise<Uint8Array[]> {
    return this.#read((r) => r.bundle(tile));
  }

  /** Leaves [start, end) of the tree of `size` leaves. */
  entries(start: number, end: number, size: number, onPage?: (fetched: number) => void): Promise<Uint8Array[]> {
    return this.#read((r) => r.entries(start, end, size, onPage));
  }

  /** PROOF(from, D[0:to]) from the hash tiles of the tree of `to` leaves (RFC 9162 §2.1.4.1). */
  consistency(from: number, to: number): Promise<Uint8Array[]> {
    return this.#read((r) => r.consistencyProof(from, to));
  }
}
