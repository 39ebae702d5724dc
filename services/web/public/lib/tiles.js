// @ts-check
/**
 * Reading a log from C2SP tlog-tiles (docs/PROTOCOL.md §4.4, §9.9): the one
 * reader of tiles, used by the explorer in the browser (`?tiles=URL`) and,
 * loaded in Node, by the auditor (`audit verify --tiles`) and `custodes log
 * mirror` (services/auditor/src/tiles.ts). Plain JS with WebCrypto SHA-256
 * (./merkle.js), so that both run the same code.
 *
 * Layout: `<base>/checkpoint`, `<base>/tile/<L>/<N>[.p/<W>]` (hash tiles,
 * height 8: hash i of tile (L, N) is the node of tree level 8L at index
 * 256N + i) and `<base>/tile/entries/<N>[.p/<W>]` (entry bundles: per entry
 * a big-endian u16 length, then its bytes). `<N>` is written in 3-digit
 * groups, all but the last prefixed `x`. A partial tile `.p/W` holds the first
 * W hashes or entries of a tile the tree does not fill.
 *
 * Proofs are computed here as in RFC 9162 §2.1 from the hashes the tiles
 * hold. Everything fetched is attacker-controlled: a caller trusts entries and
 * proofs only after checking them against a verified checkpoint's root. A
 * tile of the wrong length or a malformed bundle throws TileError.
 */
import { nodeHash } from './merkle.js';

/** A tile spans 8 tree levels, 256 hashes or entries wide (C2SP tlog-tiles). */
const TILE_HEIGHT = 8;
const TILE_WIDTH = 256;
const HASH_SIZE = 32;

