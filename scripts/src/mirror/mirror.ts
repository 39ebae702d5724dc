/**
 * `custodes log mirror`: copies a log into a static C2SP tlog-tiles directory
 * (docs/PROTOCOL.md §9.9) that any web server can serve, verifying everything
 * it copies, as an auditor would accept it (§8.8):
 *
 * 1. the source's checkpoint is a well-formed signed note of the same origin;
 * 2. the entries fetched extend the ones held: the tree of held + new leaves
 *    reproduces the checkpoint's root (so it is consistent with the held
 *    checkpoint, whose tree is the prefix);
 * 3. the served hash tiles equal the hashes of those leaves, byte for byte;
 * 4. the checkpoint is signed by the Ed25519 log note key of the genesis
 *    registry and cosigned (cosignature/v1) by at least t custodians of the
 *    registry in force (§4.3, the auditor's default policy, §8.8),
 *    registries being accepted by the shared rule (@custodes/shared/rules).
 *
 * Entries are copied as bytes; only `registry` entries are read (as the
 * auditor reads them). New tiles are staged and committed with the
 * checkpoint last (./files), so a failed round leaves the mirror as it was.
 */
import { CustodesError } from '@custodes/shared';
import { equalBytes, bytesToBase64, concatBytes } from '@custodes/shared/crypto';
import {
  LogError,
  MemoryTree,
  TILE_HEIGHT,
  TILE_WIDTH,
  decodeEntryBundle,
  encodeEntryBundle,
  entryTilesFor,
  formatTilePath,
  leafHash,
  openCheckpoint,
  parseCheckpoint,
  parseSignedNote,
  tileNodes,
  tileWidthAt,
  verifiedCosigners,
  type Checkpoint,
  type TilePath,
} from '@custodes/shared/log';
import { RegistryView, type RegistryEntry } from '@custodes/shared/records';
import { judgeGenesis, judgeRegistryUpdate } from '@custodes/shared/rules';
import { decodeLeaf, logNoteKey, witnessKeys, type TileClient } from '@custodes/auditor';
import { MirrorDir } from './files';

export type MirrorCode =
  | 'BAD_CHECKPOINT' // the source's checkpoint is not a well-formed signed note
  | 'ORIGIN_CHANGED' // the source is another log than the one mirrored
  | 'SPLIT_VIEW' // the source signed another root for a size the mirror holds
  | 'ROOT_MISMATCH' // the entries do not reproduce the checkpoint's root
  | 'TILE_MISMATCH' // a served hash tile or entry bundle disagrees with the entries
  | 'BAD_GENESIS' // entry 0 is not an acceptable genesis registry
  | 'BAD_LOG_SIGNATURE' // the checkpoint is not signed by the registry's log key
  | 'INSUFFICIENT_COSIGNATURES' // fewer than t registered custodians cosigned it
  | 'LOCAL_CORRUPT'; // the mirror's own files do not reproduce its checkpoint

export class MirrorError extends CustodesError<MirrorCode> {}

export interface SyncResult {
  /** The mirror's size after the round. */
  readonly size: number;
  /** Entries added this round. */
  readonly added: number;
  /** Whether a new checkpoint note was written. */
  readonly wrote: boolean;
  /** Registered custodians whose cosignature verifies on the mirrored checkpoint. */
  readonly cosigners: readonly string[];
}

/** How many bundles are fetched ahead while one is being checked. */
const WINDOW = 8;

/** A fetch started ahead: if a check fails first, its own failure is not an unhandled rejection. */
function ahead<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

const REGISTRY_MARK = new TextEncoder().encode('"type":"registry"');

/** Leaf bytes hold `"type":"registry"` (a cheap filter before decoding: JCS writes it exactly so). */
function mayBeRegistry(leaf: Uint8Array): boolean {
  outer: for (let i = 0; i + REGISTRY_MARK.length <= leaf.length; i++) {
    for (let j = 0; j < REGISTRY_MARK.length; j++) if (leaf[i + j] !== REGISTRY_MARK[j]) continue outer;
    return true;
  }
  return false;
}

/** The registry in force, replayed by the shared acceptance rule; a refused update is skipped (§4.2). */
class RegistryTrack {
  genesis: RegistryEntry | undefined;
  current: RegistryView | undefined;

  apply(index: number, leaf: Uint8Array): void {
    if (index !== 0 && !mayBeRegistry(leaf)) return;
    const decoded = decodeLeaf(leaf);
    const entry = decoded.ok && decoded.entry.type === 'registry' ? decoded.entry : undefined;
    if (index === 0) {
      const verdict = entry ? judgeGenesis(entry) : undefined;
      if (!entry || !verdict?.ok) {
        throw new MirrorError('BAD_GENESIS', `entry 0 is not an acceptable genesis registry${verdict && !verdict.ok ? `: ${verdict.message}` : ''}`);
      }
      this.genesis = entry;
      this.current = new RegistryView(entry, 0);
      return;
    }
    if (entry && this.current && judgeRegistryUpdate(entry, this.current.entry).ok) this.current = new RegistryView(entry, index);
  }

