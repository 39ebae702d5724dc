/**
 * The coordinator when custodians fail (docs/PROTOCOL.md §1 goals 5 and 8, §5):
 * one down, too many down, one returning bad partials, and the coordinator
 * itself stopped mid-request and restarted on the same data directory
 * (also with a request row in the legacy `cosigned` state).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createCoordinator } from '@custodes/coordinator';
import { decodePoint, hexToBytes, parseEnvelope, verificationShare, verifyPartial } from '@custodes/shared/crypto';
import { api, approvedWarrant, finished, logEntries, openResults, seal, startCluster, subjectLabel, submitRequest, waitFor } from './helpers/cluster';
import type { Cluster } from './helpers/cluster';

let cluster: Cluster | undefined;

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const texts = ['first message', 'second message', 'third message'];
const envelopesFor = (c: Cluster) =>
  texts.map((t, i) => seal(c, t, subjectLabel(i % 2 ? 'bob@example.com' : 'alice@example.com', i % 2 ? 'chat' : 'email')));

async function plaintexts(c: Cluster, requestId: string): Promise<string[]> {
  const r = await api(c.url, 'GET', `/v1/requests/${requestId}/results`, undefined, c.tokens.a);
  expect(r.status).toBe(200);
  return openResults(r.body, requestId, c.investigators.a.secretKey);
}

/** No leaf twice, and per request: one request, one completion, one release per custodian. */
function expectLoggedOnce(entries: { type: string; [k: string]: any }[], requestId: string): void {
  const leaves = entries.map((e) => JSON.stringify(e));
  expect(new Set(leaves).size).toBe(leaves.length);
  const mine = entries.filter((e) => e.requestId === requestId);
  expect(mine.filter((e) => e.type === 'decryption-request')).toHaveLength(1);
  expect(mine.filter((e) => e.type === 'decryption-complete')).toHaveLength(1);
  const releases = mine.filter((e) => e.type === 'release').map((e) => e.custodian);
  expect(new Set(releases).size).toBe(releases.length);
}

describe('custodians down', () => {
  it('completes with one custodian down', async () => {
    cluster = await startCluster();
    const { warrant } = await approvedWarrant(cluster);
    await cluster.custodians[4]!.close();
    const id = await submitRequest(cluster, 'a', warrant.id, envelopesFor(cluster));
    expect(await finished(cluster, 'a', id)).toMatchObject({ state: 'complete', done: 3, failed: 0 });
    expect(await plaintexts(cluster, id)).toEqual(texts);
    const entries = await logEntries(cluster);
    expectLoggedOnce(entries, id);
    expect(entries.some((e) => e.type === 'release' && e.requestId === id && e.custodian === 5)).toBe(false);
  });

  it('fails clearly, having combined nothing, when n − t + 1 custodians are down past the deadline', async () => {
    // Approvers that cannot answer are asked again until partialsDeadlineMs (retry.test.ts shows the wait).
    cluster = await startCluster({ coordinator: { partialsDeadlineMs: 1500 } });
    const { warrant } = await approvedWarrant(cluster);
    await Promise.all(cluster.custodians.slice(2).map((c) => c.close()));
    const id = await submitRequest(cluster, 'a', warrant.id, envelopesFor(cluster));
    const state = await finished(cluster, 'a', id);
    expect(state).toMatchObject({ state: 'failed', total: 3, done: 0, failed: 3, error: { code: 'NOT_ENOUGH_CUSTODIANS' } });
    expect(state.error.message).toMatch(/nothing was combined/);
    const results = await api(cluster.url, 'GET', `/v1/requests/${id}/results`, undefined, cluster.tokens.a);
    expect(results.status).toBe(409);
    expect(results.body.error.code).toBe('NOT_READY');
    // The two reachable approvers witnessed the request and released in one exchange each (docs/PROTOCOL.md §4.6):
    // t − 1 partials, which reveal nothing, each logged as a release.
    expect(cluster.custodians.slice(0, 2).every((c) => c.served.has(id))).toBe(true);
    const entries = await logEntries(cluster);
    expect(entries.filter((e) => e.type === 'release' && e.requestId === id).map((e) => e.custodian).sort()).toEqual([1, 2]);
    expect(entries.filter((e) => e.type === 'decryption-complete' && e.requestId === id)).toEqual([
      { type: 'decryption-complete', requestId: id, decrypted: 0, failed: 3, blamed: [], time: expect.any(Number) },
    ]);
  });
});

