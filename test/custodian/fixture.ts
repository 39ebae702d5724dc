/**
 * Test fixture for the custodian: a 3-of-5 ceremony, a genesis registry signed
 * by all five custodian keys, a court, an agency with an investigator, a signed
 * warrant with salt, envelopes, and a stand-in coordinator (express on port 0)
 * serving the docs/PROTOCOL.md §4.4 read API from an in-memory log built with
 * shared/src/log, plus `POST /v1/records` capturing what custodians post.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import {
  bytesToBase64,
  bytesToHex,
  dealShares,
  ed25519PublicKey,
  ed25519SecretKey,
  decodePoint,
  envelopeId,
  hexToBytes,
  randomSecretKey,
  schnorrPublicKey,
  sealEnvelope,
} from '@custodes/shared/crypto';
import type { Envelope, Label } from '@custodes/shared/crypto';
import { formatAddCheckpointRequest, MemoryTree, signCheckpoint } from '@custodes/shared/log';
import {
  canonicalBytes,
  ceremonyFiles,
  envelopeSetRoot,
  newSalt,
  partialsCallHeader,
  signRecord,
  signWarrant,
  warrantCommitment,
  warrantCoverSheet,
} from '@custodes/shared/records';
import type {
  PartialsCallBody,
  ApprovalEntry,
  DecryptionRequestEntry,
  LogEntry,
  PublicKeySet,
  RegistryEntry,
  RevocationEntry,
  ShareFile,
  SignedWarrant,
  Warrant,
} from '@custodes/shared/records';
import { closeServer, listen } from '@custodes/shared/service';
import { createCustodian, initCustodian } from '../../services/custodian/src/index';
import type { Custodian, CustodianConfig, InitResult, Policy } from '../../services/custodian/src/index';

export const EPOCH = 1;
export const ORIGIN = 'custodes.test/log';
export const NOW = 1_800_000_000; // fixed test time (Unix seconds)

/** A BIP340 key pair with the identity's Ed25519 note key pair (docs/PROTOCOL.md §9.3), hex. */
export interface KeyPair {
  secretKey: string;
  publicKey: string;
  noteSecretKey: string;
  notePublicKey: string;
}

export function keyPair(): KeyPair {
  const sk = randomSecretKey();
  const note = ed25519SecretKey();
  return { secretKey: bytesToHex(sk), publicKey: bytesToHex(schnorrPublicKey(sk)), noteSecretKey: bytesToHex(note), notePublicKey: bytesToHex(ed25519PublicKey(note)) };
}

export const keyFile = (k: KeyPair) => ({ format: 'custodes.key.v1' as const, secretKey: k.secretKey, publicKey: k.publicKey, noteSecretKey: k.noteSecretKey, notePublicKey: k.notePublicKey });

// ## Ceremony and registry (shared by every test in a file; cheap to rebuild)

export interface World {
  publicKeySet: PublicKeySet;
  shares: ShareFile[];
  custodians: KeyPair[]; // index i at position i−1
  names: string[];
  court: KeyPair & { id: string };
  agency: { id: string; investigator: KeyPair };
  logKey: KeyPair;
  registry: RegistryEntry;
}

export function signRegistry(unsigned: Omit<RegistryEntry, 'signatures'>, signers: { index: number; key: KeyPair }[]): RegistryEntry {
  const signatures = signers.map((s) => ({ custodian: s.index, signature: signRecord(unsigned, 'registry', s.key.secretKey) }));
  return { ...unsigned, signatures };
}

