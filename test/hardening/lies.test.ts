/**
 * Split views and lies (issue 7 item 3), in-process against real custodian
 * nodes and the real auditor. A lying coordinator (an express server with two
 * views of the log it can switch between):
 * - equivocates (two checkpoints of one size with different roots): every
 *   witness refuses the second; the auditor, keeping state across runs, flags
 *   it even when a compromised quorum cosigned it; `watch` flags the split
 *   view against the honest witnesses' public checkpoints;
 * - withholds entries (claims entries it does not serve, or serves other
 *   bytes): witnesses refuse to cosign;
 * - asks for partials of a request no cosigned checkpoint holds, with calls
 *   correctly signed by the log key: REQUEST_NOT_LOGGED (and, once it is
 *   logged, anyone without the log key still gets 401).
 * And a custodian that returns bad partials is blamed, its misbehavior logged,
 * the request still completes, and the auditor accepts the evidence.
 * Each case runs several times with fresh keys, warrants and envelopes.
 */
import type { Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesToBase64, hexToBytes } from '@custodes/shared/crypto';
import { cosignCheckpoint, MemoryTree, signCheckpoint } from '@custodes/shared/log';
import { canonicalBytes, PARTIALS_CALL_HEADER } from '@custodes/shared/records';
import type { LogEntry } from '@custodes/shared/records';
import { closeServer, listen } from '@custodes/shared/service';
import { verifyLog, watchLog } from '@custodes/auditor';
import { createCustodian, initCustodian } from '@custodes/custodian';
import type { Custodian } from '@custodes/custodian';
import { approval, buildWorld, call, callHeader, coverSheet, decryptionRequest, inScope, keyFile, makeEnvelopes, makeWarrant, NOW, ORIGIN } from '../custodian/fixture';
import type { World } from '../custodian/fixture';
import { approvedWarrant, finished, logEntries, seal, startCluster, subjectLabel, submitRequest } from '../coordinator/helpers/cluster';

const ROUNDS = 3;
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'custodes-lies-'));
  dirs.push(d);
  return d;
};

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// ## A coordinator that lies

interface View {
  tree: MemoryTree;
  leaves: Uint8Array[];
}

class Liar {
  readonly views = new Map<string, View>();
  /** The view the read API serves. */
  serving = 'a';
  /** Cosignature lines served under the checkpoint, by view. */
  readonly cosignatures = new Map<string, string[]>();
  /** Entries at or beyond this index answer 404 (a checkpoint claiming entries the API does not serve). */
  withholdFrom = Infinity;
  /** Serves other bytes for some entries. */
  tamper: ((index: number, leaf: Uint8Array) => Uint8Array) | undefined;
  url = '';
  #server: Server | null = null;

  constructor(readonly world: World) {}

  view(name: string): View {
    let v = this.views.get(name);
    if (!v) this.views.set(name, (v = { tree: new MemoryTree(), leaves: [] }));
    return v;
  }

  append(name: string, entry: LogEntry | object): void {
    const bytes = canonicalBytes(entry);
    const v = this.view(name);
    v.leaves.push(bytes);
    v.tree.append(bytes);
  }

  /** A view's first `size` leaves copied into a new view (a fork point). */
  fork(from: string, to: string, size: number): void {
    const v = this.view(to);
    for (const leaf of this.view(from).leaves.slice(0, size)) {
      v.leaves.push(leaf);
      v.tree.append(leaf);
    }
  }

  note(name: string, size = this.view(name).tree.size): string {
    return signCheckpoint({ origin: ORIGIN, size, root: this.view(name).tree.root(size) }, hexToBytes(this.world.logKey.noteSecretKey, 32));
  }

  addCheckpointBody(name: string, oldSize: number, size = this.view(name).tree.size): string {
    const proof = oldSize > 0 && oldSize < size ? this.view(name).tree.consistencyProof(oldSize, size) : [];
    return `old ${oldSize}\n${proof.map((p) => `${bytesToBase64(p)}\n`).join('')}\n${this.note(name, size)}`;
  }

