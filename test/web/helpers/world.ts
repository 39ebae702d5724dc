/**
 * A small Custodes world for the web tests: a 2-of-3 registry, a court, an
 * agency, signed warrants, and two stand-ins served on loopback:
 *
 * - a log (docs/PROTOCOL.md §4.4 read API) over shared/src/log's MemoryTree, with
 *   checkpoints signed by the log key and cosigned by the custodians, and
 *   entries JCS-encoded and checked against shared/src/records' schemas;
 * - a custodian node's seal and operator API (docs/PROTOCOL.md §7.9) over
 *   in-memory state, whose decisions are signed `approval` entries appended
 *   to the stand-in log.
 *
 * Each serves the matching page from @custodes/web exactly as the real
 * services mount it.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import express, { Router } from 'express';
import type { RequestHandler } from 'express';
import { bytesToBase64, bytesToHex, ed25519PublicKey, ed25519SecretKey, randomSecretKey, schnorrPublicKey } from '@custodes/shared/crypto';
import { cosignCheckpoint, MemoryTree, signCheckpoint } from '@custodes/shared/log';
import {
  canonicalBytes,
  LogEntrySchema,
  newSalt,
  signRecord,
  signRegistry,
  signWarrant,
  warrantCommitment,
  warrantCoverSheet,
} from '@custodes/shared/records';
import type { ApprovalEntry, LogEntry, RegistryEntry, SignedWarrant, Warrant } from '@custodes/shared/records';
import { closeServer, errorHandler, HttpError, listen } from '@custodes/shared/service';
import { warrantOfEntry } from '../../../services/coordinator/src/rules/warrantIndex';
import { consoleRouter, explorerRouter, reportRouter } from '../../../services/web/src/index';
import type { ReportOptions } from '../../../services/web/src/index';

export const ORIGIN = 'custodes.example/log';
export const THRESHOLD = 2;
const DAY = 86_400;

/** A BIP340 key pair with an Ed25519 note key pair (docs/PROTOCOL.md §9.3), hex. */
export interface Party {
  readonly secretKey: string;
  readonly publicKey: string;
  readonly noteSecretKey: string;
  readonly notePublicKey: string;
}

export function party(): Party {
  const sk = randomSecretKey();
  const note = ed25519SecretKey();
  return { secretKey: bytesToHex(sk), publicKey: bytesToHex(schnorrPublicKey(sk)), noteSecretKey: bytesToHex(note), notePublicKey: bytesToHex(ed25519PublicKey(note)) };
}

/** A valid compressed point (an x-only key has an even-y lift). */
const point = (): string => `02${party().publicKey}`;

export interface Custodian extends Party {
  readonly index: number;
  readonly name: string;
}

export interface World {
  readonly log: Party;
  readonly custodians: readonly Custodian[];
  readonly court: Party & { id: string };
  readonly agency: { id: string; investigator: Party };
  readonly registry: RegistryEntry;
}

export function makeWorld(now: number): World {
  const log = party();
  const names = ['court-registry', 'privacy-authority', 'civil-liberties-ngo'];
  const custodians = names.map((name, i) => ({ ...party(), index: i + 1, name }));
  const court = { ...party(), id: 'district-court-1' };
  const agency = { id: 'federal-police', investigator: party() };
  const groupKey = point();
  let registry: RegistryEntry = {
    type: 'registry',
    sequence: 0,
    origin: ORIGIN,
    logKey: log.publicKey,
    logNoteKey: log.notePublicKey,
    epochs: [
      {
        epoch: 1,
        threshold: THRESHOLD,
        total: custodians.length,
        groupKey,
        commitments: [groupKey, point()],
        custodians: custodians.map((c) => ({ index: c.index, name: c.name, signingKey: c.publicKey, witnessKey: c.notePublicKey, url: `http://127.0.0.1:${7100 + c.index}` })),
      },
    ],
    courts: [
      { id: court.id, name: 'District Court One', key: court.publicKey },
      { id: 'appeals-court', name: 'Court of Appeals', key: party().publicKey },
    ],
    agencies: [
      { id: agency.id, name: 'Federal Police', investigators: [agency.investigator.publicKey] },
      { id: 'customs', name: 'Customs', investigators: [agency.investigator.publicKey] },
      { id: 'tax-office', name: 'Tax Office', investigators: [agency.investigator.publicKey] },
    ],
    time: now - 30 * DAY,
    signatures: [],
  };
  for (const c of custodians) registry = signRegistry(registry, c.index, c.secretKey);
  return { log, custodians, court, agency, registry };
}

