/**
 * verifyLog against an in-test read-API server (docs/PROTOCOL.md §4.4): checkpoint
 * signature, cosignatures by ≥ t custodians, consistency with the state kept
 * across runs, the root recomputed from the entries, and the rules.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { canonicalBytes } from '@custodes/shared/records';
import type { LogEntry } from '@custodes/shared/records';
import { cosignCheckpoint, MemoryTree } from '@custodes/shared/log';
import { AuditError, verifyLog } from '@custodes/auditor';
import type { Finding, Progress } from '@custodes/auditor';
import { cleanScenario, DAY, keyPair, LogBuilder, makeKeys, ORIGIN, T0 } from './scenario';
import type { CleanScenario } from './scenario';
import { signedNote, TestLogServer } from './server';

const keys = makeKeys();
let server: TestLogServer;
let clean: CleanScenario;
let leaves: Uint8Array[];
const dirs: string[] = [];

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'custodes-auditor-'));
  dirs.push(dir);
  return dir;
}

const codes = (findings: readonly Finding[]) => findings.map((f) => `${f.index} ${f.code}`);

beforeAll(async () => {
  server = await new TestLogServer(keys).start();
  clean = cleanScenario(keys);
  leaves = clean.log.leaves();
});

afterAll(async () => {
  await server.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The clean leaves with entry `index` replaced (a different history of the same size). */
function forked(index: number): Uint8Array[] {
  const entry = clean.log.entries[index] as Extract<LogEntry, { type: 'decryption-complete' }>;
  if (entry.type !== 'decryption-complete') throw new Error(`entry ${index} is a ${entry.type}`);
  const copy = [...leaves];
  copy[index] = canonicalBytes({ ...entry, time: entry.time + 1 });
  return copy;
}

function lastComplete(): number {
  for (let i = clean.log.entries.length - 1; i >= 0; i--) if (clean.log.entries[i]!.type === 'decryption-complete') return i;
  throw new Error('no decryption-complete entry');
}

