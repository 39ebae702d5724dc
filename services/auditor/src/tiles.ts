/**
 * A LogSource over a static C2SP tlog-tiles mirror (docs/PROTOCOL.md §4.4, §9.9):
 * `<base>/checkpoint`, `<base>/tile/<L>/<N>[.p/<W>]` and
 * `<base>/tile/entries/<N>[.p/<W>]`, from any web server or the coordinator
 * itself (`<coordinator>/log/v1`). Proofs are computed here from hash tiles
 * (shared/src/log/tileReader.ts); everything fetched is attacker-controlled
 * and is trusted only through the proofs and roots the caller verifies.
 */
import {
  TILE_WIDTH,
  TileHashReader,
  consistencyProof,
  consistencyRanges,
  decodeEntryBundle,
  entryTilesFor,
  formatTilePath,
  LogError,
  subtreeNodes,
  tilesForNodes,
  type TilePath,
} from '@custodes/shared/log';
import { AuditError, getText, trimBase, type FetchOptions, type LogSource } from './fetch';

/** The largest tile: an entry bundle of 256 entries of at most 64 KiB, each with its u16 length. */
const MAX_TILE_BYTES = TILE_WIDTH * (2 + 0xffff);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `GET url` as bytes, capped at MAX_TILE_BYTES; 5xx and network failures are retried. */
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

/** A C2SP tlog-tiles reader rooted at `tilesUrl`. */
export class TileClient implements LogSource {
  readonly base: string;
  readonly #opts: FetchOptions;

  constructor(tilesUrl: string, opts: FetchOptions = {}) {
    this.base = trimBase(tilesUrl);
    this.#opts = opts;
  }

  /** `GET <base>/checkpoint`: the signed note text. */
  checkpoint(): Promise<string> {
    return getText(`${this.base}/checkpoint`, this.#opts);
  }

  /** One tile's bytes, unverified. */
  tile(tile: TilePath): Promise<Uint8Array> {
    return getBytes(`${this.base}/${formatTilePath(tile)}`, this.#opts);
  }

  /** Entry bundles, decoded: each must hold exactly its width's entries (C2SP tlog-tiles §Log entries). */
  async bundle(tile: Extract<TilePath, { kind: 'entries' }>): Promise<Uint8Array[]> {
    const bytes = await this.tile(tile);
    let entries: Uint8Array[];
    try {
      entries = decodeEntryBundle(bytes);
    } catch (err) {
      if (err instanceof LogError) throw new AuditError('BAD_RESPONSE', `${this.base}/${formatTilePath(tile)}: ${err.message}`);
      throw err;
    }
    if (entries.length !== tile.width) {
      throw new AuditError('BAD_RESPONSE', `${this.base}/${formatTilePath(tile)}: holds ${entries.length} entries, not ${tile.width}`);
    }
    return entries;
  }

  /** Leaves [start, end) of the tree of `size` leaves, bundle by bundle. */
  async entries(start: number, end: number, size: number, onPage?: (fetched: number) => void): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for (const tile of entryTilesFor(start, end, size)) {
      const first = tile.index * TILE_WIDTH;
      const entries = await this.bundle(tile);
      out.push(...entries.slice(Math.max(0, start - first), end - first));
      onPage?.(out.length);
    }
    return out;
  }

  /** PROOF(from, D[0:to]) computed from the hash tiles of the tree of `to` leaves (RFC 9162 §2.1.4.1). */
  async consistency(from: number, to: number): Promise<Uint8Array[]> {
    if (from === 0 || from === to) return [];
    const nodes = consistencyRanges(from, to).flatMap(([lo, hi]) => subtreeNodes(lo, hi));
    const tiles = new Map<string, Uint8Array>();
    for (const tile of tilesForNodes(nodes, to)) tiles.set(formatTilePath(tile), await this.tile(tile));
    const reader = new TileHashReader(to, (tile) => {
      const data = tiles.get(formatTilePath(tile));
      if (data === undefined) throw new RangeError(`${formatTilePath(tile)} was not fetched`);
      return data;
    });
    try {
      return consistencyProof(from, to, reader);
    } catch (err) {
      // A tile of the wrong length: the mirror's answer, not a proof that fails.
      if (err instanceof RangeError) throw new AuditError('BAD_RESPONSE', `${this.base}: ${err.message}`);
      throw err;
    }
  }
}
