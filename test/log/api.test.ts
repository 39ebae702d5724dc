/**
 * The public read API (docs/PROTOCOL.md §4.4) end to end over loopback: served
 * proofs verify with the library's verifier against the signed checkpoint and
 * fail when any byte changes; junk parameters get 400 with
 * `{ error: { code, message } }`, ranges beyond the published tree 404, and
 * no response ever carries a stack trace.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, concatBytes } from '../../shared/src/crypto/bytes';
import { ed25519PublicKey } from '../../shared/src/crypto/ed25519';
import {
  decodeEntryBundle,
  leafHash,
  openCheckpoint,
  rootFromLeaves,
  verifyConsistency,
  verifyInclusion,
} from '../../shared/src/log/index';
import { createLogServer, type LogServer } from '../../services/coordinator/src/routes/logServer';
import { LogStore } from '../../services/coordinator/src/log/index';
import { startLogOnlyCoordinator } from '../../services/coordinator/src/logOnly';

const ORIGIN = 'custodes.test/api';
const SECRET = new Uint8Array(32).fill(31);
const LOG_KEY = { name: ORIGIN, publicKey: ed25519PublicKey(SECRET) };
const PUBLISHED = 600; // two full level-0 tiles and a partial one of width 88
const STORED = 610; // ten more, stored but not yet published

const leaf = (i: number): Uint8Array => new TextEncoder().encode(`{"entry":${i},"pad":"${'p'.repeat(i % 50)}"}`);

let dir: string;
let store: LogStore;
let server: LogServer;
let root: Uint8Array;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'custodes-api-'));
  store = LogStore.open(join(dir, 'log.sqlite'), { origin: ORIGIN, noteSecretKey: SECRET });
  store.append(Array.from({ length: PUBLISHED }, (_, i) => leaf(i)));
  store.publishCheckpoint();
  store.append(Array.from({ length: STORED - PUBLISHED }, (_, i) => leaf(PUBLISHED + i)));
  root = rootFromLeaves(Array.from({ length: PUBLISHED }, (_, i) => leaf(i)));
  server = await createLogServer(store);
});

afterAll(async () => {
  await server.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function get(path: string): Promise<Response> {
  return fetch(`${server.url}${path}`);
}

async function json<T>(path: string, status = 200): Promise<T> {
  const res = await get(path);
  const body = await res.text();
  expect(res.status, `${path}: ${body}`).toBe(status);
  return JSON.parse(body) as T;
}

async function bytes(path: string): Promise<Uint8Array> {
  const res = await get(path);
  expect(res.status, path).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/octet-stream');
  return new Uint8Array(await res.arrayBuffer());
}

/** Asserts the error shape and that nothing looks like a stack trace. */
async function expectError(path: string, status: number, code?: string): Promise<void> {
  const res = await get(path);
  const text = await res.text();
  expect(res.status, `${path}: ${text}`).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text) as { error: { code: string; message: string } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(typeof body.error.code).toBe('string');
  expect(typeof body.error.message).toBe('string');
  if (code) expect(body.error.code).toBe(code);
  expect(text).not.toMatch(/\bat .+\.(?:ts|js):\d+|node_modules|stack/);
}

interface Inclusion {
  index: number;
  size: number;
  leafHash: string;
  proof: string[];
}

describe('GET /log/v1/checkpoint', () => {
  it('serves the signed note of the published tree as text/plain', async () => {
    const res = await get('/log/v1/checkpoint');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const opened = openCheckpoint(await res.text(), LOG_KEY);
    expect(opened?.checkpoint).toEqual({ origin: ORIGIN, size: PUBLISHED, root });
  });
});