export function buildWorld(): World {
  const ceremony = dealShares(3, 5);
  const { publicKeySet, shares } = ceremonyFiles(ceremony, EPOCH);
  const custodians = Array.from({ length: 5 }, keyPair);
  const names = custodians.map((_, k) => `custodian-${k + 1}.test`);
  const court = { ...keyPair(), id: 'court-1' };
  const agency = { id: 'agency-1', investigator: keyPair() };
  const logKey = keyPair();
  const unsigned: Omit<RegistryEntry, 'signatures'> = {
    type: 'registry',
    sequence: 0,
    origin: ORIGIN,
    logKey: logKey.publicKey,
    logNoteKey: logKey.notePublicKey,
    epochs: [
      {
        epoch: EPOCH,
        threshold: 3,
        total: 5,
        groupKey: publicKeySet.groupKey,
        commitments: publicKeySet.commitments,
        custodians: custodians.map((k, i) => ({ index: i + 1, name: names[i]!, signingKey: k.publicKey, witnessKey: k.notePublicKey, url: `http://127.0.0.1:1/${i + 1}` })),
      },
    ],
    courts: [{ id: court.id, name: 'Test Court', key: court.publicKey }],
    agencies: [{ id: agency.id, name: 'Test Agency', investigators: [agency.investigator.publicKey] }],
    time: NOW - 86_400,
  };
  const registry = signRegistry(unsigned, custodians.map((key, i) => ({ index: i + 1, key })));
  return { publicKeySet, shares, custodians, names, court, agency, logKey, registry };
}

// ## Warrants, envelopes, entries

export const SUBJECTS = ['subject-a', 'subject-b'];

export function makeWarrant(world: World, over: Partial<Warrant> = {}, keys: { court?: string; investigator?: string } = {}): { warrant: SignedWarrant; salt: string; commitment: string } {
  const body: Warrant = {
    format: 'custodes.warrant.v1',
    id: randomUUID(),
    agency: world.agency.id,
    investigator: world.agency.investigator.publicKey,
    court: world.court.id,
    caseNumber: 'CASE-1',
    legalAuthority: 'Test Act §1',
    offense: 'testing',
    scope: { subjects: SUBJECTS, categories: ['messages'], notBefore: NOW - 30 * 86_400, notAfter: NOW },
    maxEnvelopes: 100,
    issuedAt: NOW - 3600,
    expiresAt: NOW + 30 * 86_400,
    sealedUntil: NOW + 90 * 86_400,
    ...over,
  };
  const warrant: SignedWarrant = {
    ...body,
    courtSignature: signWarrant(body, keys.court ?? world.court.secretKey),
    investigatorSignature: signWarrant(body, keys.investigator ?? world.agency.investigator.secretKey),
  };
  const salt = newSalt();
  return { warrant, salt, commitment: warrantCommitment(warrant, salt) };
}

export function makeEnvelopes(world: World, labels: Label[], epoch = EPOCH): { envelopes: Envelope[]; plaintexts: string[] } {
  const groupKey = decodePoint(hexToBytes(world.publicKeySet.groupKey, 33), 'groupKey');
  const plaintexts = labels.map((l, k) => `plaintext ${k} for ${l.subject}`);
  const envelopes = labels.map((l, k) => sealEnvelope(new TextEncoder().encode(plaintexts[k]!), groupKey, epoch, l));
  return { envelopes, plaintexts };
}

export const inScope = (k: number, subject = SUBJECTS[0]!): Label => ({ subject, category: 'messages', time: NOW - 86_400 - k });

export function approval(world: World, index: number, warrantId: string, commitment: string, decision: 'approve' | 'deny' = 'approve'): ApprovalEntry {
  const unsigned = { type: 'approval' as const, warrantId, commitment, custodian: index, decision, time: NOW - 600 };
  return { ...unsigned, signature: signRecord(unsigned, 'approval', world.custodians[index - 1]!.secretKey) };
}

export function decryptionRequest(world: World, warrantId: string, envelopes: Envelope[], over: Partial<DecryptionRequestEntry> = {}, signer?: KeyPair): DecryptionRequestEntry {
  const inv = signer ?? world.agency.investigator;
  const unsigned = {
    type: 'decryption-request' as const,
    requestId: randomUUID(),
    warrantId,
    investigator: inv.publicKey,
    envelopeCount: envelopes.length,
    envelopeSetRoot: envelopeSetRoot(envelopes.map((e) => envelopeId(e))),
    epochs: [...new Set(envelopes.map((e) => e.epoch))].sort((a, b) => a - b),
    time: NOW - 60,
    ...over,
  };
  return { ...unsigned, signature: signRecord(unsigned, 'decryption-request', inv.secretKey) };
}

