/** C2SP tlog-tiles paths, tile contents and entry bundles. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LogError,
  MemoryTree,
  TILE_WIDTH,
  decodeEntryBundle,
  encodeEntryBundle,
  formatTileIndex,
  formatTilePath,
  parseTilePath,
  rootFromLeaves,
  tileNodes,
  tileWidthAt,
  type TilePath,
} from '../../shared/src/log/index';

describe('tile paths', () => {
  it('encodes indices in 3-digit groups, all but the last prefixed x', () => {
    expect(formatTileIndex(0)).toBe('000');
    expect(formatTileIndex(5)).toBe('005');
    expect(formatTileIndex(999)).toBe('999');
    expect(formatTileIndex(1000)).toBe('x001/000');
    expect(formatTileIndex(1234067)).toBe('x001/x234/067');
    expect(formatTileIndex(Number.MAX_SAFE_INTEGER)).toBe('x009/x007/x199/x254/x740/991');
  });

  it('formats and parses full and partial tiles', () => {
    const cases: [TilePath, string][] = [
      [{ kind: 'hashes', level: 0, index: 0, width: 256 }, 'tile/0/000'],
      [{ kind: 'hashes', level: 1, index: 1234067, width: 5 }, 'tile/1/x001/x234/067.p/5'],
      [{ kind: 'hashes', level: 63, index: 1000, width: 255 }, 'tile/63/x001/000.p/255'],
      [{ kind: 'entries', index: 7, width: 256 }, 'tile/entries/007'],
      [{ kind: 'entries', index: 1001, width: 1 }, 'tile/entries/x001/001.p/1'],
    ];
    for (const [tile, path] of cases) {
      expect(formatTilePath(tile)).toBe(path);
      expect(parseTilePath(path)).toEqual(tile);
    }
  });

  const junk = [
    '',
    'tile',
    'tile/',
    'tile/0',
    'tile/0/',
    'tiles/0/000',
    '/tile/0/000',
    'tile/0/5',
    'tile/0/0005',
    'tile/0/x005',
    'tile/0/001/002',
    'tile/0/x000/005',
    'tile/0/X001/000',
    'tile/0/x001/000/',
    'tile/00/000',
    'tile/01/000',
    'tile/64/000',
    'tile/-1/000',
    'tile/a/000',
    'tile/0/000.p/0',
    'tile/0/000.p/256',
    'tile/0/000.p/07',
    'tile/0/000.p/',
    'tile/0/000.p',
    'tile/0/000.p/5/6',
    'tile/0/000.P/5',
    'tile/0/x001.p/5/000',
    'tile/entries/5',
    'tile/entries/000.p/256',
    'tile/data/000',
    'tile/0/x001/x002/x003/x004/x005/x006/007',
    'tile/0/x009/x007/x199/x254/x740/992',
    'tile/0/%30%30%30',
    'tile/0/000?x=1',
    `tile/0/${'x001/'.repeat(40)}000`,
  ];

  it.each(junk)('rejects %j', (path) => {
    expect(() => parseTilePath(path)).toThrow(LogError);
  });

  it('round-trips any tile (property)', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 0, max: 63 }),
        fc.maxSafeNat(),
        fc.integer({ min: 1, max: 256 }),
        (entries, level, index, width) => {
          const tile: TilePath = entries ? { kind: 'entries', index, width } : { kind: 'hashes', level, index, width };
          expect(parseTilePath(formatTilePath(tile))).toEqual(tile);
        },
      ),
    );
  });

  it('throws on a caller bug when formatting', () => {
    expect(() => formatTilePath({ kind: 'hashes', level: 64, index: 0, width: 1 })).toThrow(RangeError);
    expect(() => formatTilePath({ kind: 'hashes', level: 0, index: -1, width: 1 })).toThrow(RangeError);
    expect(() => formatTilePath({ kind: 'entries', index: 0, width: 0 })).toThrow(RangeError);
    expect(() => formatTileIndex(1.5)).toThrow(TypeError);
  });
});

describe('tile contents', () => {
  it('follows the C2SP example of a tree of 70,000 leaves', () => {
    expect(tileWidthAt(70_000, 0, 272)).toBe(256);
    expect(tileWidthAt(70_000, 0, 273)).toBe(112);
    expect(tileWidthAt(70_000, 0, 274)).toBe(0);
    expect(tileWidthAt(70_000, 1, 0)).toBe(256);
    expect(tileWidthAt(70_000, 1, 1)).toBe(17);
    expect(tileWidthAt(70_000, 2, 0)).toBe(1);
    expect(tileWidthAt(70_000, 3, 0)).toBe(0);
    expect(tileWidthAt(256, 1, 0)).toBe(1);
    expect(tileWidthAt(Number.MAX_SAFE_INTEGER, 63, 0)).toBe(0);
  });

  it('holds MTH of 256^L consecutive leaves per hash', () => {
    const leaves = Array.from({ length: 600 }, (_, i) => Uint8Array.of(i & 0xff, i >> 8));
    const tree = new MemoryTree();
    leaves.forEach((l) => tree.append(l));
    const level1 = tree.readHashes(tileNodes(1, 0, tileWidthAt(600, 1, 0)));
    expect(level1).toHaveLength(2);
    expect(level1[0]).toEqual(rootFromLeaves(leaves.slice(0, 256)));
    expect(level1[1]).toEqual(rootFromLeaves(leaves.slice(256, 512)));
    const level0 = tree.readHashes(tileNodes(0, 2, tileWidthAt(600, 0, 2)));
    expect(level0).toHaveLength(600 - 512);
    expect(tileNodes(2, 3, 2)).toEqual([
      { level: 16, index: 768 },
      { level: 16, index: 769 },
    ]);
  });
});

describe('entry bundles', () => {
  it('round-trips u16-prefixed entries', () => {
    const entries = [new Uint8Array(0), Uint8Array.of(1, 2, 3), new Uint8Array(0xffff).fill(7)];
    const bundle = encodeEntryBundle(entries);
    expect(bundle.length).toBe(2 + 2 + 3 + 2 + 0xffff);
    expect(Array.from(bundle.subarray(0, 7))).toEqual([0, 0, 0, 3, 1, 2, 3]);
    expect(decodeEntryBundle(bundle)).toEqual(entries);
    expect(decodeEntryBundle(new Uint8Array(0))).toEqual([]);
  });

  it('rejects truncated bundles and oversize entries', () => {
    expect(() => decodeEntryBundle(Uint8Array.of(0))).toThrow(LogError);
    expect(() => decodeEntryBundle(Uint8Array.of(0, 2, 1))).toThrow(LogError);
    expect(() => decodeEntryBundle(encodeEntryBundle(Array.from({ length: TILE_WIDTH + 1 }, () => Uint8Array.of(1))))).toThrow(
      LogError,
    );
    expect(() => encodeEntryBundle([new Uint8Array(0x10000)])).toThrow(RangeError);
    expect(() => encodeEntryBundle(['x' as never])).toThrow(TypeError);
  });
});
