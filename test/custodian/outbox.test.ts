/**
 * The custodian's outbox (services/custodian/src/outbox.ts): a record the
 * coordinator took from an answer (kickLater) waits its own grace period, so
 * the pass that posts an older one never posts it early; a record kicked now
 * goes at once; what the replica acknowledges meanwhile is never posted.
 */
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../services/custodian/src/logger';
import { Outbox } from '../../services/custodian/src/outbox';
import { openStore } from '../../services/custodian/src/store';

const GRACE_MS = 400;

interface Posted {
  key: string;
  at: number;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A store, an outbox, and a stand-in coordinator that logs every record posted to it. */
async function setup() {
  const posted: Posted[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const { entry } = JSON.parse(body) as { entry: { key: string } };
      posted.push({ key: entry.key, at: Date.now() });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ index: posted.length }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const store = openStore(join(mkdtempSync(join(tmpdir(), 'custodes-outbox-')), 'node.sqlite'));
  const outbox = new Outbox(store, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, createLogger('silent'), GRACE_MS);
  closers.push(async () => {
    await outbox.close();
    store.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  /** A record as the node stores it before answering (the entry names its key, so the stand-in can tell them apart). */
  const record = (key: string) => store.insertOutbox(key, JSON.stringify({ key }));
  return { store, outbox, posted, record };
}

describe('outbox grace periods', () => {
  it('posts each deferred record only after its own grace period, not with an older one', async () => {
    const { outbox, posted, record } = await setup();
    record('release:a');
    const aAt = Date.now();
    outbox.kickLater('release:a');
    await new Promise((r) => setTimeout(r, GRACE_MS / 2));
    record('release:b');
    const bAt = Date.now();
    outbox.kickLater('release:b');
    await vi.waitFor(() => expect(posted.map((p) => p.key)).toEqual(['release:a', 'release:b']), { timeout: 10_000, interval: 20 });
    const [a, b] = posted;
    expect(a!.at - aAt).toBeGreaterThanOrEqual(GRACE_MS - 5);
    // The pass that posted a came GRACE_MS / 2 after b was made: b had to wait for its own.
    expect(b!.at - bAt).toBeGreaterThanOrEqual(GRACE_MS - 5);
  });

  it('a record kicked now goes at once and leaves deferred ones waiting', async () => {
    const { outbox, posted, record } = await setup();
    record('release:deferred');
    const deferredAt = Date.now();
    outbox.kickLater('release:deferred');
    record('approval:now');
    await outbox.kick();
    expect(posted.map((p) => p.key)).toEqual(['approval:now']);
    await vi.waitFor(() => expect(posted.map((p) => p.key)).toEqual(['approval:now', 'release:deferred']), { timeout: 10_000, interval: 20 });
    expect(posted[1]!.at - deferredAt).toBeGreaterThanOrEqual(GRACE_MS - 5);
  });

  it('never posts a deferred record the replica acknowledged within its grace period', async () => {
    const { store, outbox, posted, record } = await setup();
    record('release:seen');
    outbox.kickLater('release:seen');
    record('release:unseen');
    outbox.kickLater('release:unseen');
    store.ackOutbox('release:seen', 7); // what replica.ts does when it sees the record logged
    await vi.waitFor(() => expect(posted.map((p) => p.key)).toEqual(['release:unseen']), { timeout: 10_000, interval: 20 });
    await new Promise((r) => setTimeout(r, GRACE_MS));
    expect(posted.map((p) => p.key)).toEqual(['release:unseen']);
  });

  it('a pass whose bookkeeping cannot be stored (a full disk) neither rejects nor loses the record: it is posted again later', async () => {
    const { store, outbox, posted, record } = await setup();
    record('approval:full');
    const full = () => {
      throw new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
    };
    const { ackOutbox, failOutbox } = store;
    Object.assign(store, { ackOutbox: full, failOutbox: full });
    // It used to reject here (an unhandled rejection ends the process: `void outbox.kick()`).
    await expect(outbox.kick()).resolves.toBeUndefined();
    expect(posted.map((p) => p.key)).toEqual(['approval:full']);
    expect(store.pendingOutbox().map((r) => r.key)).toEqual(['approval:full']);
    Object.assign(store, { ackOutbox, failOutbox });
    // Space is back: the pass retried after its pause posts it again (idempotent at the coordinator) and acknowledges it.
    await vi.waitFor(() => expect(store.pendingOutbox()).toEqual([]), { timeout: 10_000, interval: 20 });
    expect(posted.map((p) => p.key)).toEqual(['approval:full', 'approval:full']);
  });
});
