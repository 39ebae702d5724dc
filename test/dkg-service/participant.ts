/**
 * A DKG world for one real custodian node driven by the stand-in coordinator
 * (test/custodian/fixture.ts), which the test controls entirely: it holds the
 * log key, and plays the other participants with their own host and signing
 * keys (honest ChillDKG through @custodes/shared/dkg, or cheating on purpose).
 */
import { randomBytes } from 'node:crypto';
import { bytesToBase64, bytesToHex, hexToBytes } from '@custodes/shared/crypto';
import { coordinatorStep1, hostpubkeyGen, participantStep1, participantStep2, pmsg1Commitment } from '@custodes/shared/dkg';
import type { ParticipantState1, SessionParams } from '@custodes/shared/dkg';
import { DKG_CALL_HEADER, dkgCallHeader, signRecord } from '@custodes/shared/records';
import type { DkgEntry, DkgStep, PublicKeySet, RegistryEntry } from '@custodes/shared/records';
import { createCustodian, initCustodian } from '../../services/custodian/src/index';
import type { Custodian } from '../../services/custodian/src/index';
import { newHostKeyFile } from '../../services/custodian/src/init';
import type { HostKeyFile } from '../../services/custodian/src/init';
import { call, keyFile, keyPair, NOW, ORIGIN, signRegistry, StandIn, sync, tempDir } from '../custodian/fixture';
import type { KeyPair, Node, Reply, World } from '../custodian/fixture';

export const SESSION = '00000000-0000-4000-8000-00000000d001';

export interface DkgWorld extends World {
  hostKeys: HostKeyFile[];
  params: SessionParams;
}

/**
 * Custodians 1..n with signing and host keys; the genesis proposes epoch 1 (t of
 * 1..n) and, with `extra`, a second proposed epoch 2 of custodians 1..extra.n.
 */
export function dkgWorld(t: number, n: number, extra?: { t: number; n: number }): DkgWorld {
  const custodians = Array.from({ length: n }, keyPair);
  const hostKeys = Array.from({ length: n }, newHostKeyFile);
  const names = custodians.map((_, k) => `custodian-${k + 1}.test`);
  const court = { ...keyPair(), id: 'court-1' };
  const agency = { id: 'agency-1', investigator: keyPair() };
  const logKey = keyPair();
  const listed = (count: number) =>
    custodians.slice(0, count).map((k, i) => ({ index: i + 1, name: names[i]!, signingKey: k.publicKey, witnessKey: k.notePublicKey, url: `http://127.0.0.1:1/${i + 1}`, hostKey: hostKeys[i]!.hostKey }));
  const epochs: RegistryEntry['epochs'] = [{ epoch: 1, threshold: t, total: n, custodians: listed(n) }];
  if (extra) epochs.push({ epoch: 2, threshold: extra.t, total: extra.n, custodians: listed(extra.n) });
  const unsigned: Omit<RegistryEntry, 'signatures'> = {
    type: 'registry',
    sequence: 0,
    origin: ORIGIN,
    logKey: logKey.publicKey,
    logNoteKey: logKey.notePublicKey,
    epochs,
    courts: [{ id: court.id, name: 'Test Court', key: court.publicKey }],
    agencies: [{ id: agency.id, name: 'Test Agency', investigators: [agency.investigator.publicKey] }],
    time: NOW - 86_400,
  };
  const registry = signRegistry(unsigned, custodians.map((key, i) => ({ index: i + 1, key })));
  const params = { hostpubkeys: hostKeys.map((h) => hexToBytes(h.hostKey, 33)), t };
  // A DKG world has no dealer: no public key set, no share files.
  return { publicKeySet: undefined as unknown as PublicKeySet, shares: [], custodians, names, court, agency, logKey, registry, hostKeys, params };
}

