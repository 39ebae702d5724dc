/**
 * A minimal in-test log server speaking the public read API of docs/PROTOCOL.md §4.4
 * (checkpoint note with the log signature and custodians' cosignatures,
 * entries by range, consistency proofs, the registry), plus each custodian's
 * public `GET /witness/v1/checkpoint` under `/custodian/<i>`. Built on
 * shared/src/log; tests decide what it serves, including lies.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bytesToBase64 } from '@custodes/shared/crypto';
import { cosignCheckpoint, MemoryTree, signCheckpoint, type Checkpoint } from '@custodes/shared/log';
import { custodianName, ORIGIN, T0, type Keys } from './scenario';

export interface Published {
  readonly tree: MemoryTree;
  readonly leaves: readonly Uint8Array[];
  readonly note: string;
  readonly checkpoint: Checkpoint;
}

/** The signed note of a tree: the log's signature, then cosignatures by `cosigners` (custodian indices). */
export function signedNote(keys: Keys, checkpoint: Checkpoint, cosigners: readonly number[], timestamp = T0): string {
  const note = signCheckpoint(checkpoint, keys.log.noteSecret);
  const lines = cosigners.map((i) => cosignCheckpoint(checkpoint, { name: custodianName(i), secretKey: keys.custodians[i - 1]!.noteSecret, timestamp }));
  return note + lines.join('');
}

export class TestLogServer {
  readonly keys: Keys;
  #server: Server | undefined;
  #current: Published | undefined;
  /** Raw answers by path (status and body), served instead of the log's: junk for robustness tests. */
  /** Largest page of entries answered (the API allows 1000; smaller pages must be followed up). */
  maxPage = 1000;
  readonly overrides = new Map<string, { status: number; body: string }>();
  /** What each custodian's witness endpoint serves (custodian index → note). */
  readonly witness = new Map<number, string>();
  url = '';

  constructor(keys: Keys) {
    this.keys = keys;
  }

  /** Serves `leaves` under a checkpoint cosigned by `cosigners` (default: custodians 1..5). */
  publish(leaves: readonly Uint8Array[], cosigners: readonly number[] = [1, 2, 3, 4, 5]): Published {
    const tree = new MemoryTree();
    for (const leaf of leaves) tree.append(leaf);
    const checkpoint: Checkpoint = { origin: ORIGIN, size: tree.size, root: tree.root() };
    const note = signedNote(this.keys, checkpoint, cosigners);
    this.#current = { tree, leaves: [...leaves], note, checkpoint };
    return this.#current;
  }

  /** Serves `note` as the checkpoint instead of the published one (entries and proofs unchanged). */
  serveNote(note: string): void {
    this.#current = { ...this.current, note };
  }

  get current(): Published {
    if (!this.#current) throw new Error('nothing published');
    return this.#current;
  }

  custodianUrl(i: number): string {
    return `${this.url}/custodian/${i}`;
  }

  async start(): Promise<this> {
    this.#server = createServer((req, res) => this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const text = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(body);
    };
    const error = (status: number, code: string) => json(status, { error: { code, message: code } });
    const int = (name: string): number | undefined => {
      const v = url.searchParams.get(name);
      return v !== null && /^(0|[1-9][0-9]*)$/.test(v) ? Number(v) : undefined;
    };
    const override = this.overrides.get(url.pathname);
    if (override) {
      res.writeHead(override.status, { 'content-type': 'application/json' });
      res.end(override.body);
      return;
    }
    const witness = /^\/custodian\/([0-9]+)\/witness\/v1\/checkpoint$/.exec(url.pathname);
    if (witness) {
      const note = this.witness.get(Number(witness[1]));
      return note === undefined ? error(404, 'NO_CHECKPOINT') : text(200, note);
    }
    const log = this.#current;
    if (!log) return error(404, 'EMPTY');
    switch (url.pathname) {
      case '/log/v1/checkpoint':
        return text(200, log.note);
      case '/log/v1/entries': {
        const start = int('start');
        const end = int('end');
        if (start === undefined || end === undefined || end <= start || end - start > 1000) return error(400, 'BAD_RANGE');
        if (end > log.leaves.length) return error(404, 'BEYOND_TREE');
        const stop = Math.min(end, start + this.maxPage);
        return json(200, { start, entries: log.leaves.slice(start, stop).map((l) => bytesToBase64(l)) });
      }
      case '/log/v1/proof/consistency': {
        const from = int('from');
        const to = int('to');
        if (from === undefined || to === undefined || from > to) return error(400, 'BAD_RANGE');
        if (to > log.tree.size) return error(404, 'BEYOND_TREE');
        return json(200, { from, to, proof: log.tree.consistencyProof(from, to).map((h) => bytesToBase64(h)) });
      }
      default:
        return error(404, 'NOT_FOUND');
    }
  }
}
