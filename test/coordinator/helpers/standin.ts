/**
 * A test stand-in for a custodian node: the parts of docs/PROTOCOL.md §7.9 the
 * coordinator calls, with no policy and no sealed store. It replicates the
 * log through the coordinator's read API when it cosigns, or from a checkpoint
 * bundle's entries (so it can answer
 * WARRANT_NOT_LOGGED / REQUEST_NOT_LOGGED like a real node), auto-approves
 * delivered warrants, and can be told to return bad partials.
 */
import type { Server } from 'node:http';
import express from 'express';
import {
  base64ToBytes,
  bytesToHex,
  createPartial,
  hexToBytes,
  parseEnvelope,
  scalarFromBytes,
} from '@custodes/shared/crypto';
import { cosignCheckpoint, parseAddCheckpointRequest, parseCheckpoint, parseSignedNote, verifyConsistency } from '@custodes/shared/log';
import { PARTIALS_CALL_HEADER, partialsRoot, signRecord, warrantCommitment } from '@custodes/shared/records';
import type { ApprovalEntry, PartialRecord, ReleaseEntry, SignedWarrant } from '@custodes/shared/records';
import { closeServer, listen, requestJson } from '@custodes/shared/service';

export interface StandInOptions {
  index: number;
  name: string;
  signingKey: string; // hex32 secret
  witnessKey: string; // hex32 Ed25519 secret (docs/PROTOCOL.md §4.3)
  share: string; // hex32
  /** Shares by epoch (hex32), for a multi-epoch registry; `share` is then unused. An envelope of an epoch not here is refused as a real node's rule (h) does (409 UNKNOWN_EPOCH). */
  shares?: ReadonlyMap<number, string>;
  /** 'bad-partial': every partial uses a wrong share (valid form, failing DLEQ); 'refuse': 403 NOT_APPROVED_BY_ME; 'unavailable': 503 to every partials call. */
  behaviour?: 'honest' | 'bad-partial' | 'refuse' | 'unavailable';
  /** What the stand-in decides on each delivered warrant (default approve). */
  decision?: 'approve' | 'deny' | 'none';
  /** Post each release to the coordinator itself, as real nodes do. */
  postReleases?: boolean;
  /** Answer the signed decision in the delivery's 202 instead of posting it (as a real node under an auto-approval policy, whose outbox would post it later). */
  answerDecision?: boolean;
  /** Refuse the checkpoint a delivery carries (422 BAD_PROOF), whatever it is. */
  refuseCarriedCheckpoint?: boolean;
}

export class StandInCustodian {
  readonly opts: StandInOptions;
  coordinatorUrl = '';
  #server: Server | null = null;
  #port = 0;
  size = 0;
  /** Roots of the checkpoints this witness cosigned, by size: it checks every consistency proof. */
  readonly roots = new Map<number, Uint8Array>();
  /** add-checkpoint answers, by status (e.g. how many 409s it gave). */
  readonly witnessAnswers = new Map<number, number>();
  readonly logged = { warrants: new Set<string>(), requests: new Set<string>() };
  readonly warrants = new Map<string, { warrant: SignedWarrant; salt: string }>();
  readonly served = new Map<string, unknown>();
  partialCalls = 0;
  /** The `Custodes-Call` header of every `POST /v1/partials` (undefined when absent), with the body's request id and whether it carried a checkpoint. */
  readonly calls: { requestId: string; header: string | undefined; checkpoint: boolean }[] = [];
  /** While set, `POST /v1/partials` waits for it (to stop the coordinator mid-request). */
  hold: Promise<void> | null = null;
  /** While set, add-checkpoint waits for it (to keep a cosigning exchange in flight). */
  witnessHold: Promise<void> | null = null;
  /** add-checkpoint calls received so far. */
  witnessCalls = 0;
  /** Each `POST /v1/warrants`: whether it carried a checkpoint, and the status answered. */
  readonly deliveries: { checkpoint: boolean; status: number }[] = [];
  /** Pages fetched from the coordinator's `GET /log/v1/entries`. */
  entriesFetched = 0;

