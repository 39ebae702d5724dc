/**
 * One test per DKG check of a custodian node (services/custodian/src/dkg.ts,
 * docs/PROTOCOL.md §3.8), each breaking exactly that rule; the happy path
 * through every step; durability across a restart; what the node's witness
 * refuses to replicate; and the coordinator that shows participants different
 * round-1 messages. The stand-in coordinator holds the log key; custodians 2
 * and 3 are played by the test with their own keys.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, hexToBytes } from '@custodes/shared/crypto';
import { coordinatorFinalize, epochFromRecovery } from '@custodes/shared/dkg';
import type { EpochEntry } from '@custodes/shared/records';
import { corruptEncShare } from '../dkg/session';
import { addCheckpoint, buildWorld, call, removeTempDirs, StandIn, startNode, sync } from '../custodian/fixture';
import type { Node } from '../custodian/fixture';
import { newHostKeyFile } from '../../services/custodian/src/init';
import { aggregate, ask, certeqOf, commitOf, dkgWorld, NOW, play, revealOf, SESSION, startDkgNode, step } from './participant';
import type { DkgWorld, Played } from './participant';

let world: DkgWorld;
let standIn: StandIn;
let node: Node;
let others: Played[];

beforeEach(async () => {
  world = dkgWorld(2, 3);
  standIn = new StandIn(world);
  standIn.append(world.registry);
  await standIn.start();
  node = await startDkgNode(world, standIn, 1);
  others = [play(world, 2), play(world, 3)];
});

afterEach(async () => {
  await node?.close();
  await standIn?.close();
  removeTempDirs();
});

/** Logs entries at the stand-in and pushes the checkpoint to the node (it cosigns, so it may act on them). */
async function log(...entries: object[]): Promise<void> {
  for (const e of entries) standIn.append(e);
  await sync(node, standIn);
}

/** Runs the node through commit and reveal with honest others; returns the node's pmsg1 and everyone's in index order. */
async function throughReveal(): Promise<Uint8Array[]> {
  const commit = (await ask(node)).json.entry;
  expect(commit).toMatchObject({ step: 'commit', custodian: 1, session: SESSION });
  await log(commit, ...others.map((p) => commitOf(world, p)));
  const reveal = (await ask(node)).json.entry;
  expect(reveal).toMatchObject({ step: 'reveal', custodian: 1 });
  await log(reveal, ...others.map((p) => revealOf(world, p)));
  return [base64ToBytes(reveal.payload), ...others.map((p) => p.pmsg1)];
}

describe('a DKG session at one node (happy path)', () => {
  it('commit, reveal, certeq from the cosigned log only; then the share from the logged epoch entry', async () => {
    const commit = (await ask(node)).json.entry;
    // Acts only on entries in a checkpoint it has cosigned: logged but not pushed is not seen.
    standIn.append(commit);
    for (const p of others) standIn.append(commitOf(world, p));
    // Its own commit is not in a checkpoint it cosigned yet: it answers with the same signed commit, no reveal.
    expect((await ask(node)).json).toEqual({ entry: commit });
    await sync(node, standIn);
    const pmsgs1 = [...(await (async () => {
      const reveal = (await ask(node)).json.entry;
      expect(reveal.step).toBe('reveal');
      await log(reveal, ...others.map((p) => revealOf(world, p)));
      return [base64ToBytes(reveal.payload), ...others.map((p) => p.pmsg1)];
    })())];
    expect((await ask(node)).json).toEqual({ waiting: 'aggregate' });
    const { state, cmsg1 } = aggregate(world, pmsgs1);
    await log(step(world, 'aggregate', bytesToBase64(cmsg1)));
    const certeq = (await ask(node)).json.entry;
    expect(certeq).toMatchObject({ step: 'certeq', custodian: 1 });
    await log(certeq, ...others.map((p) => certeqOf(world, p, cmsg1)));
    expect((await ask(node)).json).toEqual({ waiting: 'epoch' });
    const { recoveryData } = coordinatorFinalize(state, [hexToBytes(certeq.payload, 64), ...others.map((p) => hexToBytes(certeqOf(world, p, cmsg1).payload, 64))]);
    const keys = epochFromRecovery(recoveryData);
    const epochEntry: EpochEntry = { type: 'epoch', epoch: 1, session: SESSION, groupKey: keys.groupKey, commitments: [...keys.commitments], recoveryData: bytesToBase64(recoveryData), time: NOW };
    await log(epochEntry);
    expect((await ask(node)).json).toEqual({ active: { epoch: 1, groupKey: keys.groupKey } });
  });

  it('waits for every commit before it reveals', async () => {
    await log((await ask(node)).json.entry, commitOf(world, others[0]!));
    expect((await ask(node)).json).toEqual({ waiting: 'commits' });
  });

  it('after a restart it returns what it signed, and finishes step 2 from its sealed round-1 randomness', async () => {
    const commit = (await ask(node)).json.entry;
    await node.restart();
    expect((await ask(node)).json.entry).toEqual(commit);
    await log(commit, ...others.map((p) => commitOf(world, p)));
    const reveal = (await ask(node)).json.entry;
    await node.restart();
    expect((await ask(node)).json.entry).toEqual(reveal);
    await log(reveal, ...others.map((p) => revealOf(world, p)));
    const { cmsg1 } = aggregate(world, [base64ToBytes(reveal.payload), ...others.map((p) => p.pmsg1)]);
    await log(step(world, 'aggregate', bytesToBase64(cmsg1)));
    await node.restart();
    expect((await ask(node)).json.entry).toMatchObject({ step: 'certeq' });
  });
});