class TileError extends Error {
  /** @param {'BAD_TILE' | 'BAD_BUNDLE'} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.name = 'TileError';
    this.code = code;
  }
}

/**
 * @typedef {{ kind: 'hashes', level: number, index: number, width: number }} HashTile
 * @typedef {{ kind: 'entries', index: number, width: number }} EntryTile
 * @typedef {{ level: number, index: number }} TreeNode  the complete subtree over leaves [index·2^level, (index+1)·2^level)
 */

/** @param {unknown} v @param {string} name @returns {number} */
function count(v, name) {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be an integer in [0, 2^53 − 1]`);
  return v;
}

// ## Paths

/** `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`. @param {HashTile | EntryTile} tile */
function tilePath(tile) {
  const groups = [];
  let n = count(tile.index, 'index');
  do {
    groups.unshift(String(n % 1000).padStart(3, '0'));
    n = Math.floor(n / 1000);
  } while (n > 0);
  const index = groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
  const prefix = tile.kind === 'entries' ? 'tile/entries' : `tile/${count(tile.level, 'level')}`;
  return `${prefix}/${index}${tile.width === TILE_WIDTH ? '' : `.p/${tile.width}`}`;
}

/** How many hashes of tile (`level`, `index`) the tree of `size` leaves fills, 0..256. @param {number} size @param {number} level @param {number} index */
function tileWidthAt(size, level, index) {
  const available = Math.floor(size / TILE_WIDTH ** level) - index * TILE_WIDTH;
  return Math.max(0, Math.min(TILE_WIDTH, available));
}

/**
 * The entry bundles of the tree of `size` leaves that hold leaves [start, end).
 * @param {number} start @param {number} end @param {number} size @returns {EntryTile[]}
 */
function entryTilesFor(start, end, size) {
  count(start, 'start');
  count(end, 'end');
  count(size, 'size');
  if (start > end || end > size) throw new RangeError(`need start ≤ end ≤ size, got [${start}, ${end}) of ${size}`);
  /** @type {EntryTile[]} */
  const tiles = [];
  if (start === end) return tiles;
  for (let index = Math.floor(start / TILE_WIDTH); index * TILE_WIDTH < end; index++) {
    tiles.push({ kind: 'entries', index, width: tileWidthAt(size, 0, index) });
  }
  return tiles;
}

/**
 * Where node (l, i) lives: tile level L = ⌊l / 8⌋ holds tree level 8L; the
 * node is the MTH of its 2^(l − 8L) hashes there from i·2^(l − 8L), inside one
 * tile since 2^(l − 8L) ≤ 128 divides 256.
 * @param {TreeNode} node
 */
function locate(node) {
  const level = Math.floor(node.level / TILE_HEIGHT);
  const span = 2 ** (node.level - level * TILE_HEIGHT);
  const first = node.index * span;
  return { level, tileIndex: Math.floor(first / TILE_WIDTH), offset: first % TILE_WIDTH, span };
}

/**
 * The hash tiles of the tree of `size` leaves holding `nodes`, each once.
 * @param {readonly TreeNode[]} nodes @param {number} size @returns {HashTile[]}
 */
function tilesForNodes(nodes, size) {
  count(size, 'size');
  /** @type {Map<string, HashTile>} */
  const tiles = new Map();
  for (const node of nodes) {
    const { level, tileIndex, offset, span } = locate(node);
    const width = tileWidthAt(size, level, tileIndex);
    if (width < offset + span) throw new RangeError(`node (${node.level}, ${node.index}) is not in the tree of size ${size}`);
    /** @type {HashTile} */
    const tile = { kind: 'hashes', level, index: tileIndex, width };
    tiles.set(tilePath(tile), tile);
  }
  return [...tiles.values()];
}

// ## Proof shapes (RFC 9162 §2.1.3.1, §2.1.4.1), as ranges of leaves

/** The largest power of two k < n, for n ≥ 2. @param {number} n */
function splitPoint(n) {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** The complete subtrees that tile [lo, hi), left to right. @param {number} lo @param {number} hi @returns {TreeNode[]} */
function subtreeNodes(lo, hi) {
  /** @type {TreeNode[]} */
  const nodes = [];
  while (lo < hi) {
    let width = 1;
    let level = 0;
    while (lo % (width * 2) === 0 && lo + width * 2 <= hi) {
      width *= 2;
      level += 1;
    }
    nodes.push({ level, index: lo / width });
    lo += width;
  }
  return nodes;
}

/** PATH(index, D[0:size]) as ranges, leaf side first. @param {number} index @param {number} size @returns {[number, number][]} */
function inclusionRanges(index, size) {
  /** @type {[number, number][]} */
  const ranges = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      ranges.push([lo + k, hi]);
      hi = lo + k;
    } else {
      ranges.push([lo, lo + k]);
      lo += k;
    }
  }
  return ranges.reverse();
}

/** PROOF(size1, D[0:size2]) as ranges, leaf side first; requires 0 < size1 < size2. @param {number} size1 @param {number} size2 @returns {[number, number][]} */
function consistencyRanges(size1, size2) {
  /** @type {[number, number][]} */
  const ranges = [];
  let lo = 0;
  let hi = size2;
  let complete = true;
  while (size1 !== hi) {
    const k = splitPoint(hi - lo);
    if (size1 <= lo + k) {
      ranges.push([lo + k, hi]);
      hi = lo + k;
    } else {
      ranges.push([lo, lo + k]);
      lo += k;
      complete = false;
    }
  }
  if (!complete) ranges.push([lo, hi]);
  return ranges.reverse();
}

// ## Bundles

/** Splits an entry bundle (attacker-controlled). @param {Uint8Array} bundle @returns {Uint8Array[]} */
function decodeEntryBundle(bundle) {
  /** @type {Uint8Array[]} */
  const entries = [];
  let offset = 0;
  while (offset < bundle.length) {
    if (entries.length === TILE_WIDTH) throw new TileError('BAD_BUNDLE', 'bundle holds more than 256 entries');
    if (offset + 2 > bundle.length) throw new TileError('BAD_BUNDLE', 'bundle ends inside a length prefix');
    const length = (/** @type {number} */ (bundle[offset]) << 8) | /** @type {number} */ (bundle[offset + 1]);
    const end = offset + 2 + length;
    if (end > bundle.length) throw new TileError('BAD_BUNDLE', 'bundle ends inside an entry');
    entries.push(bundle.slice(offset + 2, end));
    offset = end;
  }
  return entries;
}

// ## The reader

/** MTH of 2^k consecutive hashes: a complete subtree, hashed pairwise. @param {Uint8Array[]} hashes @returns {Promise<Uint8Array>} */
async function completeSubtree(hashes) {
  let row = hashes;
  while (row.length > 1) {
    /** @type {Promise<Uint8Array>[]} */
    const next = [];
    for (let i = 0; i < row.length; i += 2) next.push(nodeHash(/** @type {Uint8Array} */ (row[i]), /** @type {Uint8Array} */ (row[i + 1])));
    row = await Promise.all(next);
  }
  return /** @type {Uint8Array} */ (row[0]);
}

/** MTH(D[lo:hi]) from the hashes of subtreeNodes(lo, hi): fold right to left. @param {Uint8Array[]} hashes */
async function foldRange(hashes) {
  let acc = /** @type {Uint8Array} */ (hashes[hashes.length - 1]);
  for (let i = hashes.length - 2; i >= 0; i--) acc = await nodeHash(/** @type {Uint8Array} */ (hashes[i]), acc);
  return acc;
}

/** @param {string} url @returns {Promise<Uint8Array>} */
async function defaultFetchBytes(url) {
  const res = await fetch(url, { credentials: 'omit', redirect: 'error' });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** @param {string} url @returns {Promise<string>} */
async function defaultFetchText(url) {
  const res = await fetch(url, { credentials: 'omit', redirect: 'error', cache: 'no-store' });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return res.text();
}

class TileReader {
  /**
   * @param {string} base  the tiles root: a mirror's URL or `<coordinator>/log/v1`
   * @param {{ fetchBytes?: (url: string) => Promise<Uint8Array>, fetchText?: (url: string) => Promise<string> }} [io]
   */
  constructor(base, io = {}) {
    if (typeof base !== 'string') throw new TypeError('base must be a URL string');
    this.base = base.replace(/\/+$/, '');
    this.fetchBytes = io.fetchBytes ?? defaultFetchBytes;
    this.fetchText = io.fetchText ?? defaultFetchText;
  }

  /** The signed checkpoint note, unverified. @returns {Promise<string>} */
  checkpoint() {
    return this.fetchText(`${this.base}/checkpoint`);
  }

  /** One tile's bytes; a hash tile must hold exactly its width's hashes. @param {HashTile | EntryTile} tile */
  async tile(tile) {
    const bytes = await this.fetchBytes(`${this.base}/${tilePath(tile)}`);
    if (tile.kind === 'hashes' && bytes.length !== tile.width * HASH_SIZE) {
      throw new TileError('BAD_TILE', `${this.base}/${tilePath(tile)} holds ${bytes.length} bytes, not ${tile.width * HASH_SIZE}`);
    }
    return bytes;
  }

  /** An entry bundle's entries: exactly its width's. @param {EntryTile} tile @returns {Promise<Uint8Array[]>} */
  async bundle(tile) {
    const where = `${this.base}/${tilePath(tile)}`;
    let entries;
    try {
      entries = decodeEntryBundle(await this.tile(tile));
    } catch (err) {
      if (err instanceof TileError) throw new TileError('BAD_BUNDLE', `${where}: ${err.message}`);
      throw err;
    }
    if (entries.length !== tile.width) throw new TileError('BAD_BUNDLE', `${where} holds ${entries.length} entries, not ${tile.width}`);
    return entries;
  }

  /**
   * Leaves [start, end) of the tree of `size` leaves, bundle by bundle.
   * @param {number} start @param {number} end @param {number} size @param {(fetched: number) => void} [onPage]
   * @returns {Promise<Uint8Array[]>}
   */
  async entries(start, end, size, onPage) {
    /** @type {Uint8Array[]} */
    const out = [];
    for (const tile of entryTilesFor(start, end, size)) {
      const first = tile.index * TILE_WIDTH;
      out.push(...(await this.bundle(tile)).slice(Math.max(0, start - first), end - first));
      onPage?.(out.length);
    }
    return out;
  }

  /**
   * MTH(D[lo:hi]) for each range, from the hash tiles of the tree of `size` leaves (one fetch per tile).
   * @param {readonly [number, number][]} ranges @param {number} size @returns {Promise<Uint8Array[]>}
   */
  async rangeHashes(ranges, size) {
    const perRange = ranges.map(([lo, hi]) => subtreeNodes(lo, hi));
    const tiles = tilesForNodes(perRange.flat(), size);
    const data = new Map(await Promise.all(tiles.map(async (t) => /** @type {const} */ ([`${t.level}/${t.index}`, await this.tile(t)]))));
    /** @param {TreeNode} node */
    const hashOf = (node) => {
      const { level, tileIndex, offset, span } = locate(node);
      const bytes = /** @type {Uint8Array} */ (data.get(`${level}/${tileIndex}`));
      return completeSubtree(Array.from({ length: span }, (_, i) => bytes.subarray((offset + i) * HASH_SIZE, (offset + i + 1) * HASH_SIZE)));
    };
    return Promise.all(perRange.map(async (nodes) => foldRange(await Promise.all(nodes.map(hashOf)))));
  }

  /** PATH(index, D[0:size]) (RFC 9162 §2.1.3.1); requires 0 ≤ index < size. @param {number} index @param {number} size */
  async inclusionProof(index, size) {
    count(index, 'index');
    if (index >= count(size, 'size')) throw new RangeError(`index must be < size, got ${index} of ${size}`);
    return this.rangeHashes(inclusionRanges(index, size), size);
  }

  /** PROOF(from, D[0:to]) (RFC 9162 §2.1.4.1); empty when from = 0 or from = to. @param {number} from @param {number} to */
  async consistencyProof(from, to) {
    count(from, 'from');
    if (from > count(to, 'to')) throw new RangeError(`from must be ≤ to, got ${from} > ${to}`);
    if (from === 0 || from === to) return [];
    return this.rangeHashes(consistencyRanges(from, to), to);
  }

  /** MTH(D[0:size]) from the hash tiles. @param {number} size */
  async treeHash(size) {
    if (count(size, 'size') === 0) return new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(0)));
    const [root] = await this.rangeHashes([[0, size]], size);
    return /** @type {Uint8Array} */ (root);
  }
}

export { TILE_WIDTH, TileError, TileReader, decodeEntryBundle, entryTilesFor, tilePath, tileWidthAt, tilesForNodes };