export function revocation(world: World, warrantId: string): RevocationEntry {
  const unsigned = { type: 'revocation' as const, warrantId, reason: 'withdrawn', by: 'court' as const, signer: world.court.publicKey, time: NOW - 30 };
  return { ...unsigned, signature: signRecord(unsigned, 'revocation', world.court.secretKey) };
}

export const coverSheet = warrantCoverSheet;

/**
 * The `Custodes-Call` header the coordinator would send custodian `index` for
 * these envelopes (docs/PROTOCOL.md §7.12, Call authorisation): signed by the log key
 * at the fixed test time unless `over` or `signer` say otherwise.
 */
export function callHeader(world: World, index: number, requestId: string, envelopes: Envelope[], over: Partial<PartialsCallBody> = {}, signer = world.logKey.secretKey): string {
  const body: PartialsCallBody = {
    custodian: index,
    requestId,
    envelopeCount: envelopes.length,
    // Given in `over` for junk envelopes, whose ids cannot be computed.
    envelopeSetRoot: over.envelopeSetRoot ?? envelopeSetRoot(envelopes.map((e) => envelopeId(e))),
    issuedAt: NOW,
    ...over,
  };
  return partialsCallHeader(body, signer);
}

// ## The stand-in coordinator

export class StandIn {
  readonly tree = new MemoryTree();
  readonly leaves: Uint8Array[] = [];
  /** Records custodians posted to `POST /v1/records`, in order. */
  readonly records: LogEntry[] = [];
  /** Faults to inject. */
  faults: { entriesFailFrom: number; pageSize: number; recordsFail: number; serve?: (index: number, leaf: Uint8Array) => Uint8Array } = {
    entriesFailFrom: Infinity,
    pageSize: 1000,
    recordsFail: 0,
  };
  /** Append posted records to the log. */
  autoLog = false;
  url = '';
  #server: Server | null = null;

  constructor(readonly world: World) {}

  append(entry: LogEntry | object): number {
    return this.appendRaw(canonicalBytes(entry));
  }

  appendRaw(bytes: Uint8Array): number {
    this.leaves.push(bytes);
    return this.tree.append(bytes);
  }

  get size(): number {
    return this.tree.size;
  }

  /** The signed checkpoint note of the first `size` leaves. */
  note(size = this.size, logSecret = this.world.logKey.noteSecretKey): string {
    return signCheckpoint({ origin: ORIGIN, size, root: this.tree.root(size) }, hexToBytes(logSecret, 32));
  }

  /** An add-checkpoint body from `oldSize` to `size`. */
  addCheckpointBody(oldSize: number, size = this.size): string {
    const proof = oldSize > 0 && oldSize < size ? this.tree.consistencyProof(oldSize, size) : [];
    return formatAddCheckpointRequest({ oldSize, proof, note: this.note(size) });
  }

  async start(): Promise<void> {
    const app = express();
    app.use(express.json({ limit: '10mb' }));
    app.get('/log/v1/entries', (req, res) => {
      const start = Number(req.query.start);
      const end = Math.min(Number(req.query.end), start + this.faults.pageSize, this.size);
      if (!(start >= 0) || !(end > start)) return void res.status(404).json({ error: { code: 'RANGE', message: 'beyond the tree' } });
      if (start >= this.faults.entriesFailFrom) return void res.status(500).json({ error: { code: 'INJECTED', message: 'injected failure' } });
      res.json({ start, entries: this.leaves.slice(start, end).map((l, k) => bytesToBase64(this.faults.serve?.(start + k, l) ?? l)) });
    });
    app.get('/log/v1/checkpoint', (_req, res) => {
      res.type('text/plain').send(this.note());
    });
    app.get('/v1/registry', (_req, res) => {
      res.json({ entry: this.world.registry, index: 0 });
    });
    app.post('/v1/records', (req, res) => {
      if (this.faults.recordsFail > 0) {
        this.faults.recordsFail--;
        return void res.status(503).json({ error: { code: 'INJECTED', message: 'injected failure' } });
      }
      const entry = (req.body as { entry: LogEntry }).entry;
      this.records.push(entry);
      const index = this.autoLog ? this.append(entry) : -1;
      res.json({ index });
    });
    const bound = await listen(app, 0, '127.0.0.1');
    this.#server = bound.server;
    this.url = `http://127.0.0.1:${bound.port}`;
  }

