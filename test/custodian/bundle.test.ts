/**
 * Checkpoint bundles (docs/PROTOCOL.md §4.5): an add-checkpoint that carries the
 * entries it adds, alone or inside the coordinator's warrant delivery. The
 * witness checks given entries exactly as fetched ones — every refusal of the
 * fetched path has a test here that breaks only that rule — and a decision
 * taken from the delivery's answer is still posted by the outbox unless the
 * replica sees it logged. A partials call may carry the checkpoint that logs
 * its request (§4.6): witnessed first, then every release rule as before.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bytesToBase64, hexToBytes, utf8 } from '@custodes/shared/crypto';
import { MemoryTree, parseSignedNote, verifyCosignature } from '@custodes/shared/log';
import { canonicalBytes, PARTIALS_CALL_HEADER } from '@custodes/shared/records';
import type { ApprovalEntry } from '@custodes/shared/records';
import type { CustodianConfig } from '../../services/custodian/src/custodian';
import type { Policy } from '../../services/custodian/src/policy';
import { Vault } from '../../services/custodian/src/vault';
import { approval, buildWorld, call, callHeader, coverSheet, makeWarrant, removeTempDirs, StandIn, startNode, sync, witnessSize } from './fixture';
import type { Node, World } from './fixture';
import { askPartials, scenario } from './scenario';

let world: World;
const closers: (() => Promise<void>)[] = [];

beforeAll(() => {
  world = buildWorld();
});

afterAll(async () => {
  for (const c of closers.reverse()) await c();
  removeTempDirs();
});

const policy: Policy = { courts: ['court-1'], categories: ['messages'], maxSubjects: 2, maxWindowDays: 31, maxEnvelopes: 100 };

async function setup(opts: { policy?: Policy; config?: Partial<CustodianConfig> } = {}): Promise<{ standIn: StandIn; node: Node }> {
  const standIn = new StandIn(world);
  await standIn.start();
  closers.push(() => standIn.close());
  standIn.append(world.registry);
  const node = await startNode(world, standIn, 1, opts);
  closers.push(() => node.close());
  await sync(node, standIn);
  return { standIn, node };
}

/** The bundle from `oldSize` to the stand-in's size, with its entries unless `entries` replaces them. */
function bundle(standIn: StandIn, oldSize: number, entries?: string[]) {
  return { addCheckpoint: standIn.addCheckpointBody(oldSize), entries: entries ?? standIn.leaves.slice(oldSize).map((l) => bytesToBase64(l)) };
}

const postBundle = (node: Node, body: unknown) => call(`${node.url}/witness/v1/add-checkpoint-bundle`, { json: body });

function cosignedBy(standIn: StandIn, line: string): boolean {
  const key = { name: world.names[0]!, publicKey: hexToBytes(world.custodians[0]!.notePublicKey, 32) };
  return verifyCosignature(parseSignedNote(standIn.note() + line), key);
}

/** Appends `k` cover sheets; returns the first warrant. */
function appendWarrants(standIn: StandIn, k: number) {
  const first = makeWarrant(world);
  standIn.append(coverSheet(first.warrant, first.commitment));
  for (let i = 1; i < k; i++) {
    const w = makeWarrant(world);
    standIn.append(coverSheet(w.warrant, w.commitment));
  }
  return first;
}

function outboxRow(node: Node, key: string): { acked_at: number | null; log_index: number | null } | undefined {
  const db = new Database(join(node.dataDir, 'custodian.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT acked_at, log_index FROM outbox WHERE key = ?').get(key) as { acked_at: number | null; log_index: number | null } | undefined;
  } finally {
    db.close();
  }
}

