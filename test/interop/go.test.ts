/**
 * Interop with tools no one on the project wrote (docs/PROTOCOL.md §9.9): a Go
 * program (test/interop/tlogcheck) built with Debian's Go and
 * golang.org/x/mod (golang-golang-x-mod-dev, offline, GOPATH mode) checks the
 * live coordinator's log and its nginx mirror: the log's Ed25519 signature
 * with note.Open, the custodians' cosignature/v1 lines with crypto/ed25519,
 * the tiles with tlog.TileHashReader, tlog.CheckRecord and tlog.CheckTree; it
 * must fail on a mirror with one tampered hash tile, log signature or
 * cosignature. Under CI=true missing Go, x/mod or
 * nginx fail the test; elsewhere it is skipped with the reason in its name.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TileClient } from '@custodes/auditor';
import { Mirror } from '../../scripts/src/mirror/mirror';
import { approvedWarrant, finished, seal, startCluster, subjectLabel, submitRequest, type Cluster } from '../coordinator/helpers/cluster';
import { HAVE_NGINX, NGINX_PATH, startNginx, type Nginx } from '../mirror/nginx';
import { MemoryTree } from '@custodes/shared/log';
import type { RegistryEntry } from '@custodes/shared/records';
import { LogBuilder, makeKeys, ORIGIN } from '../auditor/scenario';
import { signedNote } from '../auditor/server';
import { fillerLeaves, serveDir, writeTiles } from '../mirror/helpers';

const GOPATH = '/usr/share/gocode';
const SOURCE = fileURLToPath(new URL('./tlogcheck', import.meta.url));
const HAVE_GO = spawnSync('go', ['version']).status === 0 && existsSync(join(GOPATH, 'src/golang.org/x/mod/sumdb/tlog'));
const missing = [!HAVE_GO && 'go with golang.org/x/mod (apt-get install -y golang-go golang-golang-x-mod-dev)', !HAVE_NGINX && `nginx at ${NGINX_PATH}`].filter(Boolean);
const SKIP = missing.length > 0 && process.env.CI !== 'true';
if (SKIP) console.warn(`\n!!! Go interop test SKIPPED: missing ${missing.join(' and ')} (under CI=true it fails instead)\n`);

let work: string;
let binary: string;
let cluster: Cluster | undefined;
const nginxes: Nginx[] = [];
let mirrorDir: string;

interface Run {
  status: number | null;
  stdout: string;
}

function run(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout }));
  });
}

beforeAll(async () => {
  if (SKIP) return;
  if (missing.length > 0) throw new Error(`CI=true but the Go interop test cannot run: missing ${missing.join(' and ')}`);
  work = mkdtempSync(join(tmpdir(), 'custodes-interop-'));
  binary = join(work, 'tlogcheck');
  // Offline: GOPATH mode resolves golang.org/x/mod from Debian's /usr/share/gocode, no module proxy.
  const build = spawnSync('go', ['build', '-o', binary, '.'], {
    cwd: SOURCE,
    env: { ...process.env, GO111MODULE: 'off', GOPATH, GOCACHE: join(work, 'gocache'), GOFLAGS: '', GOPROXY: 'off' },
    encoding: 'utf8',
    timeout: 240_000,
  });
  if (build.status !== 0) throw new Error(`go build failed: ${build.stderr}`);
  cluster = await startCluster();
  const { warrant } = await approvedWarrant(cluster, 'a');
  const requestId = await submitRequest(cluster, 'a', warrant.id, [seal(cluster, 'one', subjectLabel('alice@example.com')), seal(cluster, 'two', subjectLabel('bob@example.com'))]);
  await finished(cluster, 'a', requestId);
  mirrorDir = mkdtempSync(join(tmpdir(), 'custodes-interop-mirror-'));
  await Mirror.open(mirrorDir).sync(new TileClient(`${cluster.url}/log/v1`));
}, 300_000);

afterAll(async () => {
  for (const n of nginxes) await n.close();
  await cluster?.close();
  if (work) rmSync(work, { recursive: true, force: true });
  if (mirrorDir) rmSync(mirrorDir, { recursive: true, force: true });
});

/** The keys tlogcheck is given, from the registry in the log: the log's note key, the custodians' witness keys, t. */
function keyArgs(registry: RegistryEntry): string[] {
  const newest = [...registry.epochs].sort((a, b) => b.epoch - a.epoch)[0]!;
  return [
    '-log-key',
    `${registry.origin}=${registry.logNoteKey}`,
    ...newest.custodians.flatMap((c) => ['-witness', `${c.name}=${c.witnessKey}`]),
    '-min-cosignatures',
    String(newest.threshold),
  ];
}