  async close(): Promise<void> {
    if (this.#server) await closeServer(this.#server);
  }
}

// ## Nodes

export interface Node {
  index: number;
  /** The ceremony and registry the node was initialised from. */
  world: World;
  dataDir: string;
  init: InitResult;
  custodian: Custodian;
  url: string;
  token: string;
  /** Restarts on the same data dir (a fresh process as far as the node can tell). */
  restart(over?: Partial<CustodianConfig>): Promise<void>;
  close(): Promise<void>;
}

const tempDirs: string[] = [];

export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'custodian-test-'));
  tempDirs.push(d);
  return d;
}

export function removeTempDirs(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export async function startNode(
  world: World,
  standIn: StandIn,
  index: number,
  opts: { dev?: boolean; policy?: Policy; config?: Partial<CustodianConfig> } = {},
): Promise<Node> {
  const dataDir = tempDir();
  const init = await initCustodian({
    dataDir,
    shareFile: world.shares[index - 1],
    keyFile: keyFile(world.custodians[index - 1]!),
    dev: opts.dev ?? true,
    ...(opts.policy ? { policy: opts.policy } : {}),
  });
  // A short outbox grace (the default is 5 s): records the caller took from an answer reach the stand-in soon.
  const make = (over: Partial<CustodianConfig> = {}) =>
    createCustodian({ dataDir, coordinatorUrl: standIn.url, clock: () => NOW * 1000, outboxGraceMs: 300, ...opts.config, ...over });
  let custodian = make();
  await custodian.start();
  const node: Node = {
    index,
    world,
    dataDir,
    init,
    custodian,
    url: custodian.url,
    token: init.operatorToken,
    async restart(over) {
      await custodian.close();
      custodian = make(over);
      await custodian.start();
      node.custodian = custodian;
      node.url = custodian.url;
    },
    close: () => custodian.close(),
  };
  return node;
}

// ## HTTP helpers

export interface Reply {
  status: number;
  type: string;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test helper over arbitrary answers
}

export async function call(
  url: string,
  opts: { method?: string; json?: unknown; text?: string; raw?: string; type?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.text !== undefined) {
    headers['content-type'] = 'text/plain';
    body = opts.text;
  } else if (opts.raw !== undefined) {
    headers['content-type'] = opts.type ?? 'application/json';
    body = opts.raw;
  }
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(url, { method: opts.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, json };
}

/** Pushes the stand-in's current checkpoint to `node`, from `oldSize`. */
export function addCheckpoint(node: Node, standIn: StandIn, oldSize: number, size = standIn.size): Promise<Reply> {
  return call(`${node.url}/witness/v1/add-checkpoint`, { text: standIn.addCheckpointBody(oldSize, size) });
}

/** The node's witness size (operator API). */
export async function witnessSize(node: Node): Promise<number> {
  const r = await call(`${node.url}/v1/operator/witness`, { token: node.token });
  return r.json.size as number;
}

/** Brings `node` up to the stand-in's size; expects a cosignature. */
export async function sync(node: Node, standIn: StandIn): Promise<void> {
  const r = await addCheckpoint(node, standIn, await witnessSize(node));
  if (r.status !== 200) throw new Error(`add-checkpoint failed: ${r.status} ${r.text}`);
}