describe('checkpoint bundle: cosigning with the given entries', () => {
  it('cosigns without fetching anything, and the replica holds the given entries', async () => {
    const { standIn, node } = await setup();
    appendWarrants(standIn, 3);
    standIn.faults.entriesFailFrom = 0; // a fetch would fail: the entries must come from the bundle
    const r = await postBundle(node, bundle(standIn, 1));
    expect(r.status, r.text).toBe(200);
    expect(cosignedBy(standIn, r.json.cosignature)).toBe(true);
    expect(await witnessSize(node)).toBe(4);
  });

  it('without entries it fetches them, like add-checkpoint', async () => {
    const { standIn, node } = await setup();
    appendWarrants(standIn, 2);
    const r = await postBundle(node, { addCheckpoint: standIn.addCheckpointBody(1) });
    expect(r.status, r.text).toBe(200);
    expect(cosignedBy(standIn, r.json.cosignature)).toBe(true);
  });
});

describe('checkpoint bundle: refusals (each breaks one rule; nothing is stored)', () => {
  it('fewer or more entries than the checkpoint adds: 422 ENTRIES_MISMATCH', async () => {
    const { standIn, node } = await setup();
    appendWarrants(standIn, 2);
    const all = bundle(standIn, 1).entries;
    for (const entries of [all.slice(1), [...all, all[0]!]]) {
      const r = await postBundle(node, bundle(standIn, 1, entries));
      expect(r.status).toBe(422);
      expect(r.json.error.code).toBe('ENTRIES_MISMATCH');
    }
    expect(await witnessSize(node)).toBe(1);
  });

  it('entries that do not reproduce the root: 422 ENTRIES_MISMATCH', async () => {
    const { standIn, node } = await setup();
    appendWarrants(standIn, 2);
    const other = makeWarrant(world);
    const entries = bundle(standIn, 1).entries;
    entries[1] = bytesToBase64(canonicalBytes(coverSheet(other.warrant, other.commitment)));
    const r = await postBundle(node, bundle(standIn, 1, entries));
    expect(r.status).toBe(422);
    expect(r.json.error.code).toBe('ENTRIES_MISMATCH');
    expect(r.json.error.message).toMatch(/given entries/);
    expect(await witnessSize(node)).toBe(1);
  });

  it('an entry that is not canonical base64: 422 BAD_ENTRY', async () => {
    const { standIn, node } = await setup();
    appendWarrants(standIn, 1);
    const r = await postBundle(node, bundle(standIn, 1, ['not base64!']));
    expect(r.status).toBe(422);
    expect(r.json.error.code).toBe('BAD_ENTRY');
  });

  it('an entry that reproduces the root but breaks an entry rule: 422 BAD_ENTRY', async () => {
    const { standIn, node } = await setup();
    const w = appendWarrants(standIn, 1);
    // An approval signed by custodian 2 but claiming to be custodian 3's.
    const forged = { ...approval(world, 2, w.warrant.id, w.commitment), custodian: 3 };
    standIn.append(forged);
    const r = await postBundle(node, bundle(standIn, 1));
    expect(r.status).toBe(422);
    expect(r.json.error.code).toBe('BAD_ENTRY');
    expect(await witnessSize(node)).toBe(1);
  });

  it('a wrong old size: 409 with the witness size in the error', async () => {
    const { standIn, node } = await setup();
    appendWarrants(standIn, 2);
    const r = await postBundle(node, { addCheckpoint: standIn.addCheckpointBody(2), entries: bundle(standIn, 2).entries });
    expect(r.status).toBe(409);
    expect(r.json.error).toMatchObject({ code: 'OLD_SIZE_MISMATCH', witnessSize: 1 });
  });

  it('a checkpoint not signed by the log key: 403 BAD_LOG_SIGNATURE', async () => {
    const { standIn, node } = await setup();
    appendWarrants(standIn, 1);
    const b = bundle(standIn, 1);
    const forgedNote = standIn.note(standIn.size, world.custodians[0]!.noteSecretKey);
    const r = await postBundle(node, { ...b, addCheckpoint: b.addCheckpoint.slice(0, b.addCheckpoint.indexOf('\n\n') + 2) + forgedNote });
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe('BAD_LOG_SIGNATURE');
  });

  it('junk bundles: 400 with a code, never a 5xx', async () => {
    const { node } = await setup();
    for (const body of [{}, { addCheckpoint: 5 }, { addCheckpoint: 'old 1\n\nx', entries: 'no' }, { addCheckpoint: 'x', extra: 1 }, { addCheckpoint: 'garbage' }]) {
      const r = await postBundle(node, body);
      expect(r.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(r.status, JSON.stringify(body)).toBeLessThan(500);
      expect(typeof r.json.error.code).toBe('string');
    }
  });
});

describe('warrant delivery with its checkpoint', () => {
  it('one exchange: cosigns the checkpoint, reviews, and answers the signed decision', async () => {
    const { standIn, node } = await setup({ policy });
    const w = appendWarrants(standIn, 1);
    const r = await call(`${node.url}/v1/warrants`, { json: { warrant: w.warrant, salt: w.salt, checkpoint: bundle(standIn, 1) } });
    expect(r.status, r.text).toBe(202);
    expect(r.json).toMatchObject({ warrantId: w.warrant.id, status: 'approved' });
    expect(cosignedBy(standIn, r.json.cosignature)).toBe(true);
    const decision = r.json.approval as ApprovalEntry;
    expect(decision).toMatchObject({ type: 'approval', warrantId: w.warrant.id, custodian: 1, decision: 'approve', commitment: w.commitment });
    // A repeat answers the same decision (idempotent delivery).
    const again = await call(`${node.url}/v1/warrants`, { json: { warrant: w.warrant, salt: w.salt } });
    expect(again.json.approval).toEqual(decision);
    expect(again.json.cosignature).toBeUndefined();
  });

  it('the outbox leaves a decision the caller took, and drops it once the replica shows it logged', async () => {
    const { standIn, node } = await setup({ policy, config: { outboxGraceMs: 60_000 } });
    const w = appendWarrants(standIn, 1);
    const r = await call(`${node.url}/v1/warrants`, { json: { warrant: w.warrant, salt: w.salt, checkpoint: bundle(standIn, 1) } });
    const key = `approval:${w.warrant.id}`;
    expect(outboxRow(node, key)).toMatchObject({ acked_at: null });
    const index = standIn.append(r.json.approval);
    await sync(node, standIn);
    expect(outboxRow(node, key)).toMatchObject({ log_index: index });
    expect(outboxRow(node, key)!.acked_at).not.toBeNull();
    await node.restart(); // a restart sends everything unacknowledged at once
    await new Promise((done) => setTimeout(done, 300));
    expect(standIn.records).toEqual([]);
  });

  it('a decision the caller took but never logged is still posted by the outbox', async () => {
    const { standIn, node } = await setup({ policy });
    const w = appendWarrants(standIn, 1);
    const r = await call(`${node.url}/v1/warrants`, { json: { warrant: w.warrant, salt: w.salt, checkpoint: bundle(standIn, 1) } });
    expect(r.json.status).toBe('approved');
    expect(standIn.records).toEqual([]); // not at once: the caller took it from the answer
    await vi.waitFor(() => expect(standIn.records).toEqual([r.json.approval]), { timeout: 5_000, interval: 100 });
  });

  it('a checkpoint the witness refuses: the warrant is not reviewed (4xx with the witness code)', async () => {
    const { standIn, node } = await setup({ policy });
    const w = appendWarrants(standIn, 2);
    const entries = bundle(standIn, 1).entries.slice(1);
    const r = await call(`${node.url}/v1/warrants`, { json: { warrant: w.warrant, salt: w.salt, checkpoint: bundle(standIn, 1, entries) } });
    expect(r.status).toBe(422);
    expect(r.json.error.code).toBe('ENTRIES_MISMATCH');
    const shown = await call(`${node.url}/v1/operator/warrants/${w.warrant.id}`, { token: node.token });
    expect(shown.status).toBe(404);
    expect(await witnessSize(node)).toBe(1);
  });

  it('a warrant that fails its review leaves nothing cosigned (one commit for both)', async () => {
    const { standIn, node } = await setup({ policy });
    const w = appendWarrants(standIn, 1);
    const wrongSalt = makeWarrant(world).salt;
    const r = await call(`${node.url}/v1/warrants`, { json: { warrant: w.warrant, salt: wrongSalt, checkpoint: bundle(standIn, 1) } });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('BAD_COMMITMENT');
    expect(await witnessSize(node)).toBe(1);
    // The same checkpoint with the right salt then goes through from the same old size.
    const ok = await call(`${node.url}/v1/warrants`, { json: { warrant: w.warrant, salt: w.salt, checkpoint: bundle(standIn, 1) } });
    expect(ok.status, ok.text).toBe(202);
    expect(await witnessSize(node)).toBe(2);
  });

  it('an unauthenticated delivery of a never-logged warrant: 409 WARRANT_NOT_LOGGED before anything is signed, stored or rebuilt', async () => {
    const { standIn, node } = await setup({ policy });
    appendWarrants(standIn, 3);
    await sync(node, standIn); // the node's in-memory tree now holds 4 leaves
    const stranger = makeWarrant(world); // never logged
    const appended = vi.spyOn(MemoryTree.prototype, 'appendHash');
    const signed = vi.spyOn(Vault.prototype, 'signingKey');
    try {
      // The node's own current checkpoint (public), and one that adds a real entry: both valid, neither logs the warrant.
      const same = { addCheckpoint: standIn.addCheckpointBody(4), entries: [] };
      const before = await call(`${node.url}/v1/operator/witness`, { token: node.token });
      for (const checkpoint of [same, (appendWarrants(standIn, 1), bundle(standIn, 4))]) {
        const r = await call(`${node.url}/v1/warrants`, { json: { warrant: stranger.warrant, salt: stranger.salt, checkpoint } });
        expect(r.status, r.text).toBe(409);
        expect(r.json.error.code).toBe('WARRANT_NOT_LOGGED');
      }
      expect(signed).not.toHaveBeenCalled(); // no cosignature made and rolled back
      expect(await call(`${node.url}/v1/operator/witness`, { token: node.token })).toEqual(before);
      // The tree was kept: the next checkpoint appends only its new leaf, no rebuild from all stored leaves.
      appended.mockClear();
      expect((await postBundle(node, bundle(standIn, 4))).status).toBe(200);
      expect(appended).toHaveBeenCalledTimes(1);
    } finally {
      appended.mockRestore();
      signed.mockRestore();
    }
  });

  it('a body over the limit is refused before anything is parsed', async () => {
    const { standIn, node } = await setup({ policy });
    const w = appendWarrants(standIn, 1);
    const huge = bundle(standIn, 1, Array.from({ length: 6 }, () => 'A'.repeat(400_000))); // 2.4 MB: past the 2 MiB of a delivery (routes/bodies.ts)
    const r = await call(`${node.url}/v1/warrants`, { raw: JSON.stringify({ warrant: w.warrant, salt: w.salt, checkpoint: huge }) });
    expect(r.status).toBe(413);
    expect(utf8(r.text).length).toBeLessThan(1000);
  });
});

describe('a release the coordinator took from the answer', () => {
  it('is not posted once the replica shows it logged; it is posted if it never is', async () => {
    const s = await scenario(world, { config: { outboxGraceMs: 60_000 } });
    closers.push(() => s.close());
    s.standIn.autoLog = false;
    const r = await askPartials(s.node, s.request.requestId, s.envelopes);
    expect(r.status, r.text).toBe(200);
    const key = `release:${s.request.requestId}`;
    expect(outboxRow(s.node, key)).toMatchObject({ acked_at: null });
    const index = s.standIn.append(r.json.release);
    await sync(s.node, s.standIn);
    expect(outboxRow(s.node, key)).toMatchObject({ log_index: index });
    await s.node.restart();
    await new Promise((done) => setTimeout(done, 300));
    expect(s.standIn.records.filter((e) => e.type === 'release')).toEqual([]);

    // Another node of the same scenario whose release is never logged posts it after the grace period.
    const t = await scenario(world, { config: { outboxGraceMs: 200 } });
    closers.push(() => t.close());
    t.standIn.autoLog = false;
    const u = await askPartials(t.node, t.request.requestId, t.envelopes);
    expect(t.standIn.records.filter((e) => e.type === 'release')).toEqual([]);
    await vi.waitFor(() => expect(t.standIn.records.filter((e) => e.type === 'release')).toEqual([u.json.release]), { timeout: 3000, interval: 50 });
  });
});

describe('partials call with the checkpoint that logs the request', () => {
  /** POST /v1/partials as the coordinator sends it, with `checkpoint` in the body. */
  const askWith = (s: Awaited<ReturnType<typeof scenario>>, checkpoint: unknown) =>
    call(`${s.node.url}/v1/partials`, {
      json: { requestId: s.request.requestId, envelopes: s.envelopes, checkpoint },
      headers: { [PARTIALS_CALL_HEADER]: callHeader(world, 1, s.request.requestId, s.envelopes) },
    });

  it('one exchange: witnesses the checkpoint, then releases; the answer carries the cosignature', async () => {
    const s = await scenario(world, { logRequest: false });
    closers.push(() => s.close());
    const before = await witnessSize(s.node);
    expect(before).toBeLessThan(s.standIn.leaves.length);
    // Without the checkpoint, rule (a) refuses: the request is not in a checkpoint this node cosigned.
    const alone = await askPartials(s.node, s.request.requestId, s.envelopes);
    expect(alone.json.error?.code).toBe('REQUEST_NOT_LOGGED');
    const r = await askWith(s, bundle(s.standIn, before));
    expect(r.status, r.text).toBe(200);
    expect(r.json.partials).toHaveLength(s.envelopes.length);
    expect(r.json.release).toMatchObject({ type: 'release', requestId: s.request.requestId, custodian: 1 });
    expect(cosignedBy(s.standIn, r.json.cosignature)).toBe(true);
    expect(await witnessSize(s.node)).toBe(s.standIn.leaves.length);
  });

  it('a checkpoint the witness refuses: nothing is released (4xx with the witness code)', async () => {
    const s = await scenario(world, { logRequest: false });
    closers.push(() => s.close());
    const before = await witnessSize(s.node);
    const entries = bundle(s.standIn, before).entries.slice(1);
    const r = await askWith(s, bundle(s.standIn, before, entries));
    expect(r.status).toBe(422);
    expect(r.json.error.code).toBe('ENTRIES_MISMATCH');
    expect(await witnessSize(s.node)).toBe(before);
    const released = await call(`${s.node.url}/v1/operator/releases`, { token: s.node.token });
    expect(released.status).toBe(200);
    expect(JSON.stringify(released.json)).not.toContain(s.request.requestId);
  });

  it('a release rule still refuses after the checkpoint is witnessed (here (d): no quorum of approvals)', async () => {
    const s = await scenario(world, { logRequest: false, approvers: [] });
    closers.push(() => s.close());
    const before = await witnessSize(s.node);
    const r = await askWith(s, bundle(s.standIn, before));
    expect(r.json.error?.code).toBe('NO_QUORUM');
    expect(r.json.cosignature).toBeUndefined();
    // Witnessing a valid checkpoint is harmless: it is kept, and the refusal is the release's.
    expect(await witnessSize(s.node)).toBe(s.standIn.leaves.length);
  });
});