  async start(): Promise<void> {
    const app = express();
    app.use(express.json({ limit: '10mb' }));
    app.get('/log/v1/entries', (req, res) => {
      const v = this.view(this.serving);
      const start = Number(req.query.start);
      const end = Math.min(Number(req.query.end), start + 1000, v.tree.size);
      if (!(start >= 0) || !(end > start) || start >= this.withholdFrom) return void res.status(404).json({ error: { code: 'NOT_FOUND', message: 'beyond the tree' } });
      const stop = Math.min(end, this.withholdFrom);
      res.json({ start, entries: v.leaves.slice(start, stop).map((l, k) => bytesToBase64(this.tamper?.(start + k, l) ?? l)) });
    });
    app.get('/log/v1/checkpoint', (_req, res) => {
      res.type('text/plain').send(this.note(this.serving) + (this.cosignatures.get(this.serving) ?? []).join(''));
    });
    app.get('/log/v1/proof/consistency', (req, res) => {
      const v = this.view(this.serving);
      const from = Number(req.query.from);
      const to = Number(req.query.to);
      if (!(from >= 1 && from <= to && to <= v.tree.size)) return void res.status(400).json({ error: { code: 'BAD_PARAMETER', message: 'bad range' } });
      res.json({ from, to, proof: from === to ? [] : v.tree.consistencyProof(from, to).map(bytesToBase64) });
    });
    app.get('/v1/registry', (_req, res) => void res.json({ entry: this.world.registry, index: 0 }));
    app.post('/v1/records', (_req, res) => void res.json({ index: -1 }));
    const bound = await listen(app, 0, '127.0.0.1');
    this.#server = bound.server;
    this.url = `http://127.0.0.1:${bound.port}`;
  }

  async close(): Promise<void> {
    if (this.#server) await closeServer(this.#server);
  }
}

/** Three real custodian nodes (1..3 of the world's five: t = 3) replicating from the liar. */
async function startNodes(world: World, liar: Liar): Promise<{ nodes: { index: number; url: string; token: string; service: Custodian }[]; close(): Promise<void> }> {
  const nodes: { index: number; url: string; token: string; service: Custodian }[] = [];
  for (const index of [1, 2, 3]) {
    const dataDir = tempDir();
    const init = await initCustodian({ dataDir, shareFile: world.shares[index - 1], keyFile: keyFile(world.custodians[index - 1]!), dev: true });
    const service = createCustodian({ dataDir, coordinatorUrl: liar.url, clock: () => NOW * 1000, logLevel: 'silent' });
    await service.start();
    nodes.push({ index, url: service.url, token: init.operatorToken, service });
  }
  return { nodes, close: () => Promise.all(nodes.map((n) => n.service.close())).then(() => undefined) };
}

const witnessSize = async (node: { url: string; token: string }) => (await call(`${node.url}/v1/operator/witness`, { token: node.token })).json.size as number;

async function setting() {
  const world = buildWorld();
  const liar = new Liar(world);
  await liar.start();
  const { nodes, close } = await startNodes(world, liar);
  return {
    world,
    liar,
    nodes,
    async close() {
      await close();
      await liar.close();
    },
  };
}

describe('a coordinator that equivocates', { timeout: 120_000 }, () => {
  it('is refused by every witness, flagged by the auditor across runs, and by watch against the witnesses', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { world, liar, nodes, close } = await setting();
      try {
        // View a: genesis and a warrant; every witness cosigns it.
        const w1 = makeWarrant(world);
        liar.append('a', world.registry);
        liar.append('a', coverSheet(w1.warrant, w1.commitment));
        const lines: string[] = [];
        for (const n of nodes) {
          const r = await call(`${n.url}/witness/v1/add-checkpoint`, { text: liar.addCheckpointBody('a', 0) });
          expect(r.status, r.text).toBe(200);
          lines.push(r.text.endsWith('\n') ? r.text : `${r.text}\n`);
        }
        liar.cosignatures.set('a', lines);
        const stateDir = tempDir();
        const first = await verifyLog({ logUrl: liar.url, stateDir, now: NOW });
        expect(first.findings).toEqual([]);
        expect(first.checkpoint?.accepted).toBe(true);

        // View b: the same size with another warrant in place of the first (another root).
        const w2 = makeWarrant(world, { caseNumber: `OTHER-${round}` });
        liar.fork('a', 'b', 1);
        liar.append('b', coverSheet(w2.warrant, w2.commitment));
        expect(liar.view('b').tree.size).toBe(2);
        liar.serving = 'b';
        for (const n of nodes) {
          const same = await call(`${n.url}/witness/v1/add-checkpoint`, { text: liar.addCheckpointBody('b', 2) });
          expect(same.status, same.text).toBe(409);
          const fromZero = await call(`${n.url}/witness/v1/add-checkpoint`, { text: liar.addCheckpointBody('b', 0) });
          expect(fromZero.status, fromZero.text).toBe(409);
        }
        // b grows: its consistency proof from size 2 cannot verify from a's root.
        liar.append('b', approval(world, 1, w2.warrant.id, w2.commitment));
        for (const n of nodes) {
          const grown = await call(`${n.url}/witness/v1/add-checkpoint`, { text: liar.addCheckpointBody('b', 2) });
          expect(grown.status, grown.text).toBe(422);
          expect(await witnessSize(n)).toBe(2);
          const own = await call(`${n.url}/witness/v1/checkpoint`);
          expect(own.text.split('\n')[2]).toBe(liar.note('a', 2).split('\n')[2]);
        }

        // The auditor that saw a: b at the same size is equivocation even when a compromised quorum cosigned it.
        liar.view('b').leaves.pop();
        const forkB = new MemoryTree();
        for (const l of liar.view('b').leaves) forkB.append(l);
        liar.views.set('b', { tree: forkB, leaves: liar.view('b').leaves });
        const forged = [1, 2, 3].map((i) => cosignCheckpoint({ origin: ORIGIN, size: 2, root: forkB.root(2) }, { name: world.names[i - 1]!, secretKey: hexToBytes(world.custodians[i - 1]!.noteSecretKey, 32), timestamp: NOW }));
        liar.cosignatures.set('b', forged.map((l) => (l.endsWith('\n') ? l : `${l}\n`)));
        const second = await verifyLog({ logUrl: liar.url, stateDir, now: NOW });
        expect(second.findings.map((f) => f.code)).toContain('LOG_EQUIVOCATION');
        expect(second.checkpoint?.accepted).toBe(false);
        // Without the forged cosignatures it is refused too.
        liar.cosignatures.delete('b');
        const third = await verifyLog({ logUrl: liar.url, stateDir, now: NOW });
        expect(third.checkpoint?.accepted).toBe(false);
        expect(third.findings.length).toBeGreaterThan(0);

        // A fresh auditor that never saw a: watch compares b with the honest witnesses' public checkpoints.
        liar.cosignatures.set('b', forged.map((l) => (l.endsWith('\n') ? l : `${l}\n`)));
        const [w] = await watchLog({ logUrl: liar.url, custodianUrls: nodes.map((n) => n.url), once: true, now: () => NOW });
        expect(w!.findings.map((f) => f.code)).toContain('SPLIT_VIEW');
      } finally {
        await close();
      }
    }
  });
});

