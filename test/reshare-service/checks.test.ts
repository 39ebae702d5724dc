/**
 * One test per reshare check of a custodian node (services/custodian/src/
 * reshare.ts header, docs/PROTOCOL.md §3.9), each breaking exactly that rule,
 * after the happy path through every step. A stand-in coordinator under the
 * test's control holds the log key and logs crafted entries; custodian 1 is
 * the real node (a dealer of epoch 1's dealt share and, unless left out, a
 * receiver of epoch 2); the other dealers and receivers are played by the
 * test with their own signing keys, shares and host keys.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { bytesToBase64, bytesToHex, dealShares, hexToBytes, sha256 } from '@custodes/shared/crypto';
import { reshareAckSign, dealReshare } from '@custodes/shared/dkg';
import type { ReshareParams } from '@custodes/shared/dkg';
import { ceremonyFiles, encodeDealerSet, signRecord, signRegistry } from '@custodes/shared/records';
import type { DkgEntry, DkgStep, RegistryEntry, ShareFile } from '@custodes/shared/records';
import { reshareParamsOf } from '@custodes/shared/rules';
import { createCustodian, initCustodian } from '../../services/custodian/src/index';
import { newHostKeyFile } from '../../services/custodian/src/init';
import type { HostKeyFile } from '../../services/custodian/src/init';
import { reshareEpochEntry } from '../../services/coordinator/src/workflow/reshare';
import { proposeReshare } from '../../scripts/src/reshareProposal';
import { addCheckpoint, call, keyFile, keyPair, NOW, removeTempDirs, StandIn, sync, tempDir } from '../custodian/fixture';
import type { Node, World } from '../custodian/fixture';
import { ask, dkgWorld } from '../dkg-service/participant';
import { corruptSubshare } from './fakeDealer';

const SESSION = '00000000-0000-4000-8000-00000000e002';
const rnd = () => new Uint8Array(randomBytes(32));

interface ReshareWorld extends World {
  hostKeys: HostKeyFile[];
  /** The update proposing epoch 2 (reshareOf 1, custodians `receivers`), signed by 1, 2, 3. */
  update: RegistryEntry;
}

/**
 * Epoch 1 (3-of-5: dealt, or proposed when `dealt` is false) and the update
 * proposing its reshare into epoch 2 of `receivers`, plus custodian 6 (keys
 * made, listed by the update) when `joiner` is set.
 */
function reshareWorld(opts: { dealt: boolean; receivers: number[]; joiner?: boolean }): ReshareWorld {
  // Custodians 1..5 with signing and host keys, a court, an agency and the log key: the DKG world's (§3.8),
  // its epoch 1 given the dealt key unless it stays proposed.
  const base = dkgWorld(3, 5);
  const { publicKeySet, shares } = ceremonyFiles(dealShares(3, 5), 1);
  const { signatures: _, ...genesis } = base.registry;
  const epoch1 = { ...genesis.epochs[0]!, ...(opts.dealt ? { groupKey: publicKeySet.groupKey, commitments: publicKeySet.commitments } : {}) };
  const registry = base.custodians.reduce<RegistryEntry>((r, k, i) => signRegistry(r, i + 1, k.secretKey), { ...genesis, epochs: [epoch1], signatures: [] });
  const custodians = opts.joiner ? [...base.custodians, keyPair()] : base.custodians;
  const hostKeys = opts.joiner ? [...base.hostKeys, newHostKeyFile()] : base.hostKeys;
  const six = custodians[5];
  const add = six ? [{ index: 6, name: 'custodian-6.test', signingKey: six.publicKey, witnessKey: six.notePublicKey, url: 'http://127.0.0.1:1/6', hostKey: hostKeys[5]!.hostKey }] : [];
  const remove = [1, 2, 3, 4, 5].filter((i) => !opts.receivers.includes(i));
  const update = [1, 2, 3].reduce((r, i) => signRegistry(r, i, custodians[i - 1]!.secretKey), proposeReshare(registry, { from: 1, remove, add, threshold: 3, time: NOW - 3600 }));
  return { ...base, publicKeySet, shares, custodians, registry, hostKeys, update };
}

let standIn: StandIn | undefined;
let node: Node | undefined;
afterEach(async () => {
  await node?.close();
  await standIn?.close();
  node = standIn = undefined;
  removeTempDirs();
});