describe('bad partials', () => {
  it('blames the custodian, logs its misbehavior, and completes from the others', async () => {
    cluster = await startCluster({ behaviours: { 1: 'bad-partial' } });
    const { warrant } = await approvedWarrant(cluster);
    const envelopes = envelopesFor(cluster);
    const id = await submitRequest(cluster, 'a', warrant.id, envelopes);
    expect(await finished(cluster, 'a', id)).toMatchObject({ state: 'complete', done: 3, failed: 0 });
    expect(await plaintexts(cluster, id)).toEqual(texts);
    const entries = await logEntries(cluster);
    expectLoggedOnce(entries, id);
    const complete = entries.find((e) => e.type === 'decryption-complete' && e.requestId === id)!;
    expect(complete.blamed).toEqual([1]);
    const bad = entries.filter((e) => e.type === 'misbehavior' && e.requestId === id);
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ custodian: 1, epoch: 0, partial: { index: 1 } });
    // Anyone can re-run the DLEQ check from public data and see it fail (docs/PROTOCOL.md §3.3).
    const env = envelopes.map((e) => parseEnvelope(e)).find((e) => e.id === bad[0]!.envelopeId)!;
    expect(env.envelope.R).toBe(bad[0]!.R);
    const commitments = (entries[0]!.epochs[0].commitments as string[]).map((h) => decodePoint(hexToBytes(h, 33)));
    expect(verifyPartial(bad[0]!.partial, verificationShare(commitments, 1), env)).toBe(false);

    // Now three more refuse: two answers are fewer than t, and nothing is combined.
    for (const i of [2, 3, 4]) cluster.custodians[i - 1]!.opts.behaviour = 'refuse';
    const second = await submitRequest(cluster, 'a', warrant.id, envelopesFor(cluster));
    expect(await finished(cluster, 'a', second)).toMatchObject({ state: 'failed', done: 0, error: { code: 'NOT_ENOUGH_CUSTODIANS' } });
    expect((await api(cluster.url, 'GET', `/v1/requests/${second}/results`, undefined, cluster.tokens.a)).status).toBe(409);
    const after = await logEntries(cluster);
    expect(after.filter((e) => e.type === 'misbehavior' && e.requestId === second)).toEqual([]);
    expect(after.find((e) => e.type === 'decryption-complete' && e.requestId === second)).toMatchObject({ decrypted: 0, failed: 3 });
  });
});