  copy(): RegistryTrack {
    const c = new RegistryTrack();
    c.genesis = this.genesis;
    c.current = this.current;
    return c;
  }
}

function parseNote(text: string): Checkpoint {
  try {
    return parseCheckpoint(parseSignedNote(text).text);
  } catch (err) {
    if (err instanceof LogError) throw new MirrorError('BAD_CHECKPOINT', `the checkpoint is not a well-formed signed note: ${err.message}`);
    throw err;
  }
}

/** The hash tiles whose content the leaves [from, to) change, at their widths in the tree of `to` leaves. */
function changedHashTiles(from: number, to: number): TilePath[] {
  const tiles: TilePath[] = [];
  for (let level = 0; TILE_WIDTH ** level <= to; level++) {
    const before = Math.floor(from / TILE_WIDTH ** level);
    const after = Math.floor(to / TILE_WIDTH ** level);
    if (after === before) continue;
    for (let index = Math.floor(before / TILE_WIDTH); index * TILE_WIDTH < after; index++) {
      tiles.push({ kind: 'hashes', level, index, width: tileWidthAt(to, level, index) });
    }
  }
  return tiles;
}

/** A mirror directory and the verified tree it holds. */
export class Mirror {
  readonly dir: MirrorDir;
  #tree = new MemoryTree();
  #registry = new RegistryTrack();
  #checkpoint: Checkpoint | undefined;
  #note: string | undefined;

  private constructor(dir: MirrorDir) {
    this.dir = dir;
  }