describe('GET /log/v1/entries', () => {
  it('serves exact leaf bytes as base64, end exclusive', async () => {
    const page = await json<{ start: number; entries: string[] }>('/log/v1/entries?start=597&end=600');
    expect(page.start).toBe(597);
    expect(page.entries.map((e) => base64ToBytes(e))).toEqual([leaf(597), leaf(598), leaf(599)]);
    const full = await json<{ entries: string[] }>('/log/v1/entries?start=0&end=600');
    expect(full.entries).toHaveLength(600);
  });

  it('404s beyond the published checkpoint, even for stored entries', async () => {
    await expectError('/log/v1/entries?start=599&end=601', 404, 'BEYOND_TREE');
    await expectError('/log/v1/entries?start=600&end=601', 404);
    await expectError('/log/v1/entries?start=5000&end=5001', 404);
  });
});

describe('junk parameters get 400', () => {
  const junkNumbers = ['-1', 'abc', '01', '00', '1.0', '1e3', '+1', '%201', '1%20', '0x1', '', '9007199254740992', '99999999999999999999', '1%2C2', 'Infinity', 'NaN'];

  it.each(junkNumbers)('entries start=%j', async (v) => {
    await expectError(`/log/v1/entries?start=${v}&end=3`, 400, 'BAD_PARAMETER');
    await expectError(`/log/v1/entries?start=0&end=${v}`, 400, 'BAD_PARAMETER');
  });

  it.each(junkNumbers)('proofs with %j', async (v) => {
    await expectError(`/log/v1/proof/inclusion?index=${v}&size=10`, 400, 'BAD_PARAMETER');
    await expectError(`/log/v1/proof/inclusion?index=1&size=${v}`, 400, 'BAD_PARAMETER');
    await expectError(`/log/v1/proof/consistency?from=${v}&to=10`, 400, 'BAD_PARAMETER');
    await expectError(`/log/v1/proof/consistency?from=1&to=${v}`, 400, 'BAD_PARAMETER');
  });

  it.each([
    '/log/v1/entries',
    '/log/v1/entries?start=1',
    '/log/v1/entries?start=1&start=2&end=3',
    '/log/v1/entries?start[]=1&end=3',
    '/log/v1/entries?start=1&end=3&extra=1',
    '/log/v1/entries?start=5&end=4',
    '/log/v1/entries?start=5&end=5',
    '/log/v1/entries?start=0&end=1001',
    '/log/v1/proof/inclusion?size=10',
    '/log/v1/proof/inclusion?index=1',
    '/log/v1/proof/inclusion?index=10&size=10',
    '/log/v1/proof/inclusion?index=0&size=0',
    '/log/v1/proof/inclusion?index=1&hash=AAAA&size=10',
    '/log/v1/proof/inclusion?hash=not-base64&size=10',
    `/log/v1/proof/inclusion?hash=${encodeURIComponent(bytesToBase64(new Uint8Array(31)))}&size=10`,
    `/log/v1/proof/inclusion?hash=${bytesToBase64(new Uint8Array(32).fill(0xfb))}&size=10`, // raw "+" decodes to a space
    '/log/v1/proof/consistency?from=0&to=10',
    '/log/v1/proof/consistency?from=11&to=10',
    '/log/v1/proof/consistency?from=1',
    '/log/v1/proof/consistency?from=1&to=2&to=3',
  ])('%s', async (path) => {
    await expectError(path, 400);
  });

  it('404s sizes beyond the published tree', async () => {
    await expectError('/log/v1/proof/inclusion?index=0&size=601', 404, 'BEYOND_TREE');
    await expectError('/log/v1/proof/consistency?from=1&to=601', 404, 'BEYOND_TREE');
    await expectError('/log/v1/proof/consistency?from=601&to=610', 404, 'BEYOND_TREE');
    const unknown = encodeURIComponent(bytesToBase64(leafHash(leaf(9999))));
    await expectError(`/log/v1/proof/inclusion?hash=${unknown}&size=600`, 404, 'NOT_FOUND');
    // Stored but not published: not found in the published tree.
    const unpublished = encodeURIComponent(bytesToBase64(leafHash(leaf(605))));
    await expectError(`/log/v1/proof/inclusion?hash=${unpublished}&size=600`, 404);
  });

  it('answers unknown routes with the same error shape', async () => {
    await expectError('/log/v1/nothing', 404, 'NOT_FOUND');
  });
});