describe('restart', () => {
  it('refuses a second coordinator on a running one\'s data directory (two would sign two views of one log); a restart takes it over', async () => {
    cluster = await startCluster();
    expect(() => createCoordinator(cluster!.config)).toThrow(expect.objectContaining({ code: 'DATA_DIR_IN_USE', message: expect.stringContaining('in use by another running coordinator') }));
    expect((await api(cluster.url, 'GET', '/health')).status).toBe(200);
    await cluster.restart();
    expect((await api(cluster.url, 'GET', '/health')).status).toBe(200);
  });

  it('resumes a request after the coordinator stops mid-release, logging nothing twice', async () => {
    cluster = await startCluster();
    const c = cluster;
    const { warrant } = await approvedWarrant(c);
    let open!: () => void;
    const hold = new Promise<void>((r) => (open = r));
    for (const s of c.custodians) s.hold = hold;
    const id = await submitRequest(c, 'a', warrant.id, envelopesFor(c));
    await waitFor('partials to be asked for', () => (c.custodians.some((s) => s.partialCalls > 0) ? true : undefined));
    const closing = c.coordinator.close();
    open();
    await closing;
    for (const s of c.custodians) s.hold = null;
    await c.restart();
    expect(await finished(c, 'a', id)).toMatchObject({ state: 'complete', done: 3, failed: 0 });
    expect(await plaintexts(c, id)).toEqual(texts);
    expectLoggedOnce(await logEntries(c), id);
  });

  it('resumes a request logged just before the stop', async () => {
    cluster = await startCluster();
    const c = cluster;
    const { warrant } = await approvedWarrant(c);
    const id = await submitRequest(c, 'a', warrant.id, envelopesFor(c));
    await c.restart();
    expect(await finished(c, 'a', id)).toMatchObject({ state: 'complete', done: 3 });
    expectLoggedOnce(await logEntries(c), id);
  });

  it('resumes a request left in the legacy cosigned state (older versions) as releasing, and completes it', async () => {
    // Stand-ins that post no release themselves: as in the old data, nothing of the request is released yet.
    cluster = await startCluster({ postReleases: false });
    const c = cluster;
    const { warrant } = await approvedWarrant(c);
    let open!: () => void;
    const hold = new Promise<void>((r) => (open = r));
    for (const s of c.custodians) s.hold = hold;
    const envelopes = envelopesFor(c);
    const id = await submitRequest(c, 'a', warrant.id, envelopes);
    // Partials are asked only once t custodians cosigned a checkpoint with the request: the old `cosigned` point.
    await waitFor('partials to be asked for', () => (c.custodians.some((s) => s.partialCalls > 0) ? true : undefined));
    const closing = c.coordinator.close();
    open();
    await closing;
    for (const s of c.custodians) s.hold = null;

    // Rewrite the row as an older version left it: state `cosigned`, no releasing_since (that column came later).
    const file = join(c.dir, 'coordinator.db');
    const db = new Database(file, { fileMustExist: true });
    try {
      expect(db.prepare('SELECT state FROM requests WHERE id = ?').get(id)).toEqual({ state: 'releasing' });
      expect(db.prepare("SELECT key FROM entry_keys WHERE key LIKE 'release:' || ? || ':%'").all(id)).toEqual([]);
      expect(db.prepare("UPDATE requests SET state = 'cosigned', releasing_since = NULL WHERE id = ?").run(id).changes).toBe(1);
    } finally {
      db.close();
    }

    await c.restart();
    // Every state the investigator sees from the restart on is a documented one (docs/PROTOCOL.md §7.6), never `cosigned`.
    const documented = ['draft', 'logged', 'releasing', 'complete', 'failed'];
    const seen: string[] = [];
    const last = await waitFor('the resumed request to finish', async () => {
      const r = await api(c.url, 'GET', `/v1/requests/${id}`, undefined, c.tokens.a);
      expect(r.status).toBe(200);
      seen.push(r.body.state);
      expect(documented, `state ${r.body.state} after the restart`).toContain(r.body.state); // fails at once, no waiting out
      return r.body.state === 'complete' || r.body.state === 'failed' ? r.body : undefined;
    });
    expect(seen[0]).toMatch(/^(releasing|complete)$/);
    expect(last).toMatchObject({ state: 'complete', total: 3, done: 3, failed: 0 });
    expect(last.error).toBeUndefined();
    expect(await plaintexts(c, id)).toEqual(texts);
    const entries = await logEntries(c);
    expectLoggedOnce(entries, id);
    expect(entries.filter((e) => e.type === 'release' && e.requestId === id).length).toBeGreaterThanOrEqual(3);
    expect(entries.find((e) => e.type === 'decryption-complete' && e.requestId === id)).toMatchObject({ decrypted: 3, failed: 0, blamed: [] });
    // The partials deadline now counts from the resume: releasing_since was filled in.
    const check = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const row = check.prepare('SELECT state, releasing_since FROM requests WHERE id = ?').get(id) as { state: string; releasing_since: number | null };
      expect(row.state).toBe('complete');
      expect(row.releasing_since).toEqual(expect.any(Number));
    } finally {
      check.close();
    }
  });

  it('keeps the partials deadline across a restart: a request past it fails at once, not after a fresh deadline', async () => {
    cluster = await startCluster({ behaviours: { 1: 'unavailable', 2: 'unavailable', 3: 'unavailable' } });
    const c = cluster;
    const { warrant } = await approvedWarrant(c);
    const id = await submitRequest(c, 'a', warrant.id, envelopesFor(c));
    // Custodians 4 and 5 serve, 1–3 answer 503: the request waits in releasing (default deadline 120 s).
    await waitFor('releasing, two releases logged', async () => {
      const s = await api(c.url, 'GET', `/v1/requests/${id}`, undefined, c.tokens.a);
      const released = (await logEntries(c)).filter((e) => e.type === 'release' && e.requestId === id).length;
      return s.body.state === 'releasing' && released === 2 ? true : undefined;
    });
    c.clock.offset += 121; // the coordinator is down past the deadline
    await c.restart();
    const state = await finished(c, 'a', id);
    expect(state).toMatchObject({ state: 'failed', error: { code: 'NOT_ENOUGH_CUSTODIANS' } });
    expectLoggedOnce(await logEntries(c), id);
  });

  it('gets entries appended just before a stop cosigned after the restart, with nothing new appended', async () => {
    cluster = await startCluster();
    const c = cluster;
    c.config.cosignDelayMs = 60_000; // background cosigning (approvals) will not happen before the stop
    await c.restart();
    const warrant = await approvedWarrant(c);
    await waitFor('all five approvals logged', async () => {
      const s = await api(c.url, 'GET', `/v1/warrants/${warrant.warrant.id}`, undefined, c.tokens.a);
      return s.body.approvals === 5 ? true : undefined;
    });
    const size = (await api<{ size: number }>(c.url, 'GET', '/health')).body.size;
    const served = async () => Number((await api<string>(c.url, 'GET', '/log/v1/checkpoint')).body.split('\n')[1]);
    expect(await served()).toBeLessThan(size);
    c.config.cosignDelayMs = 50;
    await c.restart();
    await waitFor('a served checkpoint covering every entry', async () => ((await served()) === size ? true : undefined));
  });
});