  constructor(opts: StandInOptions) {
    this.opts = opts;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  async start(port = 0): Promise<void> {
    const app = express();
    app.use(express.json({ limit: '16mb' }));
    app.use(express.text({ type: 'text/plain' }));
    app.get('/health', (_req, res) => {
      res.json({ ok: true, sealed: false, custodian: this.opts.index });
    });
    app.post('/witness/v1/add-checkpoint', async (req, res) => {
      const a = await this.#witness(String(req.body));
      if (a.status === 200) res.type('text/plain').send(a.line);
      else if (a.status === 409) res.status(409).type('text/x.tlog.size').send(`${this.size}\n`);
      else res.status(a.status).type('text/plain').send(`${a.message}\n`);
    });
    app.post('/witness/v1/add-checkpoint-bundle', async (req, res) => {
      const { addCheckpoint, entries } = req.body as { addCheckpoint: string; entries?: string[] };
      const a = await this.#witness(addCheckpoint, entries);
      if (a.status === 200) res.json({ cosignature: a.line });
      else res.status(a.status).json(a.error);
    });
    app.post('/v1/warrants', async (req, res) => {
      const { warrant, salt, checkpoint } = req.body as { warrant: SignedWarrant; salt: string; checkpoint?: { addCheckpoint: string; entries?: string[] } };
      const delivery = { checkpoint: checkpoint !== undefined, status: 202 };
      this.deliveries.push(delivery);
      const a = checkpoint && (await this.#carried(checkpoint));
      if (a && a.status !== 200) {
        delivery.status = a.status;
        res.status(a.status).json(a.error);
        return;
      }
      if (!this.logged.warrants.has(warrant.id)) {
        delivery.status = 409;
        res.status(409).json({ error: { code: 'WARRANT_NOT_LOGGED', message: 'not in my replica yet' } });
        return;
      }
      const known = this.warrants.has(warrant.id);
      this.warrants.set(warrant.id, { warrant, salt });
      const decision = this.#decision(warrant, salt);
      const answered = this.opts.answerDecision && decision ? { status: decision.decision === 'approve' ? 'approved' : 'denied', approval: decision } : { status: 'pending' };
      res.status(202).json({ warrantId: warrant.id, ...answered, ...(a ? { cosignature: a.line } : {}) });
      if (!known && decision && !this.opts.answerDecision) {
        await requestJson(`${this.coordinatorUrl}/v1/records`, { body: { entry: decision }, retries: 3 }).catch(() => undefined);
      }
    });
    app.post('/v1/partials', async (req, res) => {
      this.partialCalls++;
      if (this.hold) await this.hold;
      const { requestId, envelopes, checkpoint } = req.body as { requestId: string; envelopes: unknown[]; checkpoint?: { addCheckpoint: string; entries?: string[] } };
      this.calls.push({ requestId, header: req.get(PARTIALS_CALL_HEADER), checkpoint: checkpoint !== undefined });
      if (this.opts.behaviour === 'unavailable') {
        res.status(503).json({ error: { code: 'sealed', message: 'unavailable (stand-in)' } });
        return;
      }
      if (this.opts.behaviour === 'refuse') {
        res.status(403).json({ error: { code: 'NOT_APPROVED_BY_ME', message: 'refused' } });
        return;
      }
      // A carried checkpoint is witnessed first, as a real node does (docs/PROTOCOL.md §4.6).
      if (!checkpoint) await this.witnessIdle();
      const witnessed = checkpoint && (await this.#carried(checkpoint));
      if (witnessed && witnessed.status !== 200) {
        res.status(witnessed.status).json(witnessed.error);
        return;
      }
      const cosigned = witnessed ? { cosignature: witnessed.line } : {};
      if (!this.logged.requests.has(requestId)) {
        res.status(409).json({ error: { code: 'REQUEST_NOT_LOGGED', message: 'not in a checkpoint I cosigned' } });
        return;
      }
      const cached = this.served.get(requestId);
      if (cached) {
        res.json({ ...(cached as object), ...cosigned });
        return;
      }
      const parsed = envelopes.map((e) => parseEnvelope(e));
      const shareOf = (epoch: number) => (this.opts.shares ? this.opts.shares.get(epoch) : this.opts.share);
      const missing = parsed.find((e) => shareOf(e.epoch) === undefined);
      if (missing) {
        res.status(409).json({ error: { code: 'UNKNOWN_EPOCH', message: `no share of epoch ${missing.epoch} (stand-in)` } });
        return;
      }
      const partials: PartialRecord[] = parsed.map((e) => {
        const share = scalarFromBytes(hexToBytes(shareOf(e.epoch)!, 32));
        return createPartial(this.opts.behaviour === 'bad-partial' ? share + 1n : share, this.opts.index, e);
      });
      const unsigned = { type: 'release' as const, requestId, custodian: this.opts.index, count: partials.length, partialsRoot: partialsRoot(partials) };
      const release: ReleaseEntry = { ...unsigned, signature: signRecord(unsigned, 'release', this.opts.signingKey) };
      const answer = { requestId, custodian: this.opts.index, partials, release };
      this.served.set(requestId, answer);
      res.json({ ...answer, ...cosigned });
      if (this.opts.postReleases) await requestJson(`${this.coordinatorUrl}/v1/records`, { body: { entry: release } }).catch(() => undefined);
    });
    const { server, port: bound } = await listen(app as never, port, '127.0.0.1');
    this.#server = server;
    this.#port = bound;
  }

  async close(): Promise<void> {
    if (this.#server) await closeServer(this.#server);
    this.#server = null;
  }

  /** add-checkpoint (C2SP) with the entries it adds if given, else fetched: the answer's status and cosignature line or error. */
  /** A checkpoint carried by a delivery or a partials call: witnessed, or refused (422 BAD_PROOF) with `refuseCarriedCheckpoint`. */
  #carried(checkpoint: { addCheckpoint: string; entries?: string[] }): Promise<{ status: number; line?: string; message?: string; error?: unknown }> {
    if (this.opts.refuseCarriedCheckpoint) return Promise.resolve({ status: 422, error: { error: { code: 'BAD_PROOF', message: 'refused (stand-in)' } } });
    return this.#witness(checkpoint.addCheckpoint, checkpoint.entries);
  }

  /** add-checkpoints are applied one at a time, in arrival order, as a real node's witness does. */
  #queue: Promise<unknown> = Promise.resolve();

  #witness(text: string, given?: string[]): Promise<{ status: number; line?: string; message?: string; error?: unknown }> {
    this.witnessCalls++;
    const run = this.#queue.then(() => this.#witnessNow(text, given));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Resolves when no add-checkpoint is running (a partials call without a checkpoint waits for it, as on a real node). */
  async witnessIdle(): Promise<void> {
    await this.#queue;
  }

  async #witnessNow(text: string, given?: string[]): Promise<{ status: number; line?: string; message?: string; error?: unknown }> {
    if (this.witnessHold) await this.witnessHold;
    const body = parseAddCheckpointRequest(text);
    const answer = (status: number, code = '', message = '') => {
      this.witnessAnswers.set(status, (this.witnessAnswers.get(status) ?? 0) + 1);
      return { status, message, error: { error: { code, message, ...(status === 409 ? { witnessSize: this.size } : {}) } } };
    };
    if (body.oldSize !== this.size) return answer(409, 'OLD_SIZE_MISMATCH', 'old size is not mine');
    const checkpoint = parseCheckpoint(parseSignedNote(body.note).text);
    const oldRoot = this.roots.get(body.oldSize);
    if (body.oldSize > 0 && (!oldRoot || !verifyConsistency(body.oldSize, checkpoint.size, body.proof, oldRoot, checkpoint.root))) {
      return answer(422, 'BAD_PROOF', 'bad consistency proof');
    }
    answer(200);
    await this.#replicate(checkpoint.size, given);
    this.size = checkpoint.size;
    this.roots.set(checkpoint.size, checkpoint.root);
    const line = cosignCheckpoint(checkpoint, {
      name: this.opts.name,
      secretKey: hexToBytes(this.opts.witnessKey, 32),
      timestamp: Math.floor(Date.now() / 1000),
    });
    return { status: 200, line };
  }

  async #replicate(size: number, given?: string[]): Promise<void> {
    for (let start = this.size; start < size; ) {
      if (!given) this.entriesFetched++;
      const page = given
        ? { entries: given }
        : await requestJson<{ start: number; entries: string[] }>(`${this.coordinatorUrl}/log/v1/entries?start=${start}&end=${Math.min(size, start + 1000)}`);
      for (const b64 of page.entries) {
        const entry = JSON.parse(new TextDecoder().decode(base64ToBytes(b64))) as { type: string; warrantId?: string; requestId?: string };
        if (entry.type === 'warrant' && entry.warrantId) this.logged.warrants.add(entry.warrantId);
        if (entry.type === 'decryption-request' && entry.requestId) this.logged.requests.add(entry.requestId);
      }
      if (page.entries.length === 0) throw new Error('empty page');
      start += page.entries.length;
    }
  }

  /** The signed decision on a delivered warrant (undefined for 'none'). */
  #decision(warrant: SignedWarrant, salt: string): ApprovalEntry | undefined {
    const decision = this.opts.decision ?? 'approve';
    if (decision === 'none') return undefined;
    const unsigned = {
      type: 'approval' as const,
      warrantId: warrant.id,
      commitment: warrantCommitment(warrant, salt),
      custodian: this.opts.index,
      decision,
      time: Math.floor(Date.now() / 1000),
    };
    return { ...unsigned, signature: signRecord(unsigned, 'approval', this.opts.signingKey) };
  }
}

export { bytesToHex };
