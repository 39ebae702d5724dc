/**
 * `custodes log mirror --watch` as a process: it waits out a checkpoint that
 * is short of t cosignatures (not a lie: a fresh log), copies each new
 * checkpoint as it appears, refuses a second mirror on its directory, and
 * stops with one line and exit 1 at a split view.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { MemoryTree } from '@custodes/shared/log';
import { custodesAsync } from '../cli/run';
import { LogBuilder, makeKeys, ORIGIN } from '../auditor/scenario';
import { signedNote } from '../auditor/server';
import { fillerLeaves, serveDir, writeTiles } from './helpers';

const BIN = fileURLToPath(new URL('../../scripts/bin/custodes.js', import.meta.url));
const keys = makeKeys();
const dirs: string[] = [];
let child: ChildProcess | undefined;

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function temp(tag: string): string {
  const d = mkdtempSync(join(tmpdir(), `custodes-mirror-watch-${tag}-`));
  dirs.push(d);
  return d;
}

/** A source directory for `leaves`, cosigned by `cosigners`. */
function version(leaves: readonly Uint8Array[], cosigners: number[]): string {
  const tree = new MemoryTree();
  for (const l of leaves) tree.append(l);
  const dir = temp('src');
  writeTiles(dir, leaves, signedNote(keys, { origin: ORIGIN, size: tree.size, root: tree.root() }, cosigners));
  return dir;
}

test('--watch waits for cosignatures, follows the log, holds its directory, stops at a split view', async () => {
  const genesis = new LogBuilder(keys).leaves();
  const first = [...genesis, ...fillerLeaves(300)];
  const second = [...first, ...fillerLeaves(400, 'more')];
  let current = version(first, [1, 2]);
  const server = await serveDir(() => current);
  const out = temp('out');
  try {
    child = spawn(process.execPath, [BIN, 'log', 'mirror', '--tiles', server.url, '--out', out, '--watch', '--interval', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const waitFor = async (pattern: RegExp) => {
      for (let i = 0; i < 600 && !pattern.test(stderr); i++) await new Promise((r) => setTimeout(r, 50));
      expect(stderr).toMatch(pattern);
    };

    await waitFor(/^mirror: warning: the checkpoint of size 301 is cosigned by 2 registered custodians; 3 are needed; retrying\n/m);
    current = version(first, [1, 2, 3]);
    await waitFor(/^mirror: size 301 \(\+301 entries\), checkpoint written \(cosigned by 3\)\n/m);

    const rival = await custodesAsync(['log', 'mirror', '--tiles', server.url, '--out', out]);
    expect(rival.stderr).toBe(`custodes: mirror: another process is writing ${out}\n`);
    expect(rival.status).toBe(1);

    current = version(second, [1, 2, 3]);
    await waitFor(/^mirror: size 701 \(\+400 entries\), checkpoint written \(cosigned by 3\)\n/m);

    current = version([...genesis, ...fillerLeaves(700, 'other')], [1, 2, 3]);
    expect(await exited).toBe(1);
    expect(stderr.trimEnd().split('\n').at(-1)).toMatch(/^custodes: mirror: SPLIT_VIEW: the source signed root \S+ for size 701; the mirror's tree of that size has root \S+$/);
  } finally {
    await server.close();
  }
}, 120_000);
