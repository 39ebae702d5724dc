/**
 * A tlog-tiles source the tests control: a directory written from leaves and a
 * note (any lies included), served by a bare node:http file server. The
 * mirror and the auditor read it exactly as they read nginx or the coordinator.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, normalize } from 'node:path';
import { concatBytes } from '@custodes/shared/crypto';
import { MemoryTree, encodeEntryBundle, entryTilesFor, formatTilePath, tileNodes, tileWidthAt, TILE_WIDTH } from '@custodes/shared/log';

function put(dir: string, path: string, data: Uint8Array | string): void {
  const full = join(dir, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, data);
}

/** Writes `checkpoint` = note and every tile of the tree of `leaves` (full and right-edge partial). */
export function writeTiles(dir: string, leaves: readonly Uint8Array[], note: string): void {
  const tree = new MemoryTree();
  for (const leaf of leaves) tree.append(leaf);
  const size = leaves.length;
  for (const tile of entryTilesFor(0, size, size)) {
    put(dir, formatTilePath(tile), encodeEntryBundle(leaves.slice(tile.index * TILE_WIDTH, tile.index * TILE_WIDTH + tile.width)));
  }
  for (let level = 0; TILE_WIDTH ** level <= size; level++) {
    for (let index = 0; tileWidthAt(size, level, index) > 0; index++) {
      const tile = { kind: 'hashes', level, index, width: tileWidthAt(size, level, index) } as const;
      put(dir, formatTilePath(tile), concatBytes(...tree.readHashes(tileNodes(level, index, tile.width))));
    }
  }
  put(dir, 'checkpoint', note);
}

export interface FileServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the files under `dir` (GET only, 404 otherwise); a function picks the directory per request. */
export async function serveDir(root: string | (() => string)): Promise<FileServer> {
  const server: Server = createServer((req, res) => {
    const dir = typeof root === 'string' ? root : root();
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]!));
    const full = join(dir, path);
    try {
      if (!full.startsWith(dir) || !statSync(full).isFile()) throw new Error('not a file');
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(full));
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Leaves after the genesis that the mirror copies without reading: not registry entries. */
export function fillerLeaves(n: number, tag = 'filler'): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => new TextEncoder().encode(`{"n":${i},"type":"${tag}"}`));
}
