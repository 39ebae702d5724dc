/**
 * The witness and log replica (docs/PROTOCOL.md §4.3; C2SP tlog-witness): cosigning,
 * every refusal, never two inconsistent checkpoints (also across restarts),
 * genesis acceptance, entry checks, and an interrupted replica update that
 * stores nothing and succeeds on retry.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hexToBytes, utf8 } from '@custodes/shared/crypto';
import {
  COSIGNATURE_TYPE,
  formatAddCheckpointRequest,
  formatSignatureLine,
  noteKeyId,
  parseSignedNote,
  signCheckpoint,
  verifyCosignature,
  verifyLogSignature,
} from '@custodes/shared/log';
import { canonicalBytes } from '@custodes/shared/records';
import type { RegistryEntry } from '@custodes/shared/records';
import {
  addCheckpoint,
  approval,
  buildWorld,
  call,
  coverSheet,
  decryptionRequest,
  inScope,
  keyPair,
  makeEnvelopes,
  makeWarrant,
  ORIGIN,
  removeTempDirs,
  signRegistry,
  StandIn,
  startNode,
  witnessSize,
} from './fixture';
import type { Node, World } from './fixture';

let world: World;
const closers: (() => Promise<void>)[] = [];

beforeAll(() => {
  world = buildWorld();
});

afterAll(async () => {
  for (const c of closers.reverse()) await c();
  removeTempDirs();
});

async function setup(entries = 2, opts: { dev?: boolean } = {}): Promise<{ standIn: StandIn; node: Node }> {
  const standIn = new StandIn(world);
  await standIn.start();
  closers.push(() => standIn.close());
  standIn.append(world.registry);
  for (let k = 1; k < entries; k++) {
    const { warrant, commitment } = makeWarrant(world);
    standIn.append(coverSheet(warrant, commitment));
  }
  const node = await startNode(world, standIn, 1, opts);
  closers.push(() => node.close());
  return { standIn, node };
}

async function replica(node: Node): Promise<{ size: number; replicaSize: number }> {
  const r = await call(`${node.url}/v1/operator/witness`, { token: node.token });
  return { size: r.json.size, replicaSize: r.json.replicaSize };
}

function unsigned(): Omit<RegistryEntry, 'signatures'> {
  const { signatures: _, ...rest } = world.registry;
  return rest;
}

/** A log that shares the first `common` leaves with `standIn`, then diverges. */
function forkOf(standIn: StandIn, common: number, extra: number): StandIn {
  const fork = new StandIn(world);
  for (const leaf of standIn.leaves.slice(0, common)) fork.appendRaw(leaf);
  for (let k = 0; k < extra; k++) {
    const { warrant, commitment } = makeWarrant(world);
    fork.append(coverSheet(warrant, commitment));
  }
  return fork;
}

describe('witness: cosigning', () => {
  it('cosigns a first checkpoint and then a consistent larger one, under its registry name', async () => {
    const { standIn, node } = await setup(2);
    const first = await addCheckpoint(node, standIn, 0);
    expect(first.status, first.text).toBe(200);
    expect(first.type).toMatch(/^text\/plain/);
    const note = parseSignedNote(standIn.note() + first.text);
    const key = { name: world.names[0]!, publicKey: hexToBytes(world.custodians[0]!.notePublicKey, 32) };
    expect(verifyCosignature(note, key)).toBe(true);

    const { warrant, commitment } = makeWarrant(world);
    standIn.append(coverSheet(warrant, commitment));
    const second = await addCheckpoint(node, standIn, 2);
    expect(second.status, second.text).toBe(200);
    expect(verifyCosignature(parseSignedNote(standIn.note() + second.text), key)).toBe(true);
    expect(await replica(node)).toEqual({ size: 3, replicaSize: 3 });
    // the same checkpoint again is cosigned again (idempotent)
    expect((await addCheckpoint(node, standIn, 3)).status).toBe(200);
  });
});