  /** Opens `root` (created if absent) and re-verifies what it holds against its own checkpoint. */
  static open(root: string): Mirror {
    const m = new Mirror(new MirrorDir(root));
    const note = m.dir.checkpoint();
    if (note === undefined) return m;
    let checkpoint: Checkpoint;
    try {
      checkpoint = parseNote(note);
    } catch (err) {
      if (err instanceof MirrorError) throw new MirrorError('LOCAL_CORRUPT', `${root}/checkpoint: ${err.message}`);
      throw err;
    }
    for (const tile of entryTilesFor(0, checkpoint.size, checkpoint.size)) {
      const path = formatTilePath(tile);
      const bytes = m.dir.read(path);
      let entries: Uint8Array[] = [];
      try {
        entries = bytes ? decodeEntryBundle(bytes) : [];
      } catch {
        // reported below as a count mismatch
      }
      if (entries.length !== tile.width) throw new MirrorError('LOCAL_CORRUPT', `${root}/${path} is missing or does not hold ${tile.width} entries`);
      for (const e of entries) m.#registry.apply(m.#tree.append(e), e);
    }
    if (!equalBytes(m.#tree.root(), checkpoint.root)) throw new MirrorError('LOCAL_CORRUPT', `the entries in ${root} do not hash to its checkpoint's root`);
    m.#checkpoint = checkpoint;
    m.#note = note;
    return m;
  }

  get size(): number {
    return this.#tree.size;
  }

  /**
   * One round: fetch the source's checkpoint and, if it is newer, every new
   * entry and tile; verify; commit. Throws MirrorError (nothing written) on
   * any failed check, AuditError when the source cannot be read.
   */
  async sync(source: TileClient, onProgress?: (done: number, total: number) => void): Promise<SyncResult> {
    const note = await source.checkpoint();
    const checkpoint = parseNote(note);
    const held = this.#checkpoint;
    const from = this.#tree.size;
    if (held && checkpoint.origin !== held.origin) {
      throw new MirrorError('ORIGIN_CHANGED', `the source's origin is "${checkpoint.origin}", the mirror's "${held.origin}"`);
    }
    if (checkpoint.size <= from && held) {
      if (!equalBytes(this.#tree.root(checkpoint.size), checkpoint.root)) {
        throw new MirrorError('SPLIT_VIEW', `the source signed root ${bytesToBase64(checkpoint.root)} for size ${checkpoint.size}; the mirror's tree of that size has root ${bytesToBase64(this.#tree.root(checkpoint.size))}`);
      }
      // Older (a stale view) or the same tree: keep ours, but take newer cosignatures of the same tree.
      if (checkpoint.size < from || note === this.#note) return { size: from, added: 0, wrote: false, cosigners: this.#cosigners(this.#note!, this.#registry) };
      const cosigners = this.#verifySignatures(note, this.#registry, checkpoint.size);
      this.dir.commit(note);
      this.#note = note;
      return { size: from, added: 0, wrote: true, cosigners };
    }
    const registry = this.#registry.copy();
    try {
      await this.#fetchEntries(source, from, checkpoint.size, registry, onProgress);
      if (!equalBytes(this.#tree.root(), checkpoint.root)) {
        throw new MirrorError('ROOT_MISMATCH', `the ${checkpoint.size} entries hash to ${bytesToBase64(this.#tree.root())}, not the checkpoint's root ${bytesToBase64(checkpoint.root)}`);
      }
      const cosigners = this.#verifySignatures(note, registry, checkpoint.size);
      await this.#stageHashTiles(source, from, checkpoint.size);
      this.dir.commit(note);
      this.#registry = registry;
      this.#checkpoint = checkpoint;
      this.#note = note;
      return { size: checkpoint.size, added: checkpoint.size - from, wrote: true, cosigners };
    } catch (err) {
      this.dir.discard();
      this.#tree.truncate(from);
      throw err;
    }
  }

  /** Fetches the bundles of [from, to), WINDOW ahead, checks each and stages it. */
  async #fetchEntries(source: TileClient, from: number, to: number, registry: RegistryTrack, onProgress?: (done: number, total: number) => void): Promise<void> {
    const tiles = entryTilesFor(from, to, to);
    const pending = tiles.slice(0, WINDOW).map((t) => ahead(source.bundle(t)));
    for (let i = 0; i < tiles.length; i++) {
      const tile = tiles[i]!;
      if (i + WINDOW < tiles.length) pending.push(ahead(source.bundle(tiles[i + WINDOW]!)));
      const entries = await pending[i]!;
      const first = tile.index * TILE_WIDTH;
      entries.forEach((entry, j) => {
        const index = first + j;
        if (index < from) {
          // The held part of a partial bundle must come back unchanged.
          if (!equalBytes(leafHash(entry), this.#tree.readHashes([{ level: 0, index }])[0]!)) {
            throw new MirrorError('SPLIT_VIEW', `entry ${index} differs from the one the mirror holds`);
          }
          return;
        }
        this.#tree.append(entry);
        registry.apply(index, entry);
      });
      this.dir.stage(formatTilePath(tile), encodeEntryBundle(entries));
      onProgress?.(Math.min(to, first + tile.width) - from, to - from);
    }
  }

  /** Computes every hash tile [from, to) changes, checks the source serves the same bytes, stages them. */
  async #stageHashTiles(source: TileClient, from: number, to: number): Promise<void> {
    const tiles = changedHashTiles(from, to);
    const served = tiles.map((t) => ahead(source.tile(t)));
    for (let i = 0; i < tiles.length; i++) {
      const tile = tiles[i]! as Extract<TilePath, { kind: 'hashes' }>;
      const ours = concatBytes(...this.#tree.readHashes(tileNodes(tile.level, tile.index, tile.width)));
      const theirs = await served[i]!;
      if (!equalBytes(ours, theirs)) {
        throw new MirrorError('TILE_MISMATCH', `the source's ${formatTilePath(tile)} is not the hashes of its entries (tile height ${TILE_HEIGHT})`);
      }
      this.dir.stage(formatTilePath(tile), ours);
    }
  }

  #cosigners(note: string, registry: RegistryTrack): string[] {
    const opened = registry.genesis && openCheckpoint(note, logNoteKey(registry.genesis.origin, registry.genesis.logNoteKey));
    return opened && registry.current ? verifiedCosigners(opened.note, witnessKeys(registry.current)) : [];
  }

  /** The log key of the genesis, then at least t cosignatures of the registry in force (docs/PROTOCOL.md §8.8). */
  #verifySignatures(note: string, registry: RegistryTrack, size: number): string[] {
    if (!registry.genesis || !registry.current) throw new MirrorError('BAD_GENESIS', 'the log has no genesis registry');
    const logKey = logNoteKey(registry.genesis.origin, registry.genesis.logNoteKey);
    const opened = openCheckpoint(note, logKey);
    if (!opened) throw new MirrorError('BAD_LOG_SIGNATURE', `the checkpoint of size ${size} is not signed by the log key of origin "${logKey.name}"`);
    const cosigners = verifiedCosigners(opened.note, witnessKeys(registry.current));
    if (cosigners.length < registry.current.threshold) {
      throw new MirrorError('INSUFFICIENT_COSIGNATURES', `the checkpoint of size ${size} is cosigned by ${cosigners.length} registered custodians; ${registry.current.threshold} are needed`);
    }
    return cosigners;
  }
}