/** The stand-in with `entries` logged (default genesis and update), and real node `index` (default 1) not yet synced. */
async function startNodeOf(world: ReshareWorld, opts: { hostKeyFile?: HostKeyFile; index?: number; entries?: object[] } = {}): Promise<Node> {
  const index = opts.index ?? 1;
  standIn = new StandIn(world);
  for (const e of opts.entries ?? [world.registry, world.update]) standIn.append(e);
  await standIn.start();
  const dataDir = tempDir();
  const dealt = world.registry.epochs[0]!.groupKey !== undefined && index <= 5;
  const init = await initCustodian({
    dataDir,
    // Custodian 6 joins epoch 2 (§3.9, Joining).
    ...(dealt ? { shareFile: world.shares[index - 1] } : { dkg: { custodian: index, epoch: index <= 5 ? 1 : 2 } }),
    keyFile: keyFile(world.custodians[index - 1]!),
    hostKeyFile: opts.hostKeyFile ?? world.hostKeys[index - 1],
    dev: true,
  });
  const custodian = createCustodian({ dataDir, coordinatorUrl: standIn.url, clock: () => NOW * 1000, outboxGraceMs: 300, logLevel: 'silent' });
  await custodian.start();
  node = { index, world, dataDir, init, custodian, url: custodian.url, token: init.operatorToken, restart: () => Promise.reject(new Error('not used')), close: () => custodian.close() };
  return node;
}

/** startNodeOf, then synced and consenting to epoch 2. */
async function setUp(world: ReshareWorld, opts: { hostKeyFile?: HostKeyFile } = {}): Promise<Node> {
  await startNodeOf(world, opts);
  await sync(node!, standIn!);
  await consent(2);
  return node!;
}

async function consent(epoch: number): Promise<void> {
  const r = await call(`${node!.url}/v1/operator/dkg/consent`, { json: { epoch }, token: node!.token });
  expect(r.status).toBe(200);
}

/** Logs entries at the stand-in and pushes the checkpoint to the node. */
async function log(...entries: object[]): Promise<void> {
  for (const e of entries) standIn!.append(e);
  await sync(node!, standIn!);
}

/** Custodian `index`'s signed step of epoch `epoch`, or the coordinator's unsigned one. */
function step(world: ReshareWorld, s: DkgStep, payload: string, index?: number, over: Partial<DkgEntry> = {}): DkgEntry {
  const body = { type: 'dkg' as const, epoch: 2, session: SESSION, step: s, ...(index ? { custodian: index } : {}), payload, time: NOW, ...over };
  return index ? ({ ...body, signature: signRecord(body, 'dkg', world.custodians[index - 1]!.secretKey) } as DkgEntry) : (body as DkgEntry);
}

const dealing = (params: ReshareParams, share: ShareFile) => dealReshare(params, hexToBytes(share.share, 32), share.index, rnd());
const commitOf = (w: ReshareWorld, i: number, d: Uint8Array) => step(w, 'commit', bytesToHex(sha256(d)), i);
const revealOf = (w: ReshareWorld, i: number, d: Uint8Array) => step(w, 'reveal', bytesToBase64(d), i);
const decision = (w: ReshareWorld, s: 'dealers' | 'aggregate', set: number[]) => step(w, s, encodeDealerSet(set));

/** Node 1 and played dealers `others` through commit: returns node 1's commit entry and the others' dealings. */
async function committed(world: ReshareWorld, others: number[], tamper: (i: number, d: Uint8Array) => Uint8Array = (_, d) => d): Promise<{ own: DkgEntry; dealings: Map<number, Uint8Array>; params: ReshareParams }> {
  const params = reshareParamsOf(world.update, 2, SESSION);
  const own = (await ask(node!, { epoch: 2, session: SESSION })).json.entry as DkgEntry;
  expect(own).toMatchObject({ step: 'commit', custodian: 1, epoch: 2 });
  const dealings = new Map(others.map((i) => [i, tamper(i, dealing(params, world.shares[i - 1]!))] as const));
  await log(own, ...others.map((i) => commitOf(world, i, dealings.get(i)!)));
  return { own, dealings, params };
}

/** ...then dealers {1, ...others} decided and node 1's reveal logged with the others' (`reveals`, default theirs). */
async function revealed(world: ReshareWorld, others: number[], tamper?: (i: number, d: Uint8Array) => Uint8Array) {
  const c = await committed(world, others, tamper);
  await log(decision(world, 'dealers', [1, ...others]));
  const reveal = (await ask(node!, { epoch: 2, session: SESSION })).json.entry as DkgEntry;
  expect(reveal).toMatchObject({ step: 'reveal', custodian: 1 });
  c.dealings.set(1, new Uint8Array(Buffer.from(reveal.payload, 'base64')));
  return { ...c, reveal };
}

const askCode = async (epoch = 2) => (await ask(node!, { epoch, session: SESSION })).json?.error?.code as string | undefined;