describe('witness: public checkpoint', () => {
  it('serves 404 before any cosignature, then the last cosigned checkpoint with the log signature and its own cosignature', async () => {
    const { standIn, node } = await setup(2);
    const before = await call(`${node.url}/witness/v1/checkpoint`);
    expect(before.status).toBe(404);
    expect(before.json.error.code).toBe('NO_CHECKPOINT');
    expect((await addCheckpoint(node, standIn, 0)).status).toBe(200);
    const { warrant, commitment } = makeWarrant(world);
    standIn.append(coverSheet(warrant, commitment));
    expect((await addCheckpoint(node, standIn, 2)).status).toBe(200);
    const r = await call(`${node.url}/witness/v1/checkpoint`);
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain/);
    const note = parseSignedNote(r.text);
    expect(note.text).toBe(standIn.note().slice(0, standIn.note().indexOf('\n\n') + 1));
    const key = { name: world.names[0]!, publicKey: hexToBytes(world.custodians[0]!.notePublicKey, 32) };
    expect(verifyCosignature(note, key)).toBe(true);
    expect(note.text.split('\n')[1]).toBe('3');
  });

  it('a same-size re-post with an extra line under this node\'s own key ID: what it serves still verifies, without that line', async () => {
    const { standIn, node } = await setup(2);
    expect((await addCheckpoint(node, standIn, 0)).status).toBe(200);
    const name = world.names[0]!;
    const key = { name, publicKey: hexToBytes(world.custodians[0]!.notePublicKey, 32) };
    const junk = formatSignatureLine({ name, keyId: noteKeyId(name, COSIGNATURE_TYPE, key.publicKey), signature: new Uint8Array(72).fill(7) });
    const repost = await call(`${node.url}/witness/v1/add-checkpoint`, { text: formatAddCheckpointRequest({ oldSize: 2, proof: [], note: standIn.note() + junk }) });
    expect(repost.status, repost.text).toBe(200);
    for (const path of ['/witness/v1/checkpoint', '/v1/operator/witness']) {
      const r = await call(`${node.url}${path}`, { token: node.token });
      const text = path.endsWith('checkpoint') ? r.text : (r.json.checkpoint as string);
      expect(text).not.toContain(junk);
      const note = parseSignedNote(text);
      expect(note.signatures).toHaveLength(2);
      expect(verifyCosignature(note, key)).toBe(true);
      expect(verifyLogSignature(note, { name: ORIGIN, publicKey: hexToBytes(world.logKey.notePublicKey, 32) })).toBe(true);
    }
  });
});

