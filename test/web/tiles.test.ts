/**
 * services/web/public/lib/tiles.js, the one tile reader (explorer, auditor,
 * mirror), run in Node: proofs it computes from C2SP tlog-tiles equal the
 * proofs from every stored hash for sizes across tile edges; each tile is
 * fetched once; an altered tile breaks the proof and a short one is refused;
 * its paths and bundle decoding agree with the writer's (shared/src/log/tiles.ts).
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { concatBytes } from '@custodes/shared/crypto';
import {
  MemoryTree,
  TILE_WIDTH,
  decodeEntryBundle,
  encodeEntryBundle,
  entryTilesFor,
  formatTilePath,
  parseTilePath,
  tileNodes,
  verifyConsistency,
  verifyInclusion,
  leafHash,
  type TilePath,
} from '@custodes/shared/log';
import { PUBLIC_DIR } from '../../services/web/src/index';

interface Reader {
  tile(t: TilePath): Promise<Uint8Array>;
  entries(start: number, end: number, size: number): Promise<Uint8Array[]>;
  inclusionProof(index: number, size: number): Promise<Uint8Array[]>;
  consistencyProof(from: number, to: number): Promise<Uint8Array[]>;
  treeHash(size: number): Promise<Uint8Array>;
}
interface TilesModule {
  TileReader: new (base: string, io: { fetchBytes: (url: string) => Promise<Uint8Array>; fetchText: (url: string) => Promise<string> }) => Reader;
  tilePath(t: TilePath): string;
  entryTilesFor(start: number, end: number, size: number): TilePath[];
  decodeEntryBundle(b: Uint8Array): Uint8Array[];
}
const tiles = (await import(pathToFileURL(join(PUBLIC_DIR, 'lib', 'tiles.js')).href)) as TilesModule;

const leaves = Array.from({ length: 3 * TILE_WIDTH + 17 }, (_, i) => new TextEncoder().encode(`leaf ${i}`));
const big = new MemoryTree();
for (const l of leaves) big.append(l);

/** A reader of the tiles a server of the first `size` leaves would serve; `edit` may alter a tile's bytes. */
function reader(size: number, reads: string[] = [], edit?: (path: string, bytes: Uint8Array) => Uint8Array): Reader {
  const fetchBytes = async (url: string) => {
    const path = url.slice('http://mirror.test/'.length);
    reads.push(path);
    const tile = parseTilePath(path);
    let bytes: Uint8Array;
    if (tile.kind === 'entries') {
      bytes = encodeEntryBundle(leaves.slice(tile.index * TILE_WIDTH, tile.index * TILE_WIDTH + tile.width));
    } else {
      const nodes = tileNodes(tile.level, tile.index, tile.width);
      if (nodes.some((n) => n.index >= Math.floor(size / 2 ** n.level))) throw new Error(`${path} is beyond the tree`);
      bytes = concatBytes(...big.readHashes(nodes));
    }
    return edit ? edit(path, bytes) : bytes;
  };
  return new tiles.TileReader('http://mirror.test/', { fetchBytes, fetchText: async () => '' });
}

const sizes = [1, 2, 3, 7, 8, 255, 256, 257, 511, 512, 513, 700, 768, 3 * TILE_WIDTH + 17];

describe('lib/tiles.js TileReader', () => {
  it('computes tree hashes, inclusion and consistency proofs equal to the full store\'s', async () => {
    for (const size of sizes) {
      const r = reader(size);
      expect(await r.treeHash(size)).toEqual(big.root(size));
      for (const index of [0, 1, size >> 1, size - 1].filter((i) => i < size)) {
        const proof = await r.inclusionProof(index, size);
        expect(proof).toEqual(big.inclusionProof(index, size));
        expect(verifyInclusion(index, size, leafHash(leaves[index]!), proof, big.root(size))).toBe(true);
      }
      for (const from of [1, 2, 255, 256, 300, size].filter((f) => f <= size)) {
        const proof = await r.consistencyProof(from, size);
        expect(proof).toEqual(big.consistencyProof(from, size));
        expect(verifyConsistency(from, size, proof, big.root(from), big.root(size))).toBe(true);
      }
    }
  });

  it('fetches each tile once, partial tiles at the width the tree gives them', async () => {
    const reads: string[] = [];
    const size = 3 * TILE_WIDTH + 17;
    await reader(size, reads).treeHash(size);
    expect(reads.sort()).toEqual(['tile/0/003.p/17', 'tile/1/000.p/3']);
  });

  it('reads entries from bundles at the tree\'s widths', async () => {
    const reads: string[] = [];
    expect(await reader(700, reads).entries(250, 600, 700)).toEqual(leaves.slice(250, 600));
    expect(reads).toEqual(['tile/entries/000', 'tile/entries/001', 'tile/entries/002.p/188']);
  });

  it('an altered hash breaks the proof; a short tile or a bundle of the wrong width is refused', async () => {
    const flip = (path: string, b: Uint8Array) => {
      const c = b.slice();
      if (path === 'tile/0/001') c[5]! ^= 1;
      return c;
    };
    const proof = await reader(700, [], flip).consistencyProof(300, 700);
    expect(verifyConsistency(300, 700, proof, big.root(300), big.root(700))).toBe(false);
    await expect(reader(700, [], (_, b) => b.subarray(32)).treeHash(700)).rejects.toMatchObject({ name: 'TileError', code: 'BAD_TILE' });
    await expect(reader(700, [], (p, b) => (p.startsWith('tile/entries') ? b.subarray(0, b.length - 10) : b)).entries(0, 10, 700)).rejects.toMatchObject({ code: 'BAD_BUNDLE' });
    await expect(reader(10).inclusionProof(10, 10)).rejects.toThrow(RangeError);
  });
});

describe('lib/tiles.js agrees with the writer (shared/src/log/tiles.ts)', () => {
  it('tile paths', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 0, max: 63 }), fc.maxSafeNat(), fc.integer({ min: 1, max: 256 }), (entries, level, index, width) => {
        const tile: TilePath = entries ? { kind: 'entries', index, width } : { kind: 'hashes', level, index, width };
        expect(tiles.tilePath(tile)).toBe(formatTilePath(tile));
      }),
    );
  });

  it('bundle ranges and decoding', () => {
    fc.assert(
      fc.property(fc.nat(5000), fc.nat(5000), fc.nat(5000), (a, b, c) => {
        const [start, end, size] = [a, b, c].sort((x, y) => x - y) as [number, number, number];
        expect(tiles.entryTilesFor(start, end, size)).toEqual(entryTilesFor(start, end, size));
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 256 }), (entries) => {
        const bundle = encodeEntryBundle(entries);
        expect(tiles.decodeEntryBundle(bundle)).toEqual(decodeEntryBundle(bundle));
      }),
    );
  });
});
