/**
 * `custodes log mirror` (scripts/src/mirror): copies a tlog-tiles source into a
 * directory, incrementally, and refuses every lie with its own code, leaving
 * the mirror exactly as it was. Each check of the file comment in
 * scripts/src/mirror/mirror.ts has a test that breaks only it.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { TileClient, verifyLog } from '@custodes/auditor';
import { MemoryTree, type Checkpoint } from '@custodes/shared/log';
import { Mirror, MirrorError, type MirrorCode } from '../../scripts/src/mirror/mirror';
import { LogBuilder, makeKeys, ORIGIN, keyPair } from '../auditor/scenario';
import { signedNote } from '../auditor/server';
import { fillerLeaves, serveDir, writeTiles, type FileServer } from './helpers';

const keys = makeKeys();
const dirs: string[] = [];
const servers: FileServer[] = [];

function tempDir(tag: string): string {
  const d = mkdtempSync(join(tmpdir(), `custodes-mirror-${tag}-`));
  dirs.push(d);
  return d;
}

function checkpointOf(leaves: readonly Uint8Array[]): Checkpoint {
  const tree = new MemoryTree();
  for (const l of leaves) tree.append(l);
  return { origin: ORIGIN, size: tree.size, root: tree.root() };
}

/** One note per tree (BIP340 signatures are randomised): a repeated source serves the same text. */
const notes = new Map<string, string>();
function noteOf(leaves: readonly Uint8Array[]): string {
  const cp = checkpointOf(leaves);
  const key = Buffer.from(cp.root).toString('hex');
  if (!notes.has(key)) notes.set(key, signedNote(keys, cp, [1, 2, 3]));
  return notes.get(key)!;
}

/** A source serving `leaves` under a note cosigned by custodians 1..3 (t = 3), or the given note. */
async function source(leaves: readonly Uint8Array[], note?: string, edit?: (dir: string) => void): Promise<TileClient> {
  const dir = tempDir('src');
  writeTiles(dir, leaves, note ?? noteOf(leaves));
  edit?.(dir);
  const server = await serveDir(dir);
  servers.push(server);
  return new TileClient(server.url, { retries: 0 });
}