describe('witness: concurrency', () => {
  it('two racing add-checkpoints from the same old size: one cosigns, the other gets 409 with the new size', async () => {
    const { standIn, node } = await setup(3);
    const [a, b] = await Promise.all([addCheckpoint(node, standIn, 0), addCheckpoint(node, standIn, 0)]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    expect((a.status === 409 ? a : b).text).toBe('3\n');
    expect(await replica(node)).toEqual({ size: 3, replicaSize: 3 });
  });
});

describe('witness: refusals', () => {
  it('wrong old size is 409 with the witness size as text/x.tlog.size', async () => {
    const { standIn, node } = await setup(3);
    expect((await addCheckpoint(node, standIn, 0)).status).toBe(200);
    const { warrant, commitment } = makeWarrant(world);
    standIn.append(coverSheet(warrant, commitment));
    const r = await addCheckpoint(node, standIn, 2);
    expect(r.status).toBe(409);
    expect(r.type).toMatch(/^text\/x\.tlog\.size/);
    expect(r.text).toBe('3\n');
  });

  it('a bad consistency proof is 422, a bad log signature 403, junk 400', async () => {
    const { standIn, node } = await setup(3);
    expect((await addCheckpoint(node, standIn, 0)).status).toBe(200);
    for (let k = 0; k < 3; k++) {
      const { warrant, commitment } = makeWarrant(world);
      standIn.append(coverSheet(warrant, commitment));
    }
    const proof = standIn.tree.consistencyProof(3, 6);
    proof[0] = Uint8Array.from(proof[0]!, (b, i) => (i === 0 ? b ^ 1 : b));
    const bad = await call(`${node.url}/witness/v1/add-checkpoint`, { text: formatAddCheckpointRequest({ oldSize: 3, proof, note: standIn.note() }) });
    expect(bad.status).toBe(422);

    const forged = signCheckpoint({ origin: ORIGIN, size: 6, root: standIn.tree.root(6) }, hexToBytes(keyPair().noteSecretKey, 32));
    const body = formatAddCheckpointRequest({ oldSize: 3, proof: standIn.tree.consistencyProof(3, 6), note: forged });
    expect((await call(`${node.url}/witness/v1/add-checkpoint`, { text: body })).status).toBe(403);

    const otherOrigin = signCheckpoint({ origin: 'other.example/log', size: 6, root: standIn.tree.root(6) }, hexToBytes(world.logKey.noteSecretKey, 32));
    const unknown = await call(`${node.url}/witness/v1/add-checkpoint`, { text: formatAddCheckpointRequest({ oldSize: 3, proof: [], note: otherOrigin }) });
    expect(unknown.status).toBe(404);

    expect(await replica(node)).toEqual({ size: 3, replicaSize: 3 });
    expect((await addCheckpoint(node, standIn, 3)).status).toBe(200);
  });

  it('never cosigns an inconsistent checkpoint: same size other root, shrinking, fork — also after a restart', async () => {
    const { standIn, node } = await setup(4);
    expect((await addCheckpoint(node, standIn, 0)).status).toBe(200);
    const fork = forkOf(standIn, 2, 4); // shares leaves 0–1, then diverges; size 6

    const sameSize = await call(`${node.url}/witness/v1/add-checkpoint`, { text: formatAddCheckpointRequest({ oldSize: 4, proof: [], note: fork.note(4) }) });
    expect(sameSize.status).toBe(409);
    expect(sameSize.text).toBe('4\n');

    const shrink = await addCheckpoint(node, standIn, 4, 3);
    expect(shrink.status).toBe(400);
    const shrinkFromOwnSize = await call(`${node.url}/witness/v1/add-checkpoint`, { text: formatAddCheckpointRequest({ oldSize: 3, proof: [], note: standIn.note(3) }) });
    expect(shrinkFromOwnSize.status).toBe(409);

    const forked = await call(`${node.url}/witness/v1/add-checkpoint`, { text: fork.addCheckpointBody(4, 6) });
    expect(forked.status).toBe(422);

    await node.restart();
    expect(await replica(node)).toEqual({ size: 4, replicaSize: 4 });
    expect((await call(`${node.url}/witness/v1/add-checkpoint`, { text: fork.addCheckpointBody(4, 6) })).status).toBe(422);
    expect((await call(`${node.url}/witness/v1/add-checkpoint`, { text: formatAddCheckpointRequest({ oldSize: 4, proof: [], note: fork.note(4) }) })).status).toBe(409);
    expect((await addCheckpoint(node, standIn, 4)).status).toBe(200);
  });

  it('junk bodies are 400 with a code', async () => {
    const { node } = await setup(1);
    for (const text of ['', 'old', 'old 0\n', 'old -1\n\nx\n', 'old 01\n\n', `old 0\n${'A'.repeat(43)}=\n\n`, 'old 0\n\nnot a note', '\u0000\u0001']) {
      const r = await call(`${node.url}/witness/v1/add-checkpoint`, { text });
      expect(r.status, text).toBe(400);
      expect(typeof r.json.error.code).toBe('string');
    }
    expect((await call(`${node.url}/witness/v1/add-checkpoint`, { json: { old: 0 } })).status).toBe(400);
  });
});

describe('witness: genesis and entry checks', () => {
  async function refusedGenesis(registry: RegistryEntry): Promise<void> {
    const standIn = new StandIn(world);
    await standIn.start();
    closers.push(() => standIn.close());
    standIn.append(registry);
    const node = await startNode(world, standIn, 1);
    closers.push(() => node.close());
    const r = await addCheckpoint(node, standIn, 0);
    expect(r.status, r.text).toBe(422);
    expect(r.json.error.code).toBe('BAD_GENESIS');
    expect(await replica(node)).toEqual({ size: 0, replicaSize: 0 });
  }


  it('refuses a genesis registry missing one custodian\'s signature', async () => {
    await refusedGenesis(signRegistry(unsigned(), [1, 2, 3, 4].map((i) => ({ index: i, key: world.custodians[i - 1]! }))));
  });

  it('refuses a genesis registry that lists another signing key at this node\'s index', async () => {
    const other = keyPair();
    const base = unsigned();
    const reg = { ...base, epochs: base.epochs.map((e) => ({ ...e, custodians: e.custodians.map((c) => (c.index === 1 ? { ...c, signingKey: other.publicKey } : c)) })) };
    const keys = [other, ...world.custodians.slice(1)];
    await refusedGenesis(signRegistry(reg, keys.map((key, i) => ({ index: i + 1, key }))));
  });

  it('refuses a genesis registry that lists another witness key at this node\'s index', async () => {
    const base = unsigned();
    const reg = { ...base, epochs: base.epochs.map((e) => ({ ...e, custodians: e.custodians.map((c) => (c.index === 1 ? { ...c, witnessKey: keyPair().notePublicKey } : c)) })) };
    await refusedGenesis(signRegistry(reg, world.custodians.map((key, i) => ({ index: i + 1, key }))));
  });

  it('refuses a genesis registry whose group key is not this node\'s', async () => {
    const otherWorld = buildWorld();
    const base = unsigned();
    const reg = { ...base, epochs: base.epochs.map((e) => ({ ...e, groupKey: otherWorld.publicKeySet.groupKey, commitments: otherWorld.publicKeySet.commitments })) };
    await refusedGenesis(signRegistry(reg, world.custodians.map((key, i) => ({ index: i + 1, key }))));
  });

  it('a badly signed entry late in a batch rolls the whole batch back (422 BAD_ENTRY, nothing stored)', async () => {
    const { standIn, node } = await setup(1);
    const { warrant, commitment } = makeWarrant(world);
    standIn.append(coverSheet(warrant, commitment));
    standIn.append(approval(world, 2, warrant.id, commitment));
    const envelopes = makeEnvelopes(world, [inScope(0)]).envelopes;
    standIn.append(decryptionRequest(world, warrant.id, envelopes, {}, keyPair())); // not a registered investigator
    const r = await addCheckpoint(node, standIn, 0);
    expect(r.status).toBe(422);
    expect(r.json.error.code).toBe('BAD_ENTRY');
    expect(await replica(node)).toEqual({ size: 0, replicaSize: 0 });
  });

  it('refuses a registry update with fewer than t signatures, or one that drops this node', async () => {
    const { standIn, node } = await setup(1);
    expect((await addCheckpoint(node, standIn, 0)).status).toBe(200);
    const base = unsigned();
    const signers = (ids: number[]) => ids.map((i) => ({ index: i, key: world.custodians[i - 1]! }));
    standIn.append(signRegistry({ ...base, sequence: 1, courts: [] }, signers([2, 3])));
    const few = await addCheckpoint(node, standIn, 1);
    expect(few.json.error?.code, few.text).toBe('BAD_ENTRY');

    const standIn2 = new StandIn(world);
    await standIn2.start();
    closers.push(() => standIn2.close());
    standIn2.append(world.registry);
    const dropped = { ...base, sequence: 1, epochs: base.epochs.map((e) => ({ ...e, custodians: e.custodians.filter((c) => c.index !== 1) })) };
    standIn2.append(signRegistry(dropped, signers([2, 3, 4])));
    const node2 = await startNode(world, standIn2, 1);
    closers.push(() => node2.close());
    const r = await addCheckpoint(node2, standIn2, 0);
    expect(r.json.error?.code, r.text).toBe('BAD_ENTRY');
    expect(await witnessSize(node2)).toBe(0);
    // with t signatures and this node kept, the update replicates
    const ok = new StandIn(world);
    await ok.start();
    closers.push(() => ok.close());
    ok.append(world.registry);
    ok.append(signRegistry({ ...base, sequence: 1, courts: [] }, signers([2, 3, 5])));
    const node3 = await startNode(world, ok, 1);
    closers.push(() => node3.close());
    expect((await addCheckpoint(node3, ok, 0)).status).toBe(200);
  });

  it('refuses a registry update with t signatures that changes the log key or origin, or is malformed (the coordinator and auditors refuse it too)', async () => {
    const base = unsigned();
    const signers = (ids: number[]) => ids.map((i) => ({ index: i, key: world.custodians[i - 1]! }));
    const cases: [string, Omit<RegistryEntry, 'signatures'>, string][] = [
      ['log key', { ...base, sequence: 1, logKey: keyPair().publicKey }, 'log key'],
      ['log note key', { ...base, sequence: 1, logNoteKey: keyPair().notePublicKey }, 'log note key'],
      ['origin', { ...base, sequence: 1, origin: 'example.org/another-log' }, 'origin'],
      ['duplicate court', { ...base, sequence: 1, courts: [...base.courts, ...base.courts] }, 'registry update'],
    ];
    for (const [what, update, reason] of cases) {
      const standIn = new StandIn(world);
      await standIn.start();
      closers.push(() => standIn.close());
      standIn.append(world.registry);
      standIn.append(signRegistry(update, signers([2, 3, 4])));
      const node = await startNode(world, standIn, 1);
      closers.push(() => node.close());
      const r = await addCheckpoint(node, standIn, 0);
      expect(r.json.error?.code, `${what}: ${r.text}`).toBe('BAD_ENTRY');
      expect(r.json.error?.message, what).toContain(reason);
      expect(await witnessSize(node), what).toBe(0);
    }
  });

  it('refuses approvals not signed by the custodian they name', async () => {
    const { standIn, node } = await setup(2);
    expect((await addCheckpoint(node, standIn, 0)).status).toBe(200);
    const { warrant, commitment } = makeWarrant(world);
    standIn.append(coverSheet(warrant, commitment));
    standIn.append({ ...approval(world, 2, warrant.id, commitment), custodian: 4 });
    const r = await addCheckpoint(node, standIn, 2);
    expect(r.json.error?.code, r.text).toBe('BAD_ENTRY');
    expect(await replica(node)).toEqual({ size: 2, replicaSize: 2 });
  });

  it('refuses entries that do not reproduce the checkpoint root, or are not canonical JSON', async () => {
    const { standIn, node } = await setup(3);
    const substitute = makeWarrant(world);
    const other = canonicalBytes(coverSheet(substitute.warrant, substitute.commitment)); // a valid entry, just not the logged one
    standIn.faults.serve = (i, leaf) => (i === 2 ? other : leaf);
    const r = await addCheckpoint(node, standIn, 0);
    expect(r.status).toBe(422);
    expect(r.json.error.code).toBe('ENTRIES_MISMATCH');
    expect(await replica(node)).toEqual({ size: 0, replicaSize: 0 });
    delete standIn.faults.serve;
    expect((await addCheckpoint(node, standIn, 0)).status).toBe(200);
    expect(await replica(node)).toEqual({ size: 3, replicaSize: 3 });

    const standIn2 = new StandIn(world);
    await standIn2.start();
    closers.push(() => standIn2.close());
    standIn2.append(world.registry);
    const { warrant, commitment } = makeWarrant(world);
    standIn2.appendRaw(utf8(JSON.stringify(coverSheet(warrant, commitment), null, 1))); // valid entry, not JCS
    const node2 = await startNode(world, standIn2, 1);
    closers.push(() => node2.close());
    const r2 = await addCheckpoint(node2, standIn2, 0);
    expect(r2.json.error?.code, r2.text).toBe('BAD_ENTRY');
    expect(await witnessSize(node2)).toBe(0);
  });
});

describe('witness: an interrupted replica update', () => {
  it('a storage failure inside the transaction (an SQLite trigger aborting entry 4) leaves nothing half-stored', async () => {
    const { standIn, node } = await setup(2);
    expect((await addCheckpoint(node, standIn, 0)).status).toBe(200);
    for (let k = 0; k < 4; k++) {
      const { warrant, commitment } = makeWarrant(world);
      standIn.append(coverSheet(warrant, commitment));
    }
    await node.close();
    const db = new Database(join(node.dataDir, 'custodian.db'));
    db.exec("CREATE TRIGGER fail_entry_4 BEFORE INSERT ON entries WHEN NEW.idx = 4 BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
    db.close();
    await node.restart();
    const r = await addCheckpoint(node, standIn, 2);
    expect(r.status).toBe(500);
    expect(r.text).not.toMatch(/injected|stack/);
    expect(await replica(node)).toEqual({ size: 2, replicaSize: 2 });
    const countWarrants = () => {
      const d = new Database(join(node.dataDir, 'custodian.db'), { readonly: true });
      try {
        return (d.prepare('SELECT COUNT(*) AS n FROM warrants').get() as { n: number }).n;
      } finally {
        d.close();
      }
    };
    expect(countWarrants()).toBe(1); // entries 2 and 3 were indexed inside the aborted transaction, then rolled back

    await node.close();
    const db2 = new Database(join(node.dataDir, 'custodian.db'));
    db2.exec('DROP TRIGGER fail_entry_4');
    db2.close();
    await node.restart();
    expect((await addCheckpoint(node, standIn, 2)).status).toBe(200);
    expect(await replica(node)).toEqual({ size: 6, replicaSize: 6 });
    expect(countWarrants()).toBe(5);
  });

  it('a fetch that fails halfway stores nothing; after a restart the retry succeeds', async () => {
    const { standIn, node } = await setup(2);
    expect((await addCheckpoint(node, standIn, 0)).status).toBe(200);
    for (let k = 0; k < 6; k++) {
      const { warrant, commitment } = makeWarrant(world);
      standIn.append(coverSheet(warrant, commitment));
    }
    standIn.faults.pageSize = 2;
    standIn.faults.entriesFailFrom = 6; // pages [2,4) and [4,6) succeed, [6,8) fails
    const r = await addCheckpoint(node, standIn, 2);
    expect(r.status).toBe(502);
    expect(r.json.error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(await replica(node)).toEqual({ size: 2, replicaSize: 2 });

    await node.restart();
    expect(await replica(node)).toEqual({ size: 2, replicaSize: 2 });
    standIn.faults.entriesFailFrom = Infinity;
    const retry = await addCheckpoint(node, standIn, 2);
    expect(retry.status, retry.text).toBe(200);
    expect(await replica(node)).toEqual({ size: 8, replicaSize: 8 });
  });
});