describe('proofs end to end', () => {
  it('inclusion by index verifies against the signed root and fails when any byte changes', async () => {
    for (const index of [0, 1, 255, 256, 511, 598, 599]) {
      const r = await json<Inclusion>(`/log/v1/proof/inclusion?index=${index}&size=${PUBLISHED}`);
      expect(r.index).toBe(index);
      expect(r.size).toBe(PUBLISHED);
      const lh = base64ToBytes(r.leafHash);
      expect(lh).toEqual(leafHash(leaf(index)));
      const proof = r.proof.map((p) => base64ToBytes(p));
      expect(verifyInclusion(index, PUBLISHED, lh, proof, root)).toBe(true);
      // Change each byte of the served answer: every proof element, the leaf hash.
      proof.forEach((element, j) => {
        for (let b = 0; b < element.length; b++) {
          const changed = element.slice();
          changed[b]! ^= 1 << b % 8;
          const tampered = proof.map((p, k) => (k === j ? changed : p));
          expect(verifyInclusion(index, PUBLISHED, lh, tampered, root)).toBe(false);
        }
      });
      for (let b = 0; b < lh.length; b++) {
        const changed = lh.slice();
        changed[b]! ^= 0x80;
        expect(verifyInclusion(index, PUBLISHED, changed, proof, root)).toBe(false);
      }
    }
  });

  it('inclusion by leaf hash finds the index and verifies', async () => {
    const hash = encodeURIComponent(bytesToBase64(leafHash(leaf(321))));
    const r = await json<Inclusion>(`/log/v1/proof/inclusion?hash=${hash}&size=400`);
    expect(r.index).toBe(321);
    expect(verifyInclusion(321, 400, base64ToBytes(r.leafHash), r.proof.map((p) => base64ToBytes(p)), rootFromLeaves(Array.from({ length: 400 }, (_, i) => leaf(i))))).toBe(true);
    await expectError(`/log/v1/proof/inclusion?hash=${hash}&size=321`, 404);
  });

  it('consistency proofs verify between roots computed from served entries, and fail when any byte changes', async () => {
    const page = await json<{ entries: string[] }>('/log/v1/entries?start=0&end=600');
    const leaves = page.entries.map((e) => base64ToBytes(e));
    for (const [from, to] of [[1, 600], [100, 600], [256, 512], [599, 600], [600, 600], [37, 421]] as const) {
      const r = await json<{ from: number; to: number; proof: string[] }>(`/log/v1/proof/consistency?from=${from}&to=${to}`);
      expect([r.from, r.to]).toEqual([from, to]);
      const proof = r.proof.map((p) => base64ToBytes(p));
      const root1 = rootFromLeaves(leaves.slice(0, from));
      const root2 = rootFromLeaves(leaves.slice(0, to));
      expect(verifyConsistency(from, to, proof, root1, root2)).toBe(true);
      proof.forEach((element, j) => {
        for (let b = 0; b < element.length; b++) {
          const changed = element.slice();
          changed[b]! ^= 1 << b % 8;
          expect(verifyConsistency(from, to, proof.map((p, k) => (k === j ? changed : p)), root1, root2)).toBe(false);
        }
      });
    }
  });
});