/** Every file under `dir`, relative, with its bytes: a snapshot to compare. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const full = join(dir, name);
    try {
      out[name] = readFileSync(full).toString('base64');
    } catch {
      // a directory
    }
  }
  return out;
}

async function refused(mirror: Mirror, src: TileClient, code: MirrorCode): Promise<void> {
  const before = snapshot(mirror.dir.root);
  const err = await mirror.sync(src).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(MirrorError);
  expect((err as MirrorError).code, (err as Error).message).toBe(code);
  expect(snapshot(mirror.dir.root)).toEqual(before);
}

const genesis = new LogBuilder(keys).leaves();
const first = [...genesis, ...fillerLeaves(300)];
const second = [...first, ...fillerLeaves(400, 'more')];

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('custodes log mirror', () => {
  let out: string;
  beforeAll(() => {
    out = tempDir('out');
  });

  test('copies the whole log: checkpoint, entry bundles and hash tiles, partial ones at the edge', async () => {
    const src = await source(first);
    const r = await Mirror.open(out).sync(src);
    expect(r).toMatchObject({ size: 301, added: 301, wrote: true });
    expect(r.cosigners).toEqual(['custodian-1', 'custodian-2', 'custodian-3']);
    for (const f of ['checkpoint', 'tile/entries/000', 'tile/entries/001.p/45', 'tile/0/000', 'tile/0/001.p/45', 'tile/1/000.p/1']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(existsSync(join(out, '.incoming'))).toBe(false);
  });

  test('the next round adds only what is new, and what it wrote serves an auditor', async () => {
    const mirror = Mirror.open(out); // reopened: re-verified from its own files
    expect(mirror.size).toBe(301);
    expect(await mirror.sync(await source(first))).toMatchObject({ size: 301, added: 0, wrote: false });
    const r = await mirror.sync(await source(second));
    expect(r).toMatchObject({ size: 701, added: 400, wrote: true });
    // The partial tiles of size 301 stay (immutable for whoever still reads that checkpoint).
    for (const f of ['tile/entries/001.p/45', 'tile/entries/001', 'tile/entries/002.p/189', 'tile/0/002.p/189', 'tile/1/000.p/2']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const served = await serveDir(out);
    servers.push(served);
    const v = await verifyLog({ tilesUrl: served.url });
    expect(v.size).toBe(701);
    expect(v.checkpoint?.cosigners).toHaveLength(3);
    // The filler entries are findings for the auditor, not the mirror's business; the tree is what counts.
    expect(v.findings.filter((f) => ['ROOT_MISMATCH', 'BAD_LOG_SIGNATURE', 'INSUFFICIENT_COSIGNATURES', 'INCONSISTENT_CHECKPOINT'].includes(f.code))).toEqual([]);
  });

  test('new cosignatures on the same tree replace the checkpoint', async () => {
    const mirror = Mirror.open(out);
    const note = signedNote(keys, checkpointOf(second), [1, 2, 3, 4, 5]);
    expect(await mirror.sync(await source(second, note))).toMatchObject({ size: 701, added: 0, wrote: true });
    expect(readFileSync(join(out, 'checkpoint'), 'utf8')).toBe(note);
  });
});

describe('custodes log mirror refuses, and keeps what it had', () => {
  let mirror: Mirror;
  beforeAll(async () => {
    mirror = Mirror.open(tempDir('held'));
    await mirror.sync(await source(first));
  });

  test('SPLIT_VIEW: another root signed for a size it holds', async () => {
    const other = [...genesis, ...fillerLeaves(300, 'other')];
    await refused(mirror, await source(other), 'SPLIT_VIEW');
  });

  test('SPLIT_VIEW: a held entry of a partial bundle comes back changed', async () => {
    const changed = [...genesis, ...fillerLeaves(299), ...fillerLeaves(1, 'changed'), ...fillerLeaves(100, 'more')];
    await refused(mirror, await source(changed), 'SPLIT_VIEW');
  });

  test('ROOT_MISMATCH: entries that do not hash to the signed root', async () => {
    const note = signedNote(keys, checkpointOf(second), [1, 2, 3]);
    const lie = [...second.slice(0, -1), new TextEncoder().encode('{"type":"forged"}')];
    await refused(mirror, await source(lie, note), 'ROOT_MISMATCH');
  });

  test('TILE_MISMATCH: a served hash tile that is not the hashes of the entries', async () => {
    await refused(mirror, await source(second, undefined, (d) => {
      const path = join(d, 'tile/0/002.p/189');
      const bytes = readFileSync(path);
      bytes[7]! ^= 1;
      writeFileSync(path, bytes);
    }), 'TILE_MISMATCH');
  });

  test('BAD_LOG_SIGNATURE: a checkpoint signed by another key', async () => {
    const other = { ...keys, log: keyPair() };
    await refused(mirror, await source(second, signedNote(other, checkpointOf(second), [1, 2, 3])), 'BAD_LOG_SIGNATURE');
  });

  test('INSUFFICIENT_COSIGNATURES: fewer than t registered custodians', async () => {
    await refused(mirror, await source(second, signedNote(keys, checkpointOf(second), [1, 2])), 'INSUFFICIENT_COSIGNATURES');
  });

  test('ORIGIN_CHANGED and BAD_CHECKPOINT', async () => {
    const cp = { ...checkpointOf(second), origin: 'other.example/log' };
    await refused(mirror, await source(second, signedNote(keys, cp, [1, 2, 3])), 'ORIGIN_CHANGED');
    await refused(mirror, await source(second, 'not a note\n'), 'BAD_CHECKPOINT');
  });

  test('BAD_GENESIS: a fresh mirror of a log whose entry 0 is not a genesis registry', async () => {
    const fresh = Mirror.open(tempDir('fresh'));
    await refused(fresh, await source(fillerLeaves(3)), 'BAD_GENESIS');
  });

  test('an --out whose parent cannot be made is an error at once, not a hang (Node\'s recursive mkdir spins on /proc)', () => {
    expect(() => Mirror.open('/proc/custodes-no-such-dir/mirror')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  }, 5_000);

  test('LOCAL_CORRUPT: its own files no longer reproduce its checkpoint', async () => {
    const dir = tempDir('corrupt');
    await Mirror.open(dir).sync(await source(first));
    const path = join(dir, 'tile/entries/000');
    const bytes = readFileSync(path);
    bytes[bytes.length - 3]! ^= 1;
    writeFileSync(path, bytes);
    expect(() => Mirror.open(dir)).toThrow(expect.objectContaining({ code: 'LOCAL_CORRUPT' }));
  });
});
