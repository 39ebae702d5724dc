/**
 * Proofs read from C2SP tlog-tiles (shared/src/log/tileReader.ts) equal the
 * proofs read from every stored hash, for every size across tile edges; a
 * short or altered tile fails loudly or breaks the proof.
 */
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../../shared/src/crypto/bytes';
import {
  MemoryTree,
  TILE_WIDTH,
  TileHashReader,
  consistencyProof,
  entryTilesFor,
  formatTilePath,
  inclusionProof,
  tileNodes,
  tilesForNodes,
  treeHash,
  verifyConsistency,
  type HashTile,
} from '../../shared/src/log/index';

/** A tree of n leaves (level-0 tiles need > 256·256 leaves for level 2; level 1 is enough here). */
function tree(n: number): MemoryTree {
  const t = new MemoryTree();
  for (let i = 0; i < n; i++) t.append(new TextEncoder().encode(`leaf ${i}`));
  return t;
}

/** The tiles a server of the tree of `size` leaves would serve, by path. */
function served(t: MemoryTree, size: number, reads: string[] = []): (tile: HashTile) => Uint8Array {
  return (tile) => {
    const path = formatTilePath(tile);
    reads.push(path);
    const nodes = tileNodes(tile.level, tile.index, tile.width);
    if (nodes.some((n) => n.index >= Math.floor(size / 2 ** n.level))) throw new Error(`${path} is beyond the tree`);
    return concatBytes(...t.readHashes(nodes));
  };
}

const big = tree(3 * TILE_WIDTH + 17);
const sizes = [1, 2, 3, 7, 8, 255, 256, 257, 511, 512, 513, 700, 768, 3 * TILE_WIDTH + 17];

describe('TileHashReader', () => {
  it('answers tree hashes, inclusion and consistency proofs as the full store does', () => {
    for (const size of sizes) {
      const reader = new TileHashReader(size, served(big, size));
      expect(treeHash(size, reader)).toEqual(big.root(size));
      for (const index of [0, 1, size >> 1, size - 1].filter((i) => i < size)) {
        expect(inclusionProof(index, size, reader)).toEqual(big.inclusionProof(index, size));
      }
      for (const from of [1, 2, 255, 256, 300, size]) {
        if (from > size) continue;
        const proof = consistencyProof(from, size, reader);
        expect(proof).toEqual(big.consistencyProof(from, size));
        expect(verifyConsistency(from, size, proof, big.root(from), big.root(size))).toBe(true);
      }
    }
  });

  it('reads each tile once per batch, partial tiles at the width the tree gives them', () => {
    const reads: string[] = [];
    const size = 3 * TILE_WIDTH + 17;
    treeHash(size, new TileHashReader(size, served(big, size, reads)));
    expect(reads.sort()).toEqual(['tile/0/003.p/17', 'tile/1/000.p/3']);
  });

  it('an altered tile byte breaks the proof; a short tile throws', () => {
    const size = 700;
    const flip = (tile: HashTile) => {
      const data = served(big, size)(tile).slice();
      if (tile.level === 0 && tile.index === 1) data[5]! ^= 1;
      return data;
    };
    const proof = consistencyProof(300, size, new TileHashReader(size, flip));
    expect(verifyConsistency(300, size, proof, big.root(300), big.root(size))).toBe(false);
    const short = (tile: HashTile) => served(big, size)(tile).subarray(32);
    expect(() => treeHash(size, new TileHashReader(size, short))).toThrow(/holds \d+ bytes, not/);
  });

  it('refuses nodes outside the tree', () => {
    expect(() => tilesForNodes([{ level: 0, index: 10 }], 10)).toThrow(RangeError);
    expect(() => tilesForNodes([{ level: 9, index: 0 }], 511)).toThrow(RangeError);
    expect(tilesForNodes([{ level: 9, index: 0 }], 512)).toEqual([{ kind: 'hashes', level: 1, index: 0, width: 2 }]);
    expect(() => new TileHashReader(-1, () => new Uint8Array())).toThrow(RangeError);
  });
});

describe('entryTilesFor', () => {
  it('names the bundles holding a range at the widths of the tree', () => {
    expect(entryTilesFor(0, 1, 1000).map(formatTilePath)).toEqual(['tile/entries/000']);
    expect(entryTilesFor(250, 600, 600).map(formatTilePath)).toEqual(['tile/entries/000', 'tile/entries/001', 'tile/entries/002.p/88']);
    expect(entryTilesFor(5, 5, 10)).toEqual([]);
    expect(() => entryTilesFor(0, 11, 10)).toThrow(RangeError);
  });
});