describe('tiles (C2SP tlog-tiles)', () => {
  it('serves full and partial level-0 tiles of leaf hashes', async () => {
    const full = await bytes('/log/v1/tile/0/001');
    expect(full).toEqual(concatBytes(...Array.from({ length: 256 }, (_, i) => leafHash(leaf(256 + i)))));
    const partial = await bytes('/log/v1/tile/0/002.p/88');
    expect(partial.length).toBe(88 * 32);
    expect(partial.subarray(87 * 32)).toEqual(leafHash(leaf(599)));
    expect(await bytes('/log/v1/tile/0/002.p/10')).toEqual(partial.subarray(0, 320));
  });

  it('serves level-1 hashes: MTH of 256 leaves each', async () => {
    const tile = await bytes('/log/v1/tile/1/000.p/2');
    expect(tile.subarray(0, 32)).toEqual(rootFromLeaves(Array.from({ length: 256 }, (_, i) => leaf(i))));
    expect(tile.subarray(32)).toEqual(rootFromLeaves(Array.from({ length: 256 }, (_, i) => leaf(256 + i))));
  });

  it('serves entry bundles', async () => {
    const bundle = decodeEntryBundle(await bytes('/log/v1/tile/entries/002.p/88'));
    expect(bundle).toEqual(Array.from({ length: 88 }, (_, i) => leaf(512 + i)));
    expect(decodeEntryBundle(await bytes('/log/v1/tile/entries/000'))).toHaveLength(256);
  });

  it('404s tiles the published tree does not fill, 400s malformed paths', async () => {
    for (const path of ['0/002', '0/002.p/89', '0/003.p/1', '1/000', '1/000.p/3', '2/000.p/1', 'entries/002', 'entries/002.p/89']) {
      await expectError(`/log/v1/tile/${path}`, 404, 'BEYOND_TREE');
    }
    for (const path of ['0/2', '00/000', '0/x000/002', '0/002.p/0', '0/002.p/256', 'entries/2', '64/000', '0/%30%30%30', '0/%zz', 'x', '']) {
      await expectError(`/log/v1/tile/${path}`, 400);
    }
  });
});

describe('failures inside the server', () => {
  it('become 500 INTERNAL without a stack, and are reported to onUnexpected', async () => {
    const broken = LogStore.open(join(dir, 'broken.sqlite'), { origin: ORIGIN, noteSecretKey: SECRET });
    broken.append([leaf(0)]);
    broken.publishCheckpoint();
    const seen: unknown[] = [];
    const s = await createLogServer(broken, { onUnexpected: (err) => seen.push(err) });
    try {
      broken.close(); // every read now throws inside the handler
      const res = await fetch(`${s.url}/log/v1/proof/inclusion?index=0&size=1`);
      const text = await res.text();
      expect(res.status).toBe(500);
      expect(JSON.parse(text)).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
      expect(seen).toHaveLength(1);
    } finally {
      await s.close();
    }
  });
});

describe('startLogOnlyCoordinator', () => {
  it('serves the log from a data directory, publishes on start and keeps data across restarts', async () => {
    const dataDir = join(dir, 'coordinator');
    const first = await startLogOnlyCoordinator({ dataDir, port: 0, origin: ORIGIN, noteSecretKey: Buffer.from(SECRET).toString('hex') });
    try {
      expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const empty = openCheckpoint(await (await fetch(`${first.url}/log/v1/checkpoint`)).text(), LOG_KEY);
      expect(empty?.checkpoint.size).toBe(0);
      expect(first.append([leaf(0), leaf(1), leaf(2)])).toBe(0);
      expect(first.publish().size).toBe(3);
    } finally {
      await first.close();
    }
    const second = await startLogOnlyCoordinator({ dataDir, origin: ORIGIN, noteSecretKey: SECRET });
    try {
      const opened = openCheckpoint(await (await fetch(`${second.url}/log/v1/checkpoint`)).text(), LOG_KEY);
      expect(opened?.checkpoint.size).toBe(3);
      const page = (await (await fetch(`${second.url}/log/v1/entries?start=0&end=3`)).json()) as { entries: string[] };
      expect(page.entries.map((e) => base64ToBytes(e))).toEqual([leaf(0), leaf(1), leaf(2)]);
    } finally {
      await second.close();
    }
  });
});