export interface IssuedWarrant {
  readonly warrant: SignedWarrant;
  readonly salt: string;
  readonly commitment: string;
}

/** A warrant signed by the world's court and investigator. */
export function issueWarrant(world: World, now: number, over: Partial<Warrant> = {}): IssuedWarrant {
  const body: Warrant = {
    format: 'custodes.warrant.v1',
    id: randomUUID(),
    agency: world.agency.id,
    investigator: world.agency.investigator.publicKey,
    court: world.court.id,
    caseNumber: 'CR-2026-0412',
    legalAuthority: 'Criminal Procedure Code §100a',
    offense: 'Fraud on a commercial scale',
    scope: { subjects: ['acct:alice@example.org', 'acct:bob@example.org'], categories: ['messages'], notBefore: now - 60 * DAY, notAfter: now - DAY },
    maxEnvelopes: 500,
    issuedAt: now - 3600,
    expiresAt: now + 30 * DAY,
    sealedUntil: now + 180 * DAY,
    ...over,
  };
  const warrant: SignedWarrant = {
    ...body,
    courtSignature: signWarrant(body, world.court.secretKey),
    investigatorSignature: signWarrant(body, world.agency.investigator.secretKey),
  };
  const salt = newSalt();
  return { warrant, salt, commitment: warrantCommitment(warrant, salt) };
}

export function signedApproval(
  custodian: Custodian,
  issued: IssuedWarrant,
  decision: 'approve' | 'deny',
  time: number,
  reason?: string,
): ApprovalEntry {
  const unsigned: Omit<ApprovalEntry, 'signature'> = {
    type: 'approval',
    warrantId: issued.warrant.id,
    commitment: issued.commitment,
    custodian: custodian.index,
    decision,
    ...(reason !== undefined ? { reason } : {}),
    time,
  };
  return { ...unsigned, signature: signRecord(unsigned, 'approval', custodian.secretKey) };
}

// ## A served app on loopback

export interface Served {
  readonly url: string;
  close(): Promise<void>;
}

