/**
 * The mirror's directory (docs/PROTOCOL.md §9.9): the C2SP tlog-tiles layout as
 * plain files. New tiles are staged under `.incoming/` while a round fetches
 * and verifies them, then renamed into place; `checkpoint` is renamed last, so
 * a web server serving the directory never shows a checkpoint whose tiles are
 * missing, and never a tile that was not verified.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const STAGING = '.incoming';

/**
 * `mkdir -p`, one level at a time: Node's recursive mkdirSync spins forever
 * where mkdir answers ENOENT for an existing parent (/proc), and a bad --out
 * must be one line, not a hang.
 */
export function makeDirs(path: string): void {
  try {
    mkdirSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || dirname(path) === path || existsSync(dirname(path))) throw err;
    makeDirs(dirname(path));
    mkdirSync(path);
  }
}

export class MirrorDir {
  readonly root: string;
  readonly #staged = new Set<string>();

  constructor(root: string) {
    this.root = root;
    makeDirs(root);
    // What an interrupted round left staged was never verified: start clean.
    rmSync(join(root, STAGING), { recursive: true, force: true });
  }

  /** The stored signed note, or undefined before the first round. */
  checkpoint(): string | undefined {
    const path = join(this.root, 'checkpoint');
    return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  }

  /** A stored tile (`tile/...` path), or undefined. */
  read(path: string): Uint8Array | undefined {
    const full = join(this.root, path);
    return existsSync(full) ? new Uint8Array(readFileSync(full)) : undefined;
  }

  /** Stages `data` for `path` (a tile path); nothing is visible until commit. */
  stage(path: string, data: Uint8Array): void {
    const full = join(this.root, STAGING, path);
    makeDirs(dirname(full));
    writeFileSync(full, data);
    this.#staged.add(path);
  }

  /** Moves every staged tile into place, then writes `note` as the checkpoint (write to a temp file, rename). */
  commit(note: string): void {
    for (const path of this.#staged) {
      const target = join(this.root, path);
      makeDirs(dirname(target));
      renameSync(join(this.root, STAGING, path), target);
    }
    this.#staged.clear();
    const temp = join(this.root, `${STAGING}-checkpoint`);
    writeFileSync(temp, note);
    renameSync(temp, join(this.root, 'checkpoint'));
    rmSync(join(this.root, STAGING), { recursive: true, force: true });
  }

  /** Drops everything staged (a round that failed verification). */
  discard(): void {
    this.#staged.clear();
    rmSync(join(this.root, STAGING), { recursive: true, force: true });
  }
}