/** The lines every passing run prints, in order. */
function expectPassing(r: Run, size?: number): void {
  expect(r.stdout, r.stdout).toMatch(/^note\.Open: the log's Ed25519 signature verifies \(custodes\.test\/log, key ID [0-9a-f]{8}\)\n/);
  expect(r.stdout).toMatch(/\ncosignature\/v1: [3-5] witness cosignature\(s\) verify with crypto\/ed25519 \(custodian-\d(, custodian-\d)+\)\n/);
  expect(r.stdout).toMatch(/\ncheckpoint: origin custodes\.test\/log, size \d+, root [A-Za-z0-9+/]{43}=\n/);
  expect(r.stdout).toMatch(/\ntlog\.TileHashReader: hash tiles authenticated against the root of size \d+\n/);
  expect(r.stdout).toMatch(/\ntlog\.CheckRecord: 25 random entries proven in the tree of size \d+\n/);
  expect(r.stdout).toMatch(/\ntlog\.CheckTree: 25 random older sizes proven consistent with size \d+\n/);
  expect(r.stdout).toMatch(/\nOK\n$/);
  if (size !== undefined) expect(r.stdout).toContain(`, size ${size}, `);
  expect(r.status).toBe(0);
}

describe.skipIf(SKIP)(`Go's sumdb/note and sumdb/tlog check the log${SKIP ? ` [SKIPPED: missing ${missing.join(' and ')}]` : ''}`, () => {
  test('against the live coordinator: its tiles, and its own JSON proofs', async () => {
    const r = await run(['-tiles', `${cluster!.url}/log/v1`, '-api', cluster!.url, '-samples', '25', ...keyArgs(cluster!.registry)]);
    expectPassing(r);
    expect(r.stdout).toContain('api: the coordinator\'s inclusion and consistency proofs pass tlog.CheckRecord and tlog.CheckTree\n');
    console.log(`tlogcheck against the coordinator:\n${r.stdout}`);
  }, 120_000);

  test('against the nginx mirror alone', async () => {
    const nginx = await startNginx(mirrorDir);
    nginxes.push(nginx);
    const size = Number(readFileSync(join(mirrorDir, 'checkpoint'), 'utf8').split('\n')[1]);
    const r = await run(['-tiles', nginx.url, '-samples', '25', ...keyArgs(cluster!.registry)]);
    expectPassing(r, size);
    console.log(`tlogcheck against the nginx mirror:\n${r.stdout}`);
  }, 120_000);

  test('a mirror of 66,000 entries: full and partial tiles on three tile levels', async () => {
    const keys = makeKeys();
    const leaves = [...new LogBuilder(keys).leaves(), ...fillerLeaves(66_000)];
    const tree = new MemoryTree();
    for (const l of leaves) tree.append(l);
    const src = mkdtempSync(join(tmpdir(), 'custodes-interop-src-'));
    const big = mkdtempSync(join(tmpdir(), 'custodes-interop-big-'));
    const server = await serveDir(src);
    try {
      writeTiles(src, leaves, signedNote(keys, { origin: ORIGIN, size: tree.size, root: tree.root() }, [1, 2, 3]));
      await Mirror.open(big).sync(new TileClient(server.url));
      const nginx = await startNginx(big);
      nginxes.push(nginx);
      const genesis = JSON.parse(new TextDecoder().decode(leaves[0])) as RegistryEntry;
      const r = await run(['-tiles', nginx.url, '-samples', '25', ...keyArgs(genesis)]);
      expectPassing(r, leaves.length);
      console.log(`tlogcheck against a mirror of ${leaves.length} entries:\n${r.stdout}`);
    } finally {
      await server.close();
      rmSync(src, { recursive: true, force: true });
      rmSync(big, { recursive: true, force: true });
    }
  }, 180_000);

  test('fails on a mirror with one flipped bit in a hash tile', async () => {
    const tampered = mkdtempSync(join(tmpdir(), 'custodes-interop-tampered-'));
    try {
      cpSync(mirrorDir, tampered, { recursive: true });
      const size = Number(readFileSync(join(tampered, 'checkpoint'), 'utf8').split('\n')[1]);
      const tile = join(tampered, `tile/0/000${size < 256 ? `.p/${size}` : ''}`);
      const bytes = readFileSync(tile);
      bytes[bytes.length - 1]! ^= 1;
      writeFileSync(tile, bytes);
      const nginx = await startNginx(tampered);
      nginxes.push(nginx);
      const r = await run(['-tiles', nginx.url, '-samples', '25', ...keyArgs(cluster!.registry)]);
      expect(r.stdout).toMatch(/\nFAIL: tlog\.TileHashReader: .*(invalid|inconsistent|malformed).*\n$/i);
      console.log(`tlogcheck against the tampered mirror:\n${r.stdout}`);
      expect(r.status).toBe(1);
    } finally {
      rmSync(tampered, { recursive: true, force: true });
    }
  }, 120_000);

  test('fails on a flipped bit in the log signature, and in a cosignature', async () => {
    const note = readFileSync(join(mirrorDir, 'checkpoint'), 'utf8');
    const lines = note.split('\n');
    const signatureLines = lines.map((l, i) => [l, i] as const).filter(([l]) => l.startsWith('— '));
    /** The note with the last byte of signature line `k` flipped (its key ID kept). */
    const flipped = (k: number) => {
      const [line, at] = signatureLines[k]!;
      const raw = Buffer.from(line.slice(line.lastIndexOf(' ') + 1), 'base64');
      raw[raw.length - 1]! ^= 1;
      const out = [...lines];
      out[at] = `${line.slice(0, line.lastIndexOf(' ') + 1)}${raw.toString('base64')}`;
      return out.join('\n');
    };
    const cases: [string, RegExp][] = [
      [flipped(0), /\nFAIL: note\.Open: .*\n$|^FAIL: note\.Open: .*\n$/],
      [flipped(1), /\nFAIL: cosignature of custodian-\d \(time \d+\) does not verify\n$/],
    ];
    for (const [text, expected] of cases) {
      const tampered = mkdtempSync(join(tmpdir(), 'custodes-interop-note-'));
      try {
        cpSync(mirrorDir, tampered, { recursive: true });
        writeFileSync(join(tampered, 'checkpoint'), text);
        const nginx = await startNginx(tampered);
        nginxes.push(nginx);
        const r = await run(['-tiles', nginx.url, ...keyArgs(cluster!.registry)]);
        expect(r.stdout).toMatch(expected);
        expect(r.status).toBe(1);
      } finally {
        rmSync(tampered, { recursive: true, force: true });
      }
    }
  }, 120_000);
});
