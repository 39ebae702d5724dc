/**
 * C2SP tlog-tiles: tile and entry-bundle paths, which hashes a tile holds,
 * and the entry-bundle encoding (u16 big-endian length, then the bytes).
 * Paths are parsed strictly: exactly one text per tile.
 */
import { abytes } from '../crypto/bytes';
import { LogError } from './errors';
import type { TreeNode } from './proof';

// ## Parameters (C2SP tlog-tiles §Merkle Tree)

/** A tile spans 8 tree levels... */
const TILE_HEIGHT = 8;
/** ...so a full tile holds 2^8 hashes. */
const TILE_WIDTH = 256;
const MAX_TILE_LEVEL = 63;
/** Entry bundles prefix each entry with a u16 length. */
const MAX_ENTRY_BYTES = 0xffff;

/** `tile/<L>/<N>[.p/<W>]` (hashes) or `tile/entries/<N>[.p/<W>]`; width 256 is a full tile. */
type TilePath =
  | { readonly kind: 'hashes'; readonly level: number; readonly index: number; readonly width: number }
  | { readonly kind: 'entries'; readonly index: number; readonly width: number };

// ## Paths

function assertInteger(value: unknown, min: number, max: number, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`${name} must be an integer`);
  if (value < min || value > max) throw new RangeError(`${name} must be in [${min}, ${max}], got ${value}`);
  return value;
}

