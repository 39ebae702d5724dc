/**
 * Merkle hashing and proofs against the RFC 6962 test data of
 * certificate-transparency / transparency-dev (testonly), plus argument
 * screening and properties.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_ROOT,
  MemoryTree,
  consistencyProof,
  inclusionProof,
  leafHash,
  nodeHash,
  rootFromInclusionProof,
  rootFromLeafHashes,
  rootFromLeaves,
  subtreeNodes,
  treeHash,
  verifyConsistency,
  verifyInclusion,
  type HashReader,
} from '../../shared/src/log/index';
import { ReferenceTree, fromHex, hex } from './helpers';

// RFC 6962 test leaves and MTH(D[0:n]) for n = 1..8 (transparency-dev/merkle testonly).
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(
  fromHex,
);
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
// Known proofs from the same test data: [index, size, proof].
const INCLUSION: [number, number, string[]][] = [
  [0, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [5, 8, ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [1, 5, ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
];
const CONSISTENCY: [number, number, string[]][] = [
  [1, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [6, 8, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 5, ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
  [3, 8, ['0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7', '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7', 'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
];

function tree8(): MemoryTree {
  const t = new MemoryTree();
  LEAVES.forEach((leaf) => t.append(leaf));
  return t;
}

describe('RFC 6962 test data', () => {
  it('hashes the empty tree to SHA-256 of nothing', () => {
    expect(hex(EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(rootFromLeaves([])).toEqual(EMPTY_ROOT);
    expect(new MemoryTree().root()).toEqual(EMPTY_ROOT);
  });

  it('reproduces MTH for sizes 1..8 three ways: rootFromLeaves, MemoryTree, independent reference', () => {
    const t = tree8();
    const ref = new ReferenceTree(LEAVES);
    ROOTS.forEach((root, i) => {
      const n = i + 1;
      expect(hex(rootFromLeaves(LEAVES.slice(0, n)))).toBe(root);
      expect(hex(t.root(n))).toBe(root);
      expect(hex(ref.mth(0, n))).toBe(root);
    });
  });

  it.each(INCLUSION)('inclusion proof for leaf %i in tree %i matches and verifies', (index, size, want) => {
    const t = tree8();
    const proof = t.inclusionProof(index, size);
    expect(proof.map(hex)).toEqual(want);
    expect(verifyInclusion(index, size, leafHash(LEAVES[index]!), proof, fromHex(ROOTS[size - 1]!))).toBe(true);
  });

  it.each(CONSISTENCY)('consistency proof %i → %i matches and verifies', (m, n, want) => {
    const t = tree8();
    const proof = t.consistencyProof(m, n);
    expect(proof.map(hex)).toEqual(want);
    expect(verifyConsistency(m, n, proof, fromHex(ROOTS[m - 1]!), fromHex(ROOTS[n - 1]!))).toBe(true);
  });

  it('quotes its formulas: leaf = SHA256(0x00 ‖ d), node = SHA256(0x01 ‖ l ‖ r)', () => {
    expect(hex(leafHash(new Uint8Array(0)))).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    const l = leafHash(LEAVES[0]!);
    const r = leafHash(LEAVES[1]!);
    expect(hex(nodeHash(l, r))).toBe(ROOTS[1]);
  });
});

describe('argument screening', () => {
  const h = leafHash(new Uint8Array([1]));

  it('throws TypeError for wrong argument types (caller bugs)', () => {
    expect(() => leafHash('x' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => nodeHash(h, null as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => verifyInclusion('0' as unknown as number, 1, h, [], h)).toThrow(TypeError);
    expect(() => verifyInclusion(0, 1, h, null as unknown as Uint8Array[], h)).toThrow(TypeError);
    expect(() => verifyInclusion(0, 1, h, ['x' as unknown as Uint8Array], h)).toThrow(TypeError);
    expect(() => verifyConsistency(1, 2n as unknown as number, [h], h, h)).toThrow(TypeError);
    expect(() => verifyConsistency(1, 2, [h], h, 'root' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => rootFromLeaves('abc' as unknown as Uint8Array[])).toThrow(TypeError);
  });

  it('throws RangeError for a node hash that is not 32 bytes', () => {
    expect(() => nodeHash(h, new Uint8Array(31))).toThrow(RangeError);
    expect(() => rootFromLeafHashes([new Uint8Array(33)])).toThrow(RangeError);
  });

  it('returns false (not throws) for impossible indices and sizes: they are proof data', () => {
    for (const bad of [-1, 0.5, NaN, Infinity, 2 ** 53, 1e300]) {
      expect(verifyInclusion(bad, 1, h, [], h)).toBe(false);
      expect(verifyInclusion(0, bad, h, [], h)).toBe(false);
      expect(rootFromInclusionProof(bad, 1, h, [])).toBeNull();
      expect(verifyConsistency(bad, 1, [], h, h)).toBe(false);
      expect(verifyConsistency(1, bad, [], h, h)).toBe(false);
    }
  });

  it('rejects wrong-length hashes and overlong proofs as invalid', () => {
    const t = new MemoryTree();
    for (let i = 0; i < 5; i++) t.append(Uint8Array.of(i));
    const proof = t.inclusionProof(1);
    expect(verifyInclusion(1, 5, leafHash(Uint8Array.of(1)), proof, t.root())).toBe(true);
    expect(verifyInclusion(1, 5, leafHash(Uint8Array.of(1)).slice(1), proof, t.root())).toBe(false);
    expect(verifyInclusion(1, 5, leafHash(Uint8Array.of(1)), [proof[0]!.slice(1), ...proof.slice(1)], t.root())).toBe(false);
    expect(verifyInclusion(1, 5, leafHash(Uint8Array.of(1)), proof, t.root().slice(1))).toBe(false);
    expect(verifyInclusion(0, 1, h, Array.from({ length: 65 }, () => h), h)).toBe(false);
    const c = t.consistencyProof(3);
    expect(verifyConsistency(3, 5, c, t.root(3), t.root())).toBe(true);
    expect(verifyConsistency(3, 5, c, t.root(3).slice(1), t.root())).toBe(false);
    expect(verifyConsistency(3, 5, [...c, new Uint8Array(0)], t.root(3), t.root())).toBe(false);
  });

  it('proof generation throws RangeError on preconditions, and a reader fault propagates', () => {
    const t = new MemoryTree();
    t.append(Uint8Array.of(1));
    expect(() => inclusionProof(1, 1, t)).toThrow(RangeError);
    expect(() => inclusionProof(-1, 1, t)).toThrow(RangeError);
    expect(() => consistencyProof(2, 1, t)).toThrow(RangeError);
    expect(() => t.root(2)).toThrow(RangeError);
    expect(consistencyProof(0, 1, t)).toEqual([]);
    expect(consistencyProof(1, 1, t)).toEqual([]);
    const broken: HashReader = {
      readHashes: () => {
        throw new Error('disk on fire');
      },
    };
    expect(() => inclusionProof(0, 2, broken)).toThrow('disk on fire');
    const short: HashReader = { readHashes: () => [] };
    expect(() => treeHash(3, short)).toThrow(/returned 0 hashes/);
  });
});

describe('MemoryTree.truncate', () => {
  it('gives back the tree of every shorter prefix, which then grows as if never longer', () => {
    const leaves = Array.from({ length: 40 }, (_, i) => Uint8Array.of(i, i >> 8));
    for (let size = 0; size <= leaves.length; size++) {
      const t = new MemoryTree();
      for (const l of leaves) t.append(l);
      t.truncate(size);
      expect(t.size).toBe(size);
      expect(t.root()).toEqual(rootFromLeaves(leaves.slice(0, size)));
      for (const l of leaves.slice(size)) t.append(l);
      expect(t.root()).toEqual(rootFromLeaves(leaves));
    }
  });

  it('refuses a size it cannot truncate to', () => {
    const t = new MemoryTree();
    t.append(Uint8Array.of(1));
    for (const bad of [2, -1, 0.5, NaN]) expect(() => t.truncate(bad)).toThrow(RangeError);
    expect(() => t.truncate('1' as unknown as number)).toThrow(TypeError);
    expect(t.size).toBe(1);
  });
});

describe('O(log n) reads', () => {
  it('decomposes any prefix into popcount(n) complete subtrees', () => {
    expect(subtreeNodes(0, 13)).toEqual([
      { level: 3, index: 0 },
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
    expect(subtreeNodes(8, 13)).toEqual([
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
  });

  it('reads at most 2·log2(n) + 2 hashes per proof, in one batch', () => {
    const t = new MemoryTree();
    const n = 1000;
    for (let i = 0; i < n; i++) t.append(Uint8Array.of(i & 0xff, i >> 8));
    let calls = 0;
    let reads = 0;
    const counting: HashReader = {
      readHashes: (nodes) => {
        calls += 1;
        reads += nodes.length;
        return t.readHashes(nodes);
      },
    };
    for (const [i, size] of [[0, 1000], [999, 1000], [500, 777], [123, 1000]] as const) {
      calls = 0;
      reads = 0;
      inclusionProof(i, size, counting);
      expect(calls).toBe(1);
      expect(reads).toBeLessThanOrEqual(2 * Math.log2(size) + 2);
    }
    for (const [m, size] of [[1, 1000], [999, 1000], [333, 777], [512, 1000]] as const) {
      calls = 0;
      reads = 0;
      consistencyProof(m, size, counting);
      expect(calls).toBe(1);
      expect(reads).toBeLessThanOrEqual(2 * Math.log2(size) + 2);
    }
  });
});

describe('properties', () => {
  it('every generated proof verifies and matches the reference (random trees up to 300 leaves)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 300 }),
        fc.nat(),
        fc.nat(),
        (leaves, a, b) => {
          const t = new MemoryTree();
          leaves.forEach((l) => t.append(l));
          const ref = new ReferenceTree(leaves);
          const n = leaves.length;
          const i = a % n;
          const m = (b % n) + 1;
          expect(t.root()).toEqual(ref.mth());
          expect(rootFromLeaves(leaves)).toEqual(ref.mth());
          const p = t.inclusionProof(i);
          expect(p).toEqual(ref.path(i, 0, n));
          expect(verifyInclusion(i, n, leafHash(leaves[i]!), p, ref.mth())).toBe(true);
          const c = t.consistencyProof(m);
          expect(c).toEqual(ref.proof(m, n));
          expect(verifyConsistency(m, n, c, ref.mth(0, m), ref.mth())).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });
});
