/**
 * Reading a tree from C2SP tlog-tiles (docs/PROTOCOL.md §4.3, §4.4): which tiles
 * hold the hashes a proof needs, and a HashReader over those tiles, so that
 * ./proof answers any proof from a static mirror as it does from the store
 * (the shape of golang.org/x/mod/sumdb/tlog's TileHashReader). No network:
 * the caller fetches the tiles this module names and hands them back.
 */
import { abytes } from '../crypto/bytes';
import { HASH_SIZE, nodeHash } from './merkle';
import type { HashReader, TreeNode } from './proof';
import { TILE_HEIGHT, TILE_WIDTH, formatTilePath, tileWidthAt, type TilePath } from './tiles';

type HashTile = Extract<TilePath, { kind: 'hashes' }>;
type EntryTile = Extract<TilePath, { kind: 'entries' }>;

function assertSize(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`${name} must be an integer`);
  if (value < 0 || !Number.isSafeInteger(value)) throw new RangeError(`${name} must be in [0, 2^53 − 1], got ${value}`);
  return value;
}

/**
 * Where node (level l, index i) lives: tile level L = ⌊l / 8⌋ holds the nodes
 * of tree level 8L; the node is MTH of its 2^(l − 8L) hashes there, starting
 * at i·2^(l − 8L), all inside one tile because 2^(l − 8L) ≤ 128 divides 256.
 */
function locate(node: TreeNode): { level: number; first: number; count: number } {
  const level = Math.floor(node.level / TILE_HEIGHT);
  const count = 2 ** (node.level - level * TILE_HEIGHT);
  return { level, first: node.index * count, count };
}

/**
 * The hash tiles of the tree of `size` leaves that hold `nodes` (each a
 * complete subtree within the tree), each once, at the width that tree gives
 * it: `.p/W` on the right edge, full elsewhere (C2SP tlog-tiles).
 */
function tilesForNodes(nodes: readonly TreeNode[], size: number): HashTile[] {
  if (!Array.isArray(nodes)) throw new TypeError('nodes must be an array');
  assertSize(size, 'size');
  const seen = new Map<string, HashTile>();
  for (const node of nodes) {
    const { level, first, count } = locate(node);
    const index = Math.floor(first / TILE_WIDTH);
    const width = tileWidthAt(size, level, index);
    if (width < (first % TILE_WIDTH) + count) throw new RangeError(`node (${node.level}, ${node.index}) is not in the tree of size ${size}`);
    const tile: HashTile = { kind: 'hashes', level, index, width };
    seen.set(formatTilePath(tile), tile);
  }
  return [...seen.values()];
}

/** The entry bundles of the tree of `size` leaves that hold leaves [start, end) (requires end ≤ size). */
function entryTilesFor(start: number, end: number, size: number): EntryTile[] {
  assertSize(start, 'start');
  assertSize(end, 'end');
  assertSize(size, 'size');
  if (start > end || end > size) throw new RangeError(`need start ≤ end ≤ size, got [${start}, ${end}) of ${size}`);
  const tiles: EntryTile[] = [];
  if (start === end) return tiles;
  for (let index = Math.floor(start / TILE_WIDTH); index * TILE_WIDTH < end; index++) {
    tiles.push({ kind: 'entries', index, width: tileWidthAt(size, 0, index) });
  }
  return tiles;
}

/** MTH of 2^k consecutive hashes of one tile level: a complete subtree, hashed pairwise. */
function completeSubtree(hashes: Uint8Array[]): Uint8Array {
  let row = hashes;
  while (row.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < row.length; i += 2) next.push(nodeHash(row[i]!, row[i + 1]!));
    row = next;
  }
  return row[0]!;
}

/**
 * A HashReader over the hash tiles of the tree of `size` leaves. `readTile`
 * returns a tile's bytes (as fetched: attacker-controlled until a proof or a
 * root built from them verifies) and throws when it has none. A tile of the
 * wrong length throws: a missing or short tile is a fault, never a bad proof.
 */
class TileHashReader implements HashReader {
  readonly #size: number;
  readonly #readTile: (tile: HashTile) => Uint8Array;

  constructor(size: number, readTile: (tile: HashTile) => Uint8Array) {
    this.#size = assertSize(size, 'size');
    if (typeof readTile !== 'function') throw new TypeError('readTile must be a function');
    this.#readTile = readTile;
  }

  readHashes(nodes: readonly TreeNode[]): Uint8Array[] {
    const tiles = tilesForNodes(nodes, this.#size);
    const bytes = new Map<string, Uint8Array>();
    for (const tile of tiles) {
      const data = abytes(this.#readTile(tile), undefined, 'tile');
      if (data.length !== tile.width * HASH_SIZE) {
        throw new RangeError(`${formatTilePath(tile)} holds ${data.length} bytes, not ${tile.width * HASH_SIZE}`);
      }
      bytes.set(`${tile.level}/${tile.index}`, data);
    }
    return nodes.map((node) => {
      const { level, first, count } = locate(node);
      const data = bytes.get(`${level}/${Math.floor(first / TILE_WIDTH)}`)!;
      const offset = first % TILE_WIDTH;
      const hashes = Array.from({ length: count }, (_, i) => data.subarray((offset + i) * HASH_SIZE, (offset + i + 1) * HASH_SIZE));
      return completeSubtree(hashes);
    });
  }
}

export { type EntryTile, type HashTile, TileHashReader, entryTilesFor, tilesForNodes };