describe('a coordinator that withholds entries', { timeout: 120_000 }, () => {
  it('gets no cosignature: entries it claims but does not serve, or serves with other bytes', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { world, liar, nodes, close } = await setting();
      try {
        const w = makeWarrant(world);
        liar.append('a', world.registry);
        liar.append('a', coverSheet(w.warrant, w.commitment));
        for (const n of nodes) expect((await call(`${n.url}/witness/v1/add-checkpoint`, { text: liar.addCheckpointBody('a', 0) })).status).toBe(200);
        const extra = 1 + Math.floor(Math.random() * 3);
        for (let k = 1; k <= extra; k++) liar.append('a', approval(world, k, w.warrant.id, w.commitment));
        const hidden = 2 + Math.floor(Math.random() * extra);
        // Withheld: the checkpoint covers entries the read API will not serve.
        liar.withholdFrom = hidden;
        for (const n of nodes) {
          const r = await call(`${n.url}/witness/v1/add-checkpoint`, { text: liar.addCheckpointBody('a', 2) });
          expect(r.status, r.text).not.toBe(200);
          expect(await witnessSize(n)).toBe(2);
        }
        // Other bytes for one entry than the checkpoint commits to.
        liar.withholdFrom = Infinity;
        liar.tamper = (index, leaf) => (index === hidden ? canonicalBytes({ ...JSON.parse(Buffer.from(leaf).toString('utf8')), reason: 'rewritten' }) : leaf);
        for (const n of nodes) {
          const r = await call(`${n.url}/witness/v1/add-checkpoint`, { text: liar.addCheckpointBody('a', 2) });
          expect(r.status, r.text).toBe(422);
          expect(r.json.error.code).toBe('ENTRIES_MISMATCH');
          expect(await witnessSize(n)).toBe(2);
        }
        // Honest again: the same checkpoint is cosigned (the refusals were the lies, not the checkpoint).
        liar.tamper = undefined;
        for (const n of nodes) {
          expect((await call(`${n.url}/witness/v1/add-checkpoint`, { text: liar.addCheckpointBody('a', 2) })).status).toBe(200);
          expect(await witnessSize(n)).toBe(2 + extra);
        }
      } finally {
        await close();
      }
    }
  });
});

