/**
 * An in-memory tree that keeps every complete-subtree hash: a HashReader for
 * tests, replicas and auditors replaying a log (docs/PROTOCOL.md §5 step 7).
 * Memory: about 2n hashes for n leaves.
 */
import { abytes } from '../crypto/bytes';
import { HASH_SIZE, leafHash, nodeHash } from './merkle';
import { consistencyProof, inclusionProof, treeHash, type HashReader, type TreeNode } from './proof';

class MemoryTree implements HashReader {
  /** levels[l][i] is the hash of leaves [i·2^l, (i+1)·2^l). */
  readonly #levels: Uint8Array[][] = [[]];

  /** Number of leaves. */
  get size(): number {
    return this.#levels[0]!.length;
  }

  /** Appends raw leaf data; returns its index. */
  append(data: Uint8Array): number {
    return this.appendHash(leafHash(abytes(data, undefined, 'data')));
  }

  /** Appends a leaf by its hash `SHA256(0x00 ‖ data)`; returns its index. */
  appendHash(hash: Uint8Array): number {
    abytes(hash, HASH_SIZE, 'hash');
    const index = this.size;
    let node = hash;
    let position = index;
    for (let level = 0; ; level++) {
      const row = (this.#levels[level] ??= []);
      row.push(node);
      // A left child (even position) waits for its sibling.
      if (position % 2 === 0) break;
      node = nodeHash(row[position - 1]!, node);
      position = (position - 1) / 2;
    }
    return index;
  }

  /**
   * Drops leaves [size, this.size), leaving the tree of the first `size`
   * leaves; requires 0 ≤ size ≤ this.size. O(log n): level l keeps its
   * ⌊size / 2^l⌋ complete subtrees, which do not depend on later leaves.
   */
  truncate(size: number): void {
    this.#checkSize(size, 'size');
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError('size must be a tree size');
    this.#levels.forEach((row, level) => {
      row.length = Math.floor(size / 2 ** level);
    });
  }

  readHashes(nodes: readonly TreeNode[]): Uint8Array[] {
    return nodes.map(({ level, index }) => {
      const hash = this.#levels[level]?.[index];
      if (hash === undefined) throw new RangeError(`node (${level}, ${index}) is not in the tree`);
      return hash;
    });
  }

  /** `MTH(D[0:size])`, by default of the whole tree; requires size ≤ this.size. */
  root(size: number = this.size): Uint8Array {
    this.#checkSize(size, 'size');
    return treeHash(size, this);
  }

  /** Inclusion proof for `index` in the tree of `size` leaves (default: all). */
  inclusionProof(index: number, size: number = this.size): Uint8Array[] {
    this.#checkSize(size, 'size');
    return inclusionProof(index, size, this);
  }

  /** Consistency proof from `size1` to `size2` leaves (default: all). */
  consistencyProof(size1: number, size2: number = this.size): Uint8Array[] {
    this.#checkSize(size2, 'size2');
    return consistencyProof(size1, size2, this);
  }

  #checkSize(size: number, name: string): void {
    if (typeof size !== 'number') throw new TypeError(`${name} must be a number`);
    if (size > this.size) throw new RangeError(`${name} ${size} exceeds the tree size ${this.size}`);
  }
}

export { MemoryTree };