describe('custodian DKG checks: each refusal', () => {
  it('DKG_NO_HOST_KEY: a node initialised with a dealer share has none until its operator makes one', async () => {
    const dealerWorld = buildWorld();
    const s2 = new StandIn(dealerWorld);
    s2.append(dealerWorld.registry);
    await s2.start();
    const dealerNode = await startNode(dealerWorld, s2, 1);
    await sync(dealerNode, s2);
    try {
      expect(dealerNode.init.hostKey).toBeNull();
      expect((await ask(dealerNode)).json.error.code).toBe('DKG_NO_HOST_KEY');
      const made = await call(`${dealerNode.url}/v1/operator/dkg/hostkey`, { method: 'POST', token: dealerNode.token });
      expect(made.json.hostKey).toMatch(/^0[23][0-9a-f]{64}$/);
      // Sealed with the node's secrets: the same key after a restart, and a second call makes no other.
      await dealerNode.restart();
      expect((await call(`${dealerNode.url}/v1/operator/dkg/hostkey`, { method: 'POST', token: dealerNode.token })).json.hostKey).toBe(made.json.hostKey);
      expect((await ask(dealerNode)).json.error.code).toBe('DKG_NO_CONSENT');
    } finally {
      await dealerNode.close();
      await s2.close();
    }
  });

  it('DKG_NO_CONSENT: no step before the operator consents to the epoch', async () => {
    const w2 = dkgWorld(2, 3);
    const s2 = new StandIn(w2);
    s2.append(w2.registry);
    await s2.start();
    const n2 = await startDkgNode(w2, s2, 1, { consent: [] });
    try {
      expect((await ask(n2)).json.error.code).toBe('DKG_NO_CONSENT');
      expect((await call(`${n2.url}/v1/operator/dkg/consent`, { json: { epoch: 1 }, token: n2.token })).status).toBe(200);
      expect((await ask(n2)).json.entry.step).toBe('commit');
    } finally {
      await n2.close();
      await s2.close();
    }
  });

  it('DKG_UNKNOWN_EPOCH: an epoch the registry does not list', async () => {
    await call(`${node.url}/v1/operator/dkg/consent`, { json: { epoch: 9 }, token: node.token });
    expect((await ask(node, { epoch: 9 })).json.error.code).toBe('DKG_UNKNOWN_EPOCH');
  });

  it('DKG_NOT_PARTICIPANT: a proposed epoch that does not list this node', async () => {
    const w2 = dkgWorld(2, 3, { t: 2, n: 2 });
    const s2 = new StandIn(w2);
    s2.append(w2.registry);
    await s2.start();
    const n3 = await startDkgNode(w2, s2, 3, { consent: [2] });
    try {
      expect((await ask(n3, { epoch: 2 })).json.error.code).toBe('DKG_NOT_PARTICIPANT');
    } finally {
      await n3.close();
      await s2.close();
    }
  });

  it('DKG_HOST_KEY_MISMATCH: the registry lists another host key for this node', async () => {
    const w2 = dkgWorld(2, 3);
    const s2 = new StandIn(w2);
    s2.append(w2.registry);
    await s2.start();
    const n1 = await startDkgNode(w2, s2, 1, { hostKeyFile: newHostKeyFile() });
    try {
      expect((await ask(n1)).json.error.code).toBe('DKG_HOST_KEY_MISMATCH');
    } finally {
      await n1.close();
      await s2.close();
    }
  });

  it('DKG_ABORTED: nothing more once the session has a logged abort', async () => {
    await log((await ask(node)).json.entry, step(world, 'abort', bytesToBase64(new TextEncoder().encode('timeout')), undefined, { blamed: [3] }));
    expect((await ask(node)).json.error.code).toBe('DKG_ABORTED');
  });

  it('DKG_REVEAL_MISMATCH: a logged reveal that is not what its author committed to', async () => {
    const commit = (await ask(node)).json.entry;
    await log(commit, ...others.map((p) => commitOf(world, p)));
    const reveal = (await ask(node)).json.entry;
    const swapped = play(world, 3); // custodian 3 reveals another pmsg1 than it committed
    await log(reveal, revealOf(world, others[0]!), revealOf(world, swapped));
    const { cmsg1 } = aggregate(world, [base64ToBytes(reveal.payload), others[0]!.pmsg1, swapped.pmsg1]);
    await log(step(world, 'aggregate', bytesToBase64(cmsg1)));
    expect((await ask(node)).json.error.code).toBe('DKG_REVEAL_MISMATCH');
  });

  it('the call must be the coordinator’s: wrong custodian, stale, or not signed by the log key', async () => {
    expect((await ask(node, { custodian: 2 })).json.error.code).toBe('WRONG_CUSTODIAN');
    expect((await ask(node, { issuedAt: NOW - 3600 })).json.error.code).toBe('STALE_CALL');
    expect((await ask(node, { signer: world.custodians[0]!.secretKey })).json.error.code).toBe('BAD_CALL_SIGNATURE');
    expect((await call(`${node.url}/v1/dkg`, { method: 'POST' })).json.error.code).toBe('UNAUTHENTICATED');
  });
});