describe('a coordinator that asks for partials of an unlogged request', { timeout: 120_000 }, () => {
  it('gets 409 REQUEST_NOT_LOGGED from every custodian until a checkpoint it cosigned holds the request', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { world, liar, nodes, close } = await setting();
      try {
        const w = makeWarrant(world);
        liar.append('a', world.registry);
        liar.append('a', coverSheet(w.warrant, w.commitment));
        for (const i of [1, 2, 3]) liar.append('a', approval(world, i, w.warrant.id, w.commitment));
        for (const n of nodes) {
          expect((await call(`${n.url}/witness/v1/add-checkpoint`, { text: liar.addCheckpointBody('a', 0) })).status).toBe(200);
          expect((await call(`${n.url}/v1/warrants`, { json: { warrant: w.warrant, salt: w.salt } })).status).toBe(202);
        }
        const { envelopes } = makeEnvelopes(world, Array.from({ length: 1 + Math.floor(Math.random() * 3) }, (_, k) => inScope(k)));
        const request = decryptionRequest(world, w.warrant.id, envelopes);
        // The liar holds the real log key, so its calls are correctly signed (docs/PROTOCOL.md §7.12, Call
        // authorisation): the refusal must come from the replica, not from the call check.
        const ask = (n: { index: number; url: string }) =>
          call(`${n.url}/v1/partials`, {
            json: { requestId: request.requestId, envelopes },
            headers: { [PARTIALS_CALL_HEADER]: callHeader(world, n.index, request.requestId, envelopes) },
          });
        // Never logged.
        for (const n of nodes) {
          const r = await ask(n);
          expect(r.status, r.text).toBe(409);
          expect(r.json.error.code).toBe('REQUEST_NOT_LOGGED');
        }
        // Logged only in a fork the witnesses refused.
        liar.fork('a', 'b', 4);
        liar.append('b', { ...approval(world, 1, w.warrant.id, w.commitment), reason: 'fork' });
        liar.append('b', request);
        liar.serving = 'b';
        for (const n of nodes) {
          expect((await call(`${n.url}/witness/v1/add-checkpoint`, { text: liar.addCheckpointBody('b', 5) })).status).not.toBe(200);
          const r = await ask(n);
          expect(r.json.error.code).toBe('REQUEST_NOT_LOGGED');
        }
        // Appended to the real view but not yet in a cosigned checkpoint.
        liar.serving = 'a';
        liar.append('a', request);
        for (const n of nodes) expect((await ask(n)).json.error.code).toBe('REQUEST_NOT_LOGGED');
        // Cosigned: now it is served (the control).
        for (const n of nodes) {
          expect((await call(`${n.url}/witness/v1/add-checkpoint`, { text: liar.addCheckpointBody('a', 5) })).status).toBe(200);
          // Logged and approved, but whoever holds the envelopes without the log key gets nothing.
          const stranger = await call(`${n.url}/v1/partials`, {
            json: { requestId: request.requestId, envelopes },
            headers: { [PARTIALS_CALL_HEADER]: callHeader(world, n.index, request.requestId, envelopes, {}, world.agency.investigator.secretKey) },
          });
          expect(stranger.status, stranger.text).toBe(401);
          expect((await call(`${n.url}/v1/partials`, { json: { requestId: request.requestId, envelopes } })).json.error.code).toBe('UNAUTHENTICATED');
          const r = await ask(n);
          expect(r.status, r.text).toBe(200);
          expect(r.json.partials).toHaveLength(envelopes.length);
        }
      } finally {
        await close();
      }
    }
  });
});

describe('a custodian that returns bad partials', { timeout: 150_000 }, () => {
  it('is blamed, its misbehavior logged, the request completes, and the auditor accepts the evidence', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      // The coordinator combines the lowest indices first, so a bad partial from 1, 2 or 3 is always caught.
      const bad = 1 + Math.floor(Math.random() * 3);
      const cluster = await startCluster({ behaviours: { [bad]: 'bad-partial' } });
      try {
        const { warrant } = await approvedWarrant(cluster, 'a');
        const count = 1 + Math.floor(Math.random() * 3);
        const texts = Array.from({ length: count }, (_, k) => `secret ${round}.${k} ${Math.random()}`);
        const envelopes = texts.map((t) => seal(cluster, t, subjectLabel('alice@example.com')));
        const requestId = await submitRequest(cluster, 'a', warrant.id, envelopes);
        const final = await finished(cluster, 'a', requestId);
        expect(final.state).toBe('complete');
        expect(final.done).toBe(count);
        const entries = await logEntries(cluster);
        expect(entries.filter((e) => e.type === 'misbehavior').map((e) => e.custodian)).toEqual([bad]);
        const complete = entries.find((e) => e.type === 'decryption-complete' && e.requestId === requestId)!;
        expect(complete.blamed).toEqual([bad]);
        expect(complete.decrypted).toBe(count);
        const r = await verifyLog({ logUrl: cluster.url });
        expect(r.findings).toEqual([]);
        expect(r.checkpoint?.accepted).toBe(true);
        expect(r.audit.misbehaviors.length).toBe(1);
      } finally {
        await cluster.close();
      }
    }
  });
});