/** Node 1 as a pure dealer of the reshare of epoch 1 into {2, 3, 4, 5}, through the epoch entry: returns its answer then. */
async function pureDealerReshare(world: ReshareWorld): Promise<Record<string, any>> {
    const c = await committed(world, [2, 3]);
    expect((await ask(node!, { epoch: 2, session: SESSION })).json).toEqual({ waiting: 'dealers' });
    await log(decision(world, 'dealers', [1, 2, 3]));
    const reveal = (await ask(node!, { epoch: 2, session: SESSION })).json.entry as DkgEntry;
    expect(reveal).toMatchObject({ step: 'reveal', custodian: 1 });
    const d1 = new Uint8Array(Buffer.from(reveal.payload, 'base64'));
    expect(bytesToHex(sha256(d1))).toBe(c.own.payload);
    await log(reveal, revealOf(world, 2, c.dealings.get(2)!), revealOf(world, 3, c.dealings.get(3)!));
    expect((await ask(node!, { epoch: 2, session: SESSION })).json).toEqual({ waiting: 'aggregate' });
    await log(decision(world, 'aggregate', [1, 2, 3]));
    // Not a receiver: it waits for the epoch entry.
    expect((await ask(node!, { epoch: 2, session: SESSION })).json).toEqual({ waiting: 'epoch' });
    const q = [d1, c.dealings.get(2)!, c.dealings.get(3)!];
    const certificate = [2, 3, 4, 5].map((j) => step(world, 'certeq', bytesToHex(reshareAckSign(c.params, hexToBytes(world.hostKeys[j - 1]!.secretKey, 32), q, rnd())), j));
    await log(...certificate, reshareEpochEntry(c.params, SESSION, q, certificate, NOW));
    return (await ask(node!, { epoch: 2, session: SESSION })).json;
}

describe('a reshare at one node (happy path)', () => {
  it('commit, dealers, reveal, aggregate from the cosigned log; a pure dealer destroys its share after the epoch entry', async () => {
    const world = reshareWorld({ dealt: true, receivers: [2, 3, 4, 5] });
    await setUp(world);
    const settled = await pureDealerReshare(world);
    expect(settled.destroyed).toMatchObject({ type: 'share-destroyed', epoch: 1, successor: 2, custodian: 1 });
  });

  it('a receiver signs its certificate once every dealing of Q checks out', async () => {
    const world = reshareWorld({ dealt: true, receivers: [1, 2, 3, 4, 5] });
    await setUp(world);
    const c = await revealed(world, [2, 3]);
    await log(c.reveal, revealOf(world, 2, c.dealings.get(2)!), revealOf(world, 3, c.dealings.get(3)!), decision(world, 'aggregate', [1, 2, 3]));
    expect((await ask(node!, { epoch: 2, session: SESSION })).json.entry).toMatchObject({ step: 'certeq', custodian: 1 });
  });
});