describe('a participant that sends an invalid share is named', () => {
  it('the node investigates and signs a blame naming custodian 2', async () => {
    const commit = (await ask(node)).json.entry;
    // Custodian 2 encrypts a wrong share for participant 0 (this node) and commits to that message.
    const cheat = { ...others[0]!, pmsg1: corruptEncShare(others[0]!.pmsg1, 2, 0) };
    await log(commit, commitOf(world, cheat), commitOf(world, others[1]!));
    const reveal = (await ask(node)).json.entry;
    await log(reveal, revealOf(world, cheat), revealOf(world, others[1]!));
    const { cmsg1 } = aggregate(world, [base64ToBytes(reveal.payload), cheat.pmsg1, others[1]!.pmsg1]);
    await log(step(world, 'aggregate', bytesToBase64(cmsg1)));
    const blame = (await ask(node)).json.entry;
    expect(blame).toMatchObject({ step: 'blame', custodian: 1, blamed: [2] });
  });
});

describe('a coordinator that shows participants different round-1 messages is caught', () => {
  it('DKG_AGGREGATE_MISMATCH: an aggregate that is not of the logged reveals (custodian 3’s message swapped)', async () => {
    const pmsgs1 = await throughReveal();
    // What the coordinator would show another participant: custodian 3's round-1 message replaced.
    const shown = aggregate(world, [pmsgs1[0]!, pmsgs1[1]!, play(world, 3).pmsg1]).cmsg1;
    await log(step(world, 'aggregate', bytesToBase64(shown)));
    expect((await ask(node)).json.error.code).toBe('DKG_AGGREGATE_MISMATCH');
  });

  it('two different logs cannot both reach a witness: the one that saw the other branch refuses (ROOT_MISMATCH or BAD_PROOF)', async () => {
    await throughReveal();
    const sizeBefore = standIn.size;
    // Branch A: what this node cosigned.
    standIn.append(step(world, 'aggregate', bytesToBase64(new Uint8Array(8).fill(1))));
    expect((await addCheckpoint(node, standIn, sizeBefore)).status).toBe(200);
    // Branch B at the same size: a fresh stand-in with the same prefix and another aggregate, signed by the same log key.
    const fork = new StandIn(world);
    for (const leaf of standIn.leaves.slice(0, sizeBefore)) fork.appendRaw(leaf);
    fork.append(step(world, 'aggregate', bytesToBase64(new Uint8Array(8).fill(2))));
    fork.append(step(world, 'abort', bytesToBase64(new TextEncoder().encode('x')), undefined, { blamed: [] }));
    const refused = await addCheckpoint(node, fork, sizeBefore + 1);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(['ROOT_MISMATCH', 'BAD_PROOF', 'ENTRIES_MISMATCH']).toContain(refused.json?.error?.code ?? refused.text.trim());
  });
});

describe('what the witness refuses to replicate', () => {
  it('a participant step not signed by its custodian (the coordinator forging a commit)', async () => {
    const forged = { ...commitOf(world, others[0]!), signature: commitOf(world, others[1]!).signature };
    standIn.append(forged);
    const r = await addCheckpoint(node, standIn, standIn.size - 1);
    expect(r.status).toBe(422);
    expect(r.json.error.code).toBe('BAD_ENTRY');
  });

  it('an epoch entry whose certificate is not by the registry’s host keys', async () => {
    const other = dkgWorld(2, 3);
    const ps = [1, 2, 3].map((i) => play(other, i));
    const { state, cmsg1 } = aggregate(other, ps.map((p) => p.pmsg1));
    const { recoveryData } = coordinatorFinalize(state, ps.map((p) => hexToBytes(certeqOf(other, p, cmsg1).payload, 64)));
    const keys = epochFromRecovery(recoveryData);
    standIn.append({ type: 'epoch', epoch: 1, session: SESSION, groupKey: keys.groupKey, commitments: keys.commitments, recoveryData: bytesToBase64(recoveryData), time: NOW });
    const r = await addCheckpoint(node, standIn, standIn.size - 1);
    expect(r.status).toBe(422);
    expect(r.json.error.code).toBe('BAD_ENTRY');
  });
});
