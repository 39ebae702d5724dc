/**
 * A test stand-in for a custodian node: the parts of docs/SERVICES.md the
 * coordinator calls, with no policy and no sealed store. It replicates the
 * log through the coordinator's read API when it cosigns (so it can answer
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
  share: string; // hex32
  /** 'bad-partial': every partial uses a wrong share (valid form, failing DLEQ); 'refuse': 403 NOT_APPROVED_BY_ME. */
  behaviour?: 'honest' | 'bad-partial' | 'refuse';
  /** What the stand-in decides on each delivered warrant (default approve). */
  decision?: 'approve' | 'deny' | 'none';
  /** Post each release to the coordinator itself, as real nodes do. */
  postReleases?: boolean;
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
  /** The `Custodes-Call` header of every `POST /v1/partials` (undefined when absent), with the body's request id. */
  readonly calls: { requestId: string; header: string | undefined }[] = [];
  /** While set, `POST /v1/partials` waits for it (to stop the coordinator mid-request). */
  hold: Promise<void> | null = null;
  /** While set, add-checkpoint waits for it (to keep a cosigning exchange in flight). */
  witnessHold: Promise<void> | null = null;
  /** add-checkpoint calls received so far. */
  witnessCalls = 0;

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
      this.witnessCalls++;
      if (this.witnessHold) await this.witnessHold;
      const body = parseAddCheckpointRequest(String(req.body));
      const answer = (status: number) => this.witnessAnswers.set(status, (this.witnessAnswers.get(status) ?? 0) + 1);
      if (body.oldSize !== this.size) {
        answer(409);
        res.status(409).type('text/x.tlog.size').send(`${this.size}\n`);
        return;
      }
      const checkpoint = parseCheckpoint(parseSignedNote(body.note).text);
      const oldRoot = this.roots.get(body.oldSize);
      if (body.oldSize > 0 && (!oldRoot || !verifyConsistency(body.oldSize, checkpoint.size, body.proof, oldRoot, checkpoint.root))) {
        answer(422);
        res.status(422).type('text/plain').send('bad consistency proof\n');
        return;
      }
      answer(200);
      await this.#replicate(checkpoint.size);
      this.size = checkpoint.size;
      this.roots.set(checkpoint.size, checkpoint.root);
      const line = cosignCheckpoint(checkpoint, {
        name: this.opts.name,
        secretKey: hexToBytes(this.opts.signingKey, 32),
        timestamp: Math.floor(Date.now() / 1000),
      });
      res.type('text/plain').send(line);
    });
    app.post('/v1/warrants', (req, res) => {
      const { warrant, salt } = req.body as { warrant: SignedWarrant; salt: string };
      if (!this.logged.warrants.has(warrant.id)) {
        res.status(409).json({ error: { code: 'WARRANT_NOT_LOGGED', message: 'not in my replica yet' } });
        return;
      }
      const known = this.warrants.has(warrant.id);
      this.warrants.set(warrant.id, { warrant, salt });
      res.status(202).json({ status: 'queued' });
      if (!known) void this.#approve(warrant, salt);
    });
    app.post('/v1/partials', async (req, res) => {
      this.partialCalls++;
      if (this.hold) await this.hold;
      const { requestId, envelopes } = req.body as { requestId: string; envelopes: unknown[] };
      this.calls.push({ requestId, header: req.get(PARTIALS_CALL_HEADER) });
      if (this.opts.behaviour === 'refuse') {
        res.status(403).json({ error: { code: 'NOT_APPROVED_BY_ME', message: 'refused' } });
        return;
      }
      if (!this.logged.requests.has(requestId)) {
        res.status(409).json({ error: { code: 'REQUEST_NOT_LOGGED', message: 'not in a checkpoint I cosigned' } });
        return;
      }
      const cached = this.served.get(requestId);
      if (cached) {
        res.json(cached);
        return;
      }
      const share = scalarFromBytes(hexToBytes(this.opts.share, 32));
      const used = this.opts.behaviour === 'bad-partial' ? share + 1n : share;
      const partials: PartialRecord[] = envelopes.map((e) => createPartial(used, this.opts.index, parseEnvelope(e)));
      const unsigned = { type: 'release' as const, requestId, custodian: this.opts.index, count: partials.length, partialsRoot: partialsRoot(partials) };
      const release: ReleaseEntry = { ...unsigned, signature: signRecord(unsigned, 'release', this.opts.signingKey) };
      const answer = { requestId, custodian: this.opts.index, partials, release };
      this.served.set(requestId, answer);
      res.json(answer);
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

  async #replicate(size: number): Promise<void> {
    for (let start = this.size; start < size; ) {
      const page = await requestJson<{ start: number; entries: string[] }>(
        `${this.coordinatorUrl}/log/v1/entries?start=${start}&end=${Math.min(size, start + 1000)}`,
      );
      for (const b64 of page.entries) {
        const entry = JSON.parse(new TextDecoder().decode(base64ToBytes(b64))) as { type: string; warrantId?: string; requestId?: string };
        if (entry.type === 'warrant' && entry.warrantId) this.logged.warrants.add(entry.warrantId);
        if (entry.type === 'decryption-request' && entry.requestId) this.logged.requests.add(entry.requestId);
      }
      if (page.entries.length === 0) throw new Error('empty page');
      start += page.entries.length;
    }
  }

  async #approve(warrant: SignedWarrant, salt: string): Promise<void> {
    const decision = this.opts.decision ?? 'approve';
    if (decision === 'none') return;
    const unsigned = {
      type: 'approval' as const,
      warrantId: warrant.id,
      commitment: warrantCommitment(warrant, salt),
      custodian: this.opts.index,
      decision,
      time: Math.floor(Date.now() / 1000),
    };
    const entry: ApprovalEntry = { ...unsigned, signature: signRecord(unsigned, 'approval', this.opts.signingKey) };
    await requestJson(`${this.coordinatorUrl}/v1/records`, { body: { entry }, retries: 3 }).catch(() => undefined);
  }
}

export { bytesToHex };