describe('verifyLog', () => {
  test('a clean log served over the read API passes with zero findings', async () => {
    server.publish(leaves);
    const progress: Progress[] = [];
    const r = await verifyLog({ logUrl: server.url, now: clean.now, onProgress: (p) => progress.push(p), progressEvery: 10 });
    expect(r.findings).toEqual([]);
    expect(r.size).toBe(leaves.length);
    expect(r.checkpoint).toMatchObject({ origin: ORIGIN, size: leaves.length, accepted: true });
    expect(r.checkpoint?.cosigners).toEqual(['custodian-1', 'custodian-2', 'custodian-3', 'custodian-4', 'custodian-5']);
    expect(progress.filter((p) => p.phase === 'fetch').at(-1)).toEqual({ phase: 'fetch', done: leaves.length, total: leaves.length });
    expect(progress.filter((p) => p.phase === 'check').at(-1)).toEqual({ phase: 'check', done: leaves.length, total: leaves.length });
  });

  test('rule findings come through with their indices', async () => {
    const log = new LogBuilder(keys);
    const w = log.warrant();
    log.approveBy(w, [1, 2], T0 + DAY);
    const r = log.request(w, 1, T0 + 2 * DAY);
    server.publish(log.leaves());
    const result = await verifyLog({ logUrl: server.url, now: T0 + 3 * DAY });
    expect(codes(result.findings)).toEqual([`${r.index} REQUEST_BEFORE_QUORUM`]);
    expect(result.checkpoint?.accepted).toBe(true);
  });

  test('a checkpoint cosigned by fewer than t custodians is INSUFFICIENT_COSIGNATURES and not accepted', async () => {
    server.publish(leaves, [1, 2]);
    const dir = stateDir();
    const r = await verifyLog({ logUrl: server.url, now: clean.now, stateDir: dir });
    expect(codes(r.findings)).toEqual([`${leaves.length} INSUFFICIENT_COSIGNATURES`]);
    expect(r.checkpoint?.accepted).toBe(false);
    // Nothing was stored: with enough cosignatures the next run starts from scratch and passes.
    server.publish(leaves, [2, 4, 5]);
    const again = await verifyLog({ logUrl: server.url, now: clean.now, stateDir: dir });
    expect(again.findings).toEqual([]);
    expect(again.checkpoint?.cosigners).toEqual(['custodian-2', 'custodian-4', 'custodian-5']);
  });

  test('cosignatures by keys that are not registered do not count', async () => {
    server.publish(leaves, [1, 2]);
    const { checkpoint } = server.current;
    const stranger = keyPair();
    const extra = ['custodian-3', 'custodian-4'].map((name) => cosignCheckpoint(checkpoint, { name, secretKey: stranger.noteSecret, timestamp: T0 }));
    server.serveNote(server.current.note + extra.join(''));
    const r = await verifyLog({ logUrl: server.url, now: clean.now });
    expect(codes(r.findings)).toEqual([`${leaves.length} INSUFFICIENT_COSIGNATURES`]);
  });

  test('an equivocating log (another root at the same size, remembered across runs) is LOG_EQUIVOCATION', async () => {
    const dir = stateDir();
    server.publish(leaves);
    expect((await verifyLog({ logUrl: server.url, now: clean.now, stateDir: dir })).findings).toEqual([]);
    server.publish(forked(lastComplete()));
    const r = await verifyLog({ logUrl: server.url, now: clean.now, stateDir: dir });
    expect(codes(r.findings)).toEqual([`${leaves.length} LOG_EQUIVOCATION`]);
    expect(r.checkpoint?.accepted).toBe(false);
    // The verified history stays the first one.
    expect(r.size).toBe(leaves.length);
  });

  test('a log that grows consistently is accepted, fetching only the new entries', async () => {
    const dir = stateDir();
    const cut = leaves.length - 5;
    server.publish(leaves.slice(0, cut));
    expect((await verifyLog({ logUrl: server.url, now: clean.now, stateDir: dir })).findings).toEqual([]);
    server.publish(leaves);
    const fetched: Progress[] = [];
    const r = await verifyLog({ logUrl: server.url, now: clean.now, stateDir: dir, onProgress: (p) => p.phase === 'fetch' && fetched.push(p) });
    expect(r.findings).toEqual([]);
    expect(r.checkpoint?.accepted).toBe(true);
    expect(fetched).toEqual([{ phase: 'fetch', done: leaves.length, total: leaves.length }]);
    // An older checkpoint served later is a stale but consistent view: no finding.
    server.publish(leaves.slice(0, cut));
    const stale = await verifyLog({ logUrl: server.url, now: clean.now, stateDir: dir });
    expect(stale.findings).toEqual([]);
    expect(stale.size).toBe(leaves.length);
  });

  test('a log that rewrites history while growing is INCONSISTENT_CHECKPOINT', async () => {
    const dir = stateDir();
    const index = lastComplete();
    server.publish(leaves.slice(0, index + 1));
    expect((await verifyLog({ logUrl: server.url, now: clean.now, stateDir: dir })).findings).toEqual([]);
    server.publish(forked(index));
    const r = await verifyLog({ logUrl: server.url, now: clean.now, stateDir: dir });
    expect(codes(r.findings)).toEqual([`${leaves.length} INCONSISTENT_CHECKPOINT`]);
  });

  test('entries that do not hash to the checkpoint root are ROOT_MISMATCH', async () => {
    server.publish(leaves);
    const other = new MemoryTree();
    for (const leaf of forked(lastComplete())) other.append(leaf);
    server.serveNote(signedNote(keys, { origin: ORIGIN, size: other.size, root: other.root() }, [1, 2, 3, 4, 5]));
    const r = await verifyLog({ logUrl: server.url, now: clean.now });
    expect(codes(r.findings)).toEqual([`${leaves.length} ROOT_MISMATCH`]);
    expect(r.checkpoint?.accepted).toBe(false);
  });

  test('a checkpoint not signed by the registry log key is BAD_LOG_SIGNATURE; junk is BAD_CHECKPOINT', async () => {
    server.publish(leaves);
    const impostor = { ...keys, log: keyPair() };
    const { checkpoint } = server.current;
    server.serveNote(signedNote(impostor, checkpoint, [1, 2, 3]));
    expect(codes((await verifyLog({ logUrl: server.url, now: clean.now })).findings)).toEqual([`${leaves.length} BAD_LOG_SIGNATURE`]);
    server.serveNote('not a note');
    expect(codes((await verifyLog({ logUrl: server.url, now: clean.now })).findings)).toEqual(['0 BAD_CHECKPOINT']);
  });

  test('pinned keys: the right ones pass; others are PIN_MISMATCH and nothing is accepted', async () => {
    server.publish(leaves);
    const custodianKeys = keys.custodians.map((k) => k.public);
    const pins = { format: 'custodes.pins.v1' as const, origin: ORIGIN, logKey: keys.log.public, custodianKeys };
    expect((await verifyLog({ logUrl: server.url, now: clean.now, pinnedKeys: pins })).findings).toEqual([]);
    const wrong = { ...pins, custodianKeys: [keyPair().public, ...custodianKeys.slice(1)] };
    const r = await verifyLog({ logUrl: server.url, now: clean.now, pinnedKeys: wrong });
    expect(new Set(r.findings.map((f) => f.code))).toEqual(new Set(['PIN_MISMATCH']));
    expect(r.checkpoint?.accepted).toBe(false);
    // The BIP340 log key is pinned against the genesis; the Ed25519 note key, when pinned, verifies the checkpoint.
    const wrongLog = { ...pins, logKey: keyPair().public };
    expect(codes((await verifyLog({ logUrl: server.url, now: clean.now, pinnedKeys: wrongLog })).findings)).toContain('0 PIN_MISMATCH');
    expect((await verifyLog({ logUrl: server.url, now: clean.now, pinnedKeys: { ...pins, logNoteKey: keys.log.notePublic } })).findings).toEqual([]);
    const wrongNote = { ...pins, logNoteKey: keyPair().notePublic };
    const noted = await verifyLog({ logUrl: server.url, now: clean.now, pinnedKeys: wrongNote });
    expect(codes(noted.findings)).toEqual([`${leaves.length} BAD_LOG_SIGNATURE`]);
    expect(noted.checkpoint?.accepted).toBe(false);
  });

  test('junk from the server is an AuditError (BAD_RESPONSE / FETCH_FAILED), never a crash or a finding', async () => {
    server.publish(leaves);
    const junk: [string, number, string, string][] = [
      ['/log/v1/entries', 200, '{"start":0,"entries":["!!"]}', 'BAD_RESPONSE'],
      ['/log/v1/entries', 200, '{"start":7,"entries":[]}', 'BAD_RESPONSE'],
      ['/log/v1/entries', 200, 'not json', 'BAD_RESPONSE'],
      ['/log/v1/entries', 500, '{"error":{"code":"BOOM","message":"boom"}}', 'FETCH_FAILED'],
      ['/log/v1/checkpoint', 404, '{"error":{"code":"NOPE","message":"nope"}}', 'FETCH_FAILED'],
    ];
    try {
      for (const [path, status, body, code] of junk) {
        server.overrides.clear();
        server.overrides.set(path, { status, body });
        const err = await verifyLog({ logUrl: server.url, now: clean.now, fetch: { retries: 0 } }).catch((e: unknown) => e);
        expect(err, `${path} ${body}`).toBeInstanceOf(AuditError);
        expect((err as AuditError).code, `${path} ${body}`).toBe(code);
      }
      // A consistency proof of junk is an error too, after a first verified run.
      server.overrides.clear();
      const dir = stateDir();
      server.publish(leaves.slice(0, 10));
      await verifyLog({ logUrl: server.url, now: clean.now, stateDir: dir });
      server.publish(leaves);
      server.overrides.set('/log/v1/proof/consistency', { status: 200, body: '{"from":10,"to":1,"proof":[]}' });
      const err = await verifyLog({ logUrl: server.url, now: clean.now, stateDir: dir, fetch: { retries: 0 } }).catch((e: unknown) => e);
      expect((err as AuditError).code).toBe('BAD_RESPONSE');
    } finally {
      server.overrides.clear();
    }
  });

  test('a log longer than a page is fetched in pages (short pages followed up) with progress every N', async () => {
    const log = new LogBuilder(keys);
    const template = log.warrant({ issuedAt: T0 }).entry;
    for (let i = 1; i < 2100; i++) log.push({ ...template, warrantId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` });
    server.publish(log.leaves());
    server.maxPage = 700;
    const progress: Progress[] = [];
    try {
      const r = await verifyLog({ logUrl: server.url, now: T0 + DAY, onProgress: (p) => progress.push(p) });
      expect(r.findings).toEqual([]);
      expect(r.size).toBe(2101);
      expect(r.audit.warrants.size).toBe(2100);
    } finally {
      server.maxPage = 1000;
    }
    const fetched = progress.filter((p) => p.phase === 'fetch').map((p) => p.done);
    expect(fetched).toEqual([701, 1401, 2101]);
    expect(progress.filter((p) => p.phase === 'check').map((p) => p.done)).toEqual([1000, 2000, 2101]);
  });
});