/** A real node for custodian `index`, initialised with no share (its key comes from the DKG), synced to genesis. */
export async function startDkgNode(world: DkgWorld, standIn: StandIn, index: number, opts: { hostKeyFile?: HostKeyFile; consent?: number[] } = {}): Promise<Node> {
  const dataDir = tempDir();
  const init = await initCustodian({
    dataDir,
    dkg: { custodian: index, epoch: 1 },
    keyFile: keyFile(world.custodians[index - 1]!),
    hostKeyFile: opts.hostKeyFile ?? world.hostKeys[index - 1],
    dev: true,
  });
  const make = () => createCustodian({ dataDir, coordinatorUrl: standIn.url, clock: () => NOW * 1000, outboxGraceMs: 300, logLevel: 'silent' });
  let custodian: Custodian = make();
  await custodian.start();
  const node: Node = {
    index,
    world,
    dataDir,
    init,
    custodian,
    url: custodian.url,
    token: init.operatorToken,
    async restart() {
      await custodian.close();
      custodian = make();
      await custodian.start();
      node.custodian = custodian;
      node.url = custodian.url;
    },
    close: () => custodian.close(),
  };
  await sync(node, standIn);
  for (const epoch of opts.consent ?? [1]) {
    const r = await call(`${node.url}/v1/operator/dkg/consent`, { json: { epoch }, token: node.token });
    if (r.status !== 200) throw new Error(`consent failed: ${r.status} ${r.text}`);
  }
  return node;
}

/** The coordinator's call for the node's next step (signed by the log key unless `signer` is given). */
export function ask(node: Node, opts: { epoch?: number; session?: string; custodian?: number; signer?: string; issuedAt?: number } = {}): Promise<Reply> {
  const header = dkgCallHeader(
    { custodian: opts.custodian ?? node.index, epoch: opts.epoch ?? 1, session: opts.session ?? SESSION, issuedAt: opts.issuedAt ?? NOW },
    opts.signer ?? node.world.logKey.secretKey,
  );
  return call(`${node.url}/v1/dkg`, { method: 'POST', headers: { [DKG_CALL_HEADER]: header } });
}

/** A participant the test plays: its round-1 state and pmsg1 (optionally tampered before it is committed). */
export interface Played {
  index: number;
  state: ParticipantState1;
  pmsg1: Uint8Array;
}

export function play(world: DkgWorld, index: number): Played {
  const { state, pmsg1 } = participantStep1(hexToBytes(world.hostKeys[index - 1]!.secretKey, 32), world.params, new Uint8Array(randomBytes(32)));
  return { index, state, pmsg1 };
}

/** Custodian `index`'s signed step (what its node would sign), or the coordinator's unsigned one. */
export function step(world: DkgWorld, s: DkgStep, payload: string, index?: number, over: Partial<DkgEntry> = {}): DkgEntry {
  const body = { type: 'dkg' as const, epoch: 1, session: SESSION, step: s, ...(index ? { custodian: index } : {}), payload, time: NOW, ...over };
  return index ? ({ ...body, signature: signRecord(body, 'dkg', world.custodians[index - 1]!.secretKey) } as DkgEntry) : (body as DkgEntry);
}

export const commitOf = (world: DkgWorld, p: Played) => step(world, 'commit', bytesToHex(pmsg1Commitment(p.pmsg1)), p.index);
export const revealOf = (world: DkgWorld, p: Played) => step(world, 'reveal', bytesToBase64(p.pmsg1), p.index);

/** cmsg1 over pmsgs1 in index order. */
export function aggregate(world: DkgWorld, pmsgs1: Uint8Array[]) {
  return coordinatorStep1(pmsgs1, world.params);
}

/** A played participant's CertEq signature on cmsg1. */
export function certeqOf(world: DkgWorld, p: Played, cmsg1: Uint8Array): DkgEntry {
  const { pmsg2 } = participantStep2(hexToBytes(world.hostKeys[p.index - 1]!.secretKey, 32), p.state, cmsg1, new Uint8Array(randomBytes(32)));
  return step(world, 'certeq', bytesToHex(pmsg2), p.index);
}

export { hostpubkeyGen, keyPair, NOW };
export type { KeyPair };