async function serve(app: express.Express): Promise<Served> {
  const { server, port } = await listen(app, 0, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}`, close: () => closeServer(server as Server) };
}

function queryInt(raw: unknown, name: string): number {
  const n = typeof raw === 'string' && /^(?:0|[1-9][0-9]{0,15})$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n)) throw new HttpError(400, 'BAD_REQUEST', `${name} must be a non-negative integer`);
  return n;
}

// ## Stand-in log (docs/PROTOCOL.md §4.4)

/** A leaf's JSON, or null for a junk leaf (which belongs to no warrant). */
function leafJson(b: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(b).toString('utf8'));
  } catch {
    return null;
  }
}

export class StandInLog {
  readonly #world: World;
  readonly #tree = new MemoryTree();
  readonly #leaves: Uint8Array[] = [];
  #note = '';
  #checkpointSize = 0;
  /** The registry this log starts with (entry 0). */
  get registry(): RegistryEntry {
    return this.#world.registry;
  }
  /** Seconds; cosignature timestamps. */
  now: number;

  constructor(world: World, now: number) {
    this.#world = world;
    this.now = now;
    this.append(world.registry);
    this.publish();
  }

  get size(): number {
    return this.#tree.size;
  }

  get note(): string {
    return this.#note;
  }

  /** The leaves of the published checkpoint's tree (to write a tiles mirror of it). */
  get leaves(): Uint8Array[] {
    return this.#leaves.slice(0, this.#checkpointSize);
  }

  /** Appends one entry as its JCS bytes (after checking it against the schemas); returns its index. */
  append(entry: LogEntry): number {
    const parsed = LogEntrySchema.parse(entry);
    const bytes = canonicalBytes(parsed);
    this.#leaves.push(bytes);
    return this.#tree.append(bytes);
  }

  /** Appends raw leaf bytes (for junk-entry tests). */
  appendRaw(bytes: Uint8Array): number {
    this.#leaves.push(bytes);
    return this.#tree.append(bytes);
  }

  /** Signs a checkpoint of the whole tree and has every custodian cosign it. */
  publish(): void {
    const checkpoint = { origin: ORIGIN, size: this.#tree.size, root: this.#tree.root() };
    let note = signCheckpoint(checkpoint, Uint8Array.from(Buffer.from(this.#world.log.noteSecretKey, 'hex')));
    for (const c of this.#world.custodians) {
      note += cosignCheckpoint(checkpoint, { name: c.name, secretKey: Uint8Array.from(Buffer.from(c.noteSecretKey, 'hex')), timestamp: this.now });
    }
    this.#note = note;
    this.#checkpointSize = checkpoint.size;
  }

  get checkpointSize(): number {
    return this.#checkpointSize;
  }

  root(size = this.#checkpointSize): Uint8Array {
    return this.#tree.root(size);
  }

  /** Indices of the registry entries in [0, size). */
  registryIndices(size: number): number[] {
    return this.#leaves.slice(0, size).flatMap((b, i) => (LogEntrySchema.safeParse(leafJson(b)).data?.type === 'registry' ? [i] : []));
  }

  /** Indices of `warrantId`'s entries in [0, size), as the coordinator's warrant index holds them. */
  warrantEntries(warrantId: string, size: number): number[] {
    const parsed = this.#leaves.slice(0, size).map((b) => LogEntrySchema.safeParse(leafJson(b)));
    const requestWarrant = new Map<string, string>();
    for (const p of parsed) if (p.success && p.data.type === 'decryption-request') requestWarrant.set(p.data.requestId, p.data.warrantId);
    const out: number[] = [];
    parsed.forEach((p, i) => {
      if (p.success && warrantOfEntry(p.data, (id) => requestWarrant.get(id)) === warrantId) out.push(i);
    });
    return out;
  }

  router(): Router {
    const r = Router();
    r.get('/log/v1/checkpoint', (_req, res) => {
      res.type('text/plain').send(this.#note);
    });
    r.get('/log/v1/entries', (req, res) => {
      const start = queryInt(req.query.start, 'start');
      const end = queryInt(req.query.end, 'end');
      if (end <= start) throw new HttpError(400, 'BAD_REQUEST', 'end must be above start');
      if (end > this.#tree.size) throw new HttpError(404, 'NOT_FOUND', 'range beyond the tree');
      res.json({ start, entries: this.#leaves.slice(start, Math.min(end, start + 1000)).map(bytesToBase64) });
    });
    r.get('/log/v1/proof/inclusion', (req, res) => {
      const index = queryInt(req.query.index, 'index');
      const size = queryInt(req.query.size, 'size');
      if (size > this.#tree.size || index >= size) throw new HttpError(404, 'NOT_FOUND', 'index or size beyond the tree');
      const [leafHash] = this.#tree.readHashes([{ level: 0, index }]);
      res.json({ index, size, leafHash: bytesToBase64(leafHash!), proof: this.#tree.inclusionProof(index, size).map(bytesToBase64) });
    });
    r.get('/log/v1/proof/consistency', (req, res) => {
      const from = queryInt(req.query.from, 'from');
      const to = queryInt(req.query.to, 'to');
      if (from > to) throw new HttpError(400, 'BAD_REQUEST', 'from must not exceed to');
      if (to > this.#tree.size) throw new HttpError(404, 'NOT_FOUND', 'size beyond the tree');
      res.json({ from, to, proof: this.#tree.consistencyProof(from, to).map(bytesToBase64) });
    });
    r.get('/v1/registry', (_req, res) => {
      res.json({ index: 0, entry: this.#world.registry });
    });
    // docs/PROTOCOL.md §7.3, "Warrant search": the coordinator's index, by its own rule, from the leaves.
    r.get('/v1/log/warrant/:id', (req, res) => {
      const size = req.query.size === undefined ? this.#checkpointSize : queryInt(req.query.size, 'size');
      if (size > this.#checkpointSize) throw new HttpError(404, 'BEYOND_TREE', 'size beyond the checkpoint');
      res.json({ warrantId: req.params.id, size, indices: this.warrantEntries(req.params.id, size), registry: this.registryIndices(size) });
    });
    return r;
  }

  /** The coordinator stand-in: the read API, the explorer and the report page. */
  serve(report: ReportOptions = {}): Promise<Served> {
    const app = express();
    app.set('query parser', 'simple');
    app.use(this.router());
    app.use(explorerRouter());
    app.use(reportRouter(report));
    app.use(errorHandler());
    return serve(app);
  }
}

// ## Stand-in custodian (docs/PROTOCOL.md §7.9: seal and operator API)

interface Review {
  issued: IssuedWarrant;
  logIndex: number;
  receivedAt: number;
  policy: { auto: boolean; reasons: string[] };
  status: 'pending' | 'approved' | 'denied';
  reason: string | null;
  decidedBy: string | null;
  decidedAt: number | null;
}

export interface ReleaseRow {
  requestId: string | null;
  warrantId: string | null;
  outcome: 'served' | 'repeated' | 'refused';
  code: string | null;
  count: number;
  time: number;
}

export class StandInCustodian {
  readonly me: Custodian;
  readonly token: string;
  readonly unsealKeys: readonly string[];
  readonly unsealThreshold: number;
  readonly #log: StandInLog;
  readonly #reviews = new Map<string, Review>();
  readonly releases: ReleaseRow[] = [];
  #sealed: boolean;
  #entered = new Set<string>();
  #witness: { size: number; root: string; note: string; cosignedAt: number } | null = null;
  now: number;

  constructor(opts: { me: Custodian; log: StandInLog; now: number; sealed?: boolean }) {
    this.me = opts.me;
    this.#log = opts.log;
    this.now = opts.now;
    this.token = `op_${bytesToHex(randomSecretKey())}`;
    this.unsealKeys = Array.from({ length: 5 }, () => bytesToBase64(randomSecretKey()));
    this.unsealThreshold = 3;
    this.#sealed = opts.sealed ?? false;
    this.cosign();
  }

  /** Records the log's current checkpoint as this node's last cosigned one. */
  cosign(): void {
    this.#witness = {
      size: this.#log.checkpointSize,
      root: bytesToHex(this.#log.root()),
      note: this.#log.note,
      cosignedAt: this.now,
    };
  }

  /** A warrant delivered by the coordinator (its cover sheet is logged first, as in docs/PROTOCOL.md §5 step 2). */
  deliver(issued: IssuedWarrant, policy: { auto: boolean; reasons: string[] } = { auto: false, reasons: ['no auto-approval policy'] }): number {
    const logIndex = this.#log.append(warrantCoverSheet(issued.warrant, issued.commitment));
    this.#log.publish();
    this.cosign();
    this.#reviews.set(issued.warrant.id, { issued, logIndex, receivedAt: this.now, policy, status: 'pending', reason: null, decidedBy: null, decidedAt: null });
    return logIndex;
  }

  #decide(id: string, decision: 'approve' | 'deny', reason: string | undefined): { status: Review['status']; entry: ApprovalEntry } {
    const review = this.#reviews.get(id);
    if (!review) throw new HttpError(404, 'UNKNOWN_WARRANT', `no warrant ${id} here`);
    if (review.status !== 'pending') throw new HttpError(409, 'ALREADY_DECIDED', `warrant ${id} was already ${review.status}`);
    const entry = signedApproval(this.me, review.issued, decision, this.now, reason);
    this.#log.append(entry);
    this.#log.publish();
    this.cosign();
    review.status = decision === 'approve' ? 'approved' : 'denied';
    review.reason = reason ?? null;
    review.decidedBy = 'operator';
    review.decidedAt = this.now;
    return { status: review.status, entry };
  }

  #show(id: string) {
    const r = this.#reviews.get(id);
    if (!r) throw new HttpError(404, 'UNKNOWN_WARRANT', `no warrant ${id} here`);
    return {
      warrant: r.issued.warrant,
      commitment: r.issued.commitment,
      logIndex: r.logIndex,
      receivedAt: r.receivedAt,
      checks: { commitment: 'ok', courtSignature: 'ok', investigatorSignature: 'ok', dates: 'ok' },
      policy: r.policy,
      decision: { status: r.status, reason: r.reason, decidedBy: r.decidedBy, decidedAt: r.decidedAt },
      logged: {
        approvals: r.status === 'approved' ? [this.me.index] : [],
        denials: r.status === 'denied' ? [this.me.index] : [],
        revoked: false,
        expired: r.issued.warrant.expiresAt <= this.now,
      },
    };
  }

  #status() {
    return { sealed: this.#sealed, progress: this.#sealed ? this.#entered.size : 0, threshold: this.unsealThreshold, shares: this.unsealKeys.length };
  }

  app(): express.Express {
    const app = express();
    app.set('query parser', 'simple');
    app.use(express.json({ limit: '1mb', strict: true }));
    app.get('/health', (_req, res) => {
      res.json({ ok: true, sealed: this.#sealed, custodian: this.me.index });
    });
    app.get('/v1/seal', (_req, res) => {
      res.json(this.#status());
    });
    app.post('/v1/unseal', (req, res) => {
      const key: unknown = req.body?.key;
      if (typeof key !== 'string' || !/^[A-Za-z0-9+/=]{8,200}$/.test(key)) throw new HttpError(400, 'BAD_UNSEAL_KEY', 'that is not an unseal key');
      if (this.#sealed) {
        this.#entered.add(key);
        if (this.#entered.size >= this.unsealThreshold) {
          const ok = [...this.#entered].every((k) => this.unsealKeys.includes(k));
          this.#entered.clear();
          if (!ok) throw new HttpError(400, 'UNSEAL_FAILED', 'the unseal keys do not open the store');
          this.#sealed = false;
        }
      }
      res.json(this.#status());
    });
    // The console is mounted before the sealed gate, like /health.
    app.use(consoleRouter());
    const gate: RequestHandler = (_req, _res, next) => next(this.#sealed ? new HttpError(503, 'sealed', 'the node is sealed') : undefined);
    app.use(gate);
    const auth: RequestHandler = (req, _res, next) =>
      next(req.get('authorization') === `Bearer ${this.token}` ? undefined : new HttpError(401, 'UNAUTHENTICATED', 'operator token required'));
    app.use('/v1/operator', auth);
    app.get('/v1/operator/queue', (_req, res) => {
      const warrants = [...this.#reviews.values()]
        .filter((r) => r.status === 'pending')
        .map((r) => ({
          warrantId: r.issued.warrant.id,
          agency: r.issued.warrant.agency,
          court: r.issued.warrant.court,
          caseNumber: r.issued.warrant.caseNumber,
          receivedAt: r.receivedAt,
          expiresAt: r.issued.warrant.expiresAt,
          policy: r.policy,
        }));
      res.json({ warrants });
    });
    app.get('/v1/operator/warrants/:id', (req, res) => {
      res.json(this.#show(String(req.params.id)));
    });
    app.post('/v1/operator/warrants/:id/approve', (req, res) => {
      res.json(this.#decide(String(req.params.id), 'approve', undefined));
    });
    app.post('/v1/operator/warrants/:id/deny', (req, res) => {
      const reason: unknown = req.body?.reason;
      if (typeof reason !== 'string' || reason.length < 1 || reason.length > 1024) throw new HttpError(400, 'BAD_REQUEST', 'body: reason is required');
      res.json(this.#decide(String(req.params.id), 'deny', reason));
    });
    app.get('/v1/operator/names', (_req, res) => {
      const r = this.#log.registry;
      res.json({
        courts: Object.fromEntries(r.courts.map((c) => [c.id, c.name])),
        agencies: Object.fromEntries(r.agencies.map((a) => [a.id, a.name])),
        custodians: Object.fromEntries(r.epochs[0]!.custodians.map((c) => [String(c.index), c.name])),
      });
    });
    app.get('/v1/operator/releases', (_req, res) => {
      res.json({ releases: [...this.releases].sort((a, b) => b.time - a.time) });
    });
    app.get('/v1/operator/witness', (_req, res) => {
      const w = this.#witness;
      res.json({
        checkpoint: w?.note ?? null,
        origin: w ? ORIGIN : null,
        size: w?.size ?? 0,
        root: w?.root ?? null,
        cosignedAt: w?.cosignedAt ?? null,
        replicaSize: this.#log.size,
      });
    });
    app.use(errorHandler());
    return app;
  }

  serve(): Promise<Served> {
    return serve(this.app());
  }
}