describe('custodian reshare checks: each refusal', () => {
  it('DKG_NOT_PARTICIPANT: neither a live dealer (epoch 1 is superseded, its share destroyed) nor a receiver', async () => {
    const world = reshareWorld({ dealt: true, receivers: [2, 3, 4, 5] });
    await setUp(world);
    expect((await pureDealerReshare(world)).destroyed).toBeDefined();
    // A later proposed reshare of epoch 1 into {2, 3, 4, 5}: this node is in neither committee that counts.
    const next = [2, 3, 4].reduce((r, i) => signRegistry(r, i, world.custodians[i - 1]!.secretKey), proposeReshare(world.update, { from: 1, remove: [1], time: NOW - 60 }));
    await log(next);
    await consent(3);
    expect(await askCode(3)).toBe('DKG_NOT_PARTICIPANT');
  });

  it('DKG_UNKNOWN_EPOCH: epoch 2 reshares epoch 1, which is proposed, not active', async () => {
    await setUp(reshareWorld({ dealt: false, receivers: [1, 2, 3, 4, 5] }));
    expect(await askCode()).toBe('DKG_UNKNOWN_EPOCH');
  });

  it('DKG_HOST_KEY_MISMATCH: the registry lists another host key for this node in epoch 2', async () => {
    await setUp(reshareWorld({ dealt: true, receivers: [1, 2, 3, 4, 5] }), { hostKeyFile: newHostKeyFile() });
    expect(await askCode()).toBe('DKG_HOST_KEY_MISMATCH');
  });

  it('DKG_ABORTED: nothing more once the session has a logged abort', async () => {
    const world = reshareWorld({ dealt: true, receivers: [1, 2, 3, 4, 5] });
    await setUp(world);
    await committed(world, [2, 3]);
    await log(step(world, 'abort', bytesToBase64(new TextEncoder().encode('timeout')), undefined, { blamed: [4] }));
    expect(await askCode()).toBe('DKG_ABORTED');
  });

  it('DKG_ABORTED: nothing more once this node complained about a dealer (after its signed blame)', async () => {
    const world = reshareWorld({ dealt: true, receivers: [1, 2, 3, 4, 5] });
    await setUp(world);
    // Custodian 2 commits to and reveals a dealing whose sub-share for rank 1 (this node) is wrong.
    const c = await revealed(world, [2, 3], (i, d) => (i === 2 ? corruptSubshare(d, 3, 1) : d));
    await log(c.reveal, revealOf(world, 2, c.dealings.get(2)!), revealOf(world, 3, c.dealings.get(3)!), decision(world, 'aggregate', [1, 2, 3]));
    const blame = (await ask(node!, { epoch: 2, session: SESSION })).json.entry as DkgEntry;
    expect(blame).toMatchObject({ step: 'blame', custodian: 1, blamed: [2] });
    await log(blame);
    expect(await askCode()).toBe('DKG_ABORTED');
  });

  it('DKG_AGGREGATE_MISMATCH: logged dealers that include a custodian with no commit', async () => {
    const world = reshareWorld({ dealt: true, receivers: [1, 2, 3, 4, 5] });
    await setUp(world);
    await committed(world, [2]);
    await log(decision(world, 'dealers', [1, 2, 4]));
    expect(await askCode()).toBe('DKG_AGGREGATE_MISMATCH');
  });

  it('DKG_AGGREGATE_MISMATCH: a logged qualified set that is not ≥ t_O revealed dealers', async () => {
    const world = reshareWorld({ dealt: true, receivers: [1, 2, 3, 4, 5] });
    await setUp(world);
    const c = await revealed(world, [2, 3, 4]);
    await log(c.reveal, revealOf(world, 2, c.dealings.get(2)!), revealOf(world, 3, c.dealings.get(3)!));
    await log(decision(world, 'aggregate', [1, 2, 4])); // 4 is a dealer, but never revealed
    expect(await askCode()).toBe('DKG_AGGREGATE_MISMATCH');
  });

  it('DKG_REVEAL_MISMATCH: a dealing of Q that does not hash to its logged commit', async () => {
    const world = reshareWorld({ dealt: true, receivers: [1, 2, 3, 4, 5] });
    await setUp(world);
    const c = await revealed(world, [2, 3]);
    const other = dealing(c.params, world.shares[2]!); // custodian 3 reveals another dealing than it committed to
    await log(c.reveal, revealOf(world, 2, c.dealings.get(2)!), revealOf(world, 3, other));
    await log(decision(world, 'aggregate', [1, 2, 3]));
    expect(await askCode()).toBe('DKG_REVEAL_MISMATCH');
  });
});

describe('a node joining by a reshare (§3.9, Joining): what its witness accepts', () => {
  it('a genesis that does not list it, up to the update that adds it; then it takes part as a receiver', async () => {
    const world = reshareWorld({ dealt: true, receivers: [2, 3, 4, 5], joiner: true });
    await startNodeOf(world, { index: 6 });
    await sync(node!, standIn!);
    await consent(2);
    // Not a dealer (no share of epoch 1), a receiver: it waits for the dealers.
    expect((await ask(node!, { epoch: 2, session: SESSION })).json).toEqual({ waiting: 'dealers' });
  });

  it('refuses a checkpoint whose registry never lists it (the genesis alone)', async () => {
    const world = reshareWorld({ dealt: true, receivers: [2, 3, 4, 5], joiner: true });
    await startNodeOf(world, { index: 6, entries: [world.registry] });
    const r = await addCheckpoint(node!, standIn!, 0);
    expect([r.status, r.json?.error?.code]).toEqual([422, 'BAD_GENESIS']);
  });

  it('refuses an update that lists its index with another signing key', async () => {
    const world = reshareWorld({ dealt: true, receivers: [2, 3, 4, 5], joiner: true });
    const other = keyPair();
    const forged = proposeReshare(world.registry, {
      from: 1,
      remove: [1],
      add: [{ ...world.update.epochs[1]!.custodians.find((c) => c.index === 6)!, signingKey: other.publicKey }],
      threshold: 3,
      time: NOW - 3600,
    });
    const signed = [1, 2, 3].reduce((r, i) => signRegistry(r, i, world.custodians[i - 1]!.secretKey), forged);
    await startNodeOf(world, { index: 6, entries: [world.registry, signed] });
    const r = await addCheckpoint(node!, standIn!, 0);
    expect([r.status, r.json?.error?.code]).toEqual([422, 'BAD_ENTRY']);
  });
});