/** `<N>` as zero-padded 3-digit elements, all but the last prefixed `x`: 1234067 → `x001/x234/067`. */
function formatTileIndex(index: number): string {
  assertInteger(index, 0, Number.MAX_SAFE_INTEGER, 'index');
  const groups: string[] = [];
  let n = index;
  do {
    groups.unshift(String(n % 1000).padStart(3, '0'));
    n = Math.floor(n / 1000);
  } while (n > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

function formatTilePath(tile: TilePath): string {
  if (typeof tile !== 'object' || tile === null) throw new TypeError('tile must be an object');
  assertInteger(tile.width, 1, TILE_WIDTH, 'width');
  let prefix: string;
  if (tile.kind === 'entries') prefix = 'tile/entries';
  else if (tile.kind === 'hashes') prefix = `tile/${assertInteger(tile.level, 0, MAX_TILE_LEVEL, 'level')}`;
  else throw new TypeError('tile.kind must be "hashes" or "entries"');
  const suffix = tile.width === TILE_WIDTH ? '' : `.p/${tile.width}`;
  return `${prefix}/${formatTileIndex(tile.index)}${suffix}`;
}

function fail(message: string): never {
  throw new LogError('BAD_TILE_PATH', message);
}

/** Index values stay exact: at most 16 decimal digits, i.e. 6 elements. */
const MAX_INDEX_ELEMENTS = 6;

function parseTileIndex(elements: readonly string[]): number {
  if (elements.length === 0 || elements.length > MAX_INDEX_ELEMENTS) fail('tile index has the wrong number of elements');
  let digits = '';
  elements.forEach((element, i) => {
    const last = i === elements.length - 1;
    if (!(last ? /^[0-9]{3}$/ : /^x[0-9]{3}$/).test(element)) {
      fail('tile index elements must be 3 digits, all but the last prefixed "x"');
    }
    digits += last ? element : element.slice(1);
  });
  // Canonical form: no leading all-zero element (x000/005 is 005).
  if (elements.length > 1 && elements[0] === 'x000') fail('tile index has a leading zero element');
  const index = Number(digits);
  if (!Number.isSafeInteger(index)) fail('tile index is too large');
  return index;
}

/**
 * Parses `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]` (attacker-
 * controlled): L in 0..63 and W in 1..255 without leading zeroes.
 */
function parseTilePath(path: string): TilePath {
  if (typeof path !== 'string') throw new TypeError('path must be a string');
  if (path.length > 128) fail('tile path is too long');
  const parts = path.split('/');
  if (parts[0] !== 'tile' || parts.length < 3) fail('tile path must start with "tile/"');
  const levelText = parts[1]!;
  let elements = parts.slice(2);
  let width = TILE_WIDTH;
  const penultimate = elements.at(-2);
  if (penultimate !== undefined && penultimate.endsWith('.p')) {
    const widthText = elements.at(-1)!;
    if (!/^[1-9][0-9]{0,2}$/.test(widthText) || Number(widthText) >= TILE_WIDTH) {
      fail('partial tile width must be a decimal in 1..255');
    }
    width = Number(widthText);
    elements = [...elements.slice(0, -2), penultimate.slice(0, -2)];
  }
  const index = parseTileIndex(elements);
  if (levelText === 'entries') return { kind: 'entries', index, width };
  if (!/^(?:0|[1-9][0-9]?)$/.test(levelText) || Number(levelText) > MAX_TILE_LEVEL) {
    fail('tile level must be a decimal in 0..63');
  }
  return { kind: 'hashes', level: Number(levelText), index, width };
}

// ## Tile contents

/** Number of hashes of tile level `level` that exist in a tree of `size` leaves: ⌊size / 256^level⌋. */
function hashesAtTileLevel(size: number, level: number): number {
  assertInteger(size, 0, Number.MAX_SAFE_INTEGER, 'size');
  assertInteger(level, 0, MAX_TILE_LEVEL, 'level');
  // 256^level is a power of two, so the division is exact in floating point.
  return Math.floor(size / TILE_WIDTH ** level);
}

/**
 * How many hashes of tile (`level`, `index`) a tree of `size` leaves fills
 * (0..256). Entry bundles use level 0.
 */
function tileWidthAt(size: number, level: number, index: number): number {
  assertInteger(index, 0, Number.MAX_SAFE_INTEGER, 'index');
  const available = hashesAtTileLevel(size, level) - index * TILE_WIDTH;
  return Math.max(0, Math.min(TILE_WIDTH, available));
}

/**
 * The tree nodes a hash tile holds: hash i of tile (L, N) is
 * `MTH(D[(N·256 + i)·256^L : (N·256 + i + 1)·256^L])`, the node at tree level 8L.
 */
function tileNodes(level: number, index: number, width: number): TreeNode[] {
  assertInteger(level, 0, MAX_TILE_LEVEL, 'level');
  assertInteger(index, 0, Number.MAX_SAFE_INTEGER, 'index');
  assertInteger(width, 1, TILE_WIDTH, 'width');
  const first = index * TILE_WIDTH;
  return Array.from({ length: width }, (_, i) => ({ level: level * TILE_HEIGHT, index: first + i }));
}

/**
 * The entry bundles of the tree of `size` leaves that hold leaves [start, end),
 * at the widths that tree gives them (requires start ≤ end ≤ size). The
 * browser's reader (services/web/public/lib/tiles.js) has the same function.
 */
function entryTilesFor(start: number, end: number, size: number): Extract<TilePath, { kind: 'entries' }>[] {
  assertInteger(start, 0, Number.MAX_SAFE_INTEGER, 'start');
  assertInteger(end, 0, Number.MAX_SAFE_INTEGER, 'end');
  assertInteger(size, 0, Number.MAX_SAFE_INTEGER, 'size');
  if (start > end || end > size) throw new RangeError(`need start ≤ end ≤ size, got [${start}, ${end}) of ${size}`);
  const tiles: Extract<TilePath, { kind: 'entries' }>[] = [];
  if (start === end) return tiles;
  for (let index = Math.floor(start / TILE_WIDTH); index * TILE_WIDTH < end; index++) {
    tiles.push({ kind: 'entries', index, width: tileWidthAt(size, 0, index) });
  }
  return tiles;
}

// ## Entry bundles (C2SP tlog-tiles §Log entries)

function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  if (!Array.isArray(entries)) throw new TypeError('entries must be an array');
  let total = 0;
  entries.forEach((e, i) => {
    abytes(e, undefined, `entries[${i}]`);
    if (e.length > MAX_ENTRY_BYTES) throw new RangeError(`entries[${i}] exceeds ${MAX_ENTRY_BYTES} bytes`);
    total += 2 + e.length;
  });
  const out = new Uint8Array(total);
  let offset = 0;
  for (const e of entries) {
    out[offset] = e.length >>> 8;
    out[offset + 1] = e.length & 0xff;
    out.set(e, offset + 2);
    offset += 2 + e.length;
  }
  return out;
}

/** Splits a bundle (attacker-controlled); throws on a truncated entry or more than 256 entries. */
function decodeEntryBundle(bundle: Uint8Array): Uint8Array[] {
  abytes(bundle, undefined, 'bundle');
  const entries: Uint8Array[] = [];
  let offset = 0;
  while (offset < bundle.length) {
    if (entries.length === TILE_WIDTH) throw new LogError('BAD_ENTRY_BUNDLE', 'bundle holds more than 256 entries');
    if (offset + 2 > bundle.length) throw new LogError('BAD_ENTRY_BUNDLE', 'bundle ends inside a length prefix');
    const length = (bundle[offset]! << 8) | bundle[offset + 1]!;
    const end = offset + 2 + length;
    if (end > bundle.length) throw new LogError('BAD_ENTRY_BUNDLE', 'bundle ends inside an entry');
    entries.push(bundle.slice(offset + 2, end));
    offset = end;
  }
  return entries;
}

export {
  MAX_ENTRY_BYTES,
  MAX_TILE_LEVEL,
  TILE_HEIGHT,
  TILE_WIDTH,
  type TilePath,
  decodeEntryBundle,
  encodeEntryBundle,
  entryTilesFor,
  formatTileIndex,
  formatTilePath,
  hashesAtTileLevel,
  parseTilePath,
  tileNodes,
  tileWidthAt,
};
