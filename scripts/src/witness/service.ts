/**
 * A standalone witness (docs/PROTOCOL.md §4.3, §7.10): a party that is not a
 * custodian — a civil-liberties group, a member of the public witness network —
 * cosigns the log's checkpoints under C2SP tlog-witness, and nothing else.
 *
 *   POST /add-checkpoint              C2SP tlog-witness (also at /witness/v1/add-checkpoint)
 *   GET  /witness/v1/checkpoint       the note it last cosigned (?origin= when it witnesses several logs)
 *   GET  /health
 *
 * Each step is the shared witness logic (shared/src/log/witness.ts): the body
 * and the log's Ed25519 signature (openAddCheckpoint: 400/404/403), then the
 * size and consistency proof against the last cosigned head
 * (checkCheckpointUpdate: 400/409/422) inside the transaction that stores the
 * new head, then a `cosignature/v1` line (cosignCheckpoint) and the note it
 * serves (witnessNote). Unlike a custodian it does not replicate entries: it
 * vouches for consistency, not for the entries' rules.
 */
import type { Server } from 'node:http';
import { join } from 'node:path';
import express from 'express';
import pino from 'pino';
import type { Logger } from 'pino';
import { bytesToHex, ed25519PublicKey, hexToBytes } from '@custodes/shared/crypto';
import { checkCheckpointUpdate, cosignCheckpoint, isValidKeyName, openAddCheckpoint, witnessNote, type NoteKey } from '@custodes/shared/log';
import { closeServer, errorHandler, HttpError, KiB, listen, makePrivateDir, notFound, tryLockDataDir } from '@custodes/shared/service';
import type { DataDirLock } from '@custodes/shared/service';
import { WitnessStore } from './store';

/** As the custodians' route: the C2SP parser accepts at most 80 KiB of it (docs/PROTOCOL.md §8.9). */
const ADD_CHECKPOINT_LIMIT = 128 * KiB;
const DB_FILE = 'witness.db';

interface WitnessedLog {
  /** The log's origin: its checkpoints' first line and its key name. */
  readonly origin: string;
  /** The log's Ed25519 note key, hex32 (the registry's `logNoteKey`). */
  readonly key: string;
}

interface StandaloneWitnessConfig {
  readonly dataDir: string;
  /** This witness's key name (its `name` in the registry's `witnesses`). */
  readonly name: string;
  /** Its Ed25519 secret key, hex32 (a key file's `noteSecretKey`). */
  readonly secretKey: string;
  readonly logs: readonly WitnessedLog[];
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Loopback by default (docs/PROTOCOL.md §7.1). */
  readonly host?: string;
  readonly logger?: Logger;
  /** Unix seconds; tests move time with it. */
  readonly now?: () => number;
}

interface StandaloneWitness {
  readonly name: string;
  /** Its Ed25519 public key, hex (what the registry lists as `key`). */
  readonly publicKey: string;
  start(): Promise<void>;
  /** Set once started. */
  readonly url: string;
  close(): Promise<void>;
}

class WitnessConfigError extends Error {
  readonly code = 'BAD_OPTIONS';
}

function checkConfig(config: StandaloneWitnessConfig): Map<string, NoteKey> {
  if (typeof config.dataDir !== 'string' || config.dataDir === '') throw new WitnessConfigError('dataDir is required');
  if (!isValidKeyName(config.name)) throw new WitnessConfigError('name must be a note key name (no spaces, no "+")');
  if (!/^[0-9a-f]{64}$/.test(config.secretKey)) throw new WitnessConfigError('secretKey must be 32 bytes of lower-case hex');
  if (!Array.isArray(config.logs) || config.logs.length === 0) throw new WitnessConfigError('logs must list at least one log');
  const keys = new Map<string, NoteKey>();
  for (const log of config.logs) {
    if (!isValidKeyName(log.origin)) throw new WitnessConfigError(`log origin "${String(log.origin)}" is not a note key name`);
    if (!/^[0-9a-f]{64}$/.test(log.key)) throw new WitnessConfigError(`the key of log ${log.origin} must be 32 bytes of lower-case hex`);
    if (keys.has(log.origin)) throw new WitnessConfigError(`log ${log.origin} is listed twice`);
    keys.set(log.origin, { name: log.origin, publicKey: hexToBytes(log.key, 32) });
  }
  return keys;
}

function createStandaloneWitness(config: StandaloneWitnessConfig): StandaloneWitness {
  const logKeys = checkConfig(config);
  const secretKey = hexToBytes(config.secretKey, 32);
  const publicKey = bytesToHex(ed25519PublicKey(secretKey));
  const log = config.logger ?? pino({ name: 'custodes-witness', level: process.env.CUSTODES_LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info') });
  const now = config.now ?? (() => Math.floor(Date.now() / 1000));
  makePrivateDir(config.dataDir);
  const lock: DataDirLock | null = tryLockDataDir(config.dataDir);
  if (!lock) throw new WitnessConfigError(`${config.dataDir} is in use by another running witness (one per data directory)`);
  let store: WitnessStore;
  try {
    store = new WitnessStore(join(config.dataDir, DB_FILE));
  } catch (err) {
    lock.release();
    throw err;
  }

  /** The C2SP steps in order; a refusal is an HttpError, a 409 carries the witness size. */
  function addCheckpoint(body: string): string {
    const opened = openAddCheckpoint(body, (origin) => logKeys.get(origin));
    if (!opened.ok) throw new HttpError(opened.status, opened.code, opened.message);
    const { oldSize, proof, note, checkpoint, logKey } = opened;
    return store.tx(() => {
      // Check and store in one transaction: requests are served one at a time per database.
      const head = store.head(checkpoint.origin);
      const verdict = checkCheckpointUpdate(head && { size: head.size, root: head.root }, oldSize, proof, checkpoint);
      if (!verdict.ok) {
        if (verdict.status === 409) throw new SizeConflict(verdict.code, verdict.message, verdict.witnessSize);
        throw new HttpError(verdict.status, verdict.code, verdict.message);
      }
      const line = cosignCheckpoint(checkpoint, { name: config.name, secretKey, timestamp: now() });
      store.setHead({ origin: checkpoint.origin, size: checkpoint.size, root: checkpoint.root, note: witnessNote(checkpoint, note, logKey, line), cosignedAt: now() });
      log.info({ origin: checkpoint.origin, size: checkpoint.size }, 'checkpoint cosigned');
      return line;
    });
  }

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  const add: express.RequestHandler = (req, res) => {
    if (typeof req.body !== 'string') throw new HttpError(400, 'BAD_REQUEST', 'body must be text');
    try {
      res.type('text/plain; charset=utf-8').send(addCheckpoint(req.body));
    } catch (err) {
      if (!(err instanceof SizeConflict)) throw err;
      // C2SP tlog-witness: 409 with the witness's size, so the client can send a proof from it.
      res.status(409).type('text/x.tlog.size').send(`${err.witnessSize}\n`);
    }
  };
  // Public, as the C2SP API is; anyone may ask, the log signature and proof are the checks.
  const text = express.text({ type: () => true, limit: ADD_CHECKPOINT_LIMIT });
  app.post('/add-checkpoint', text, add);
  app.post('/witness/v1/add-checkpoint', text, add);
  app.get('/witness/v1/checkpoint', (req, res) => {
    const origin = typeof req.query.origin === 'string' ? req.query.origin : logKeys.size === 1 ? [...logKeys.keys()][0]! : undefined;
    if (origin === undefined) throw new HttpError(400, 'BAD_PARAMETER', 'this witness witnesses several logs: name one with ?origin=');
    const head = store.head(origin);
    if (!head) throw new HttpError(404, 'NO_CHECKPOINT', 'this witness has not cosigned a checkpoint of that log');
    res.type('text/plain; charset=utf-8').send(head.note);
  });
  app.get('/health', (_req, res) => {
    res.json({ ok: true, name: config.name, key: publicKey, logs: [...logKeys.keys()].map((origin) => ({ origin, size: store.head(origin)?.size ?? 0 })) });
  });
  app.use(notFound);
  app.use(errorHandler((err) => log.error({ err: String(err) }, 'unexpected error')));

  let server: Server | null = null;
  let url = '';
  return {
    name: config.name,
    publicKey,
    get url() {
      return url;
    },
    async start() {
      const host = config.host ?? '127.0.0.1';
      const listening = await listen(app, config.port ?? 0, host);
      server = listening.server;
      url = `http://${host.includes(':') ? `[${host}]` : host}:${listening.port}`;
    },
    async close() {
      if (server) await closeServer(server);
      server = null;
      store.close();
      lock.release();
    },
  };
}

/** A 409 of C2SP tlog-witness: answered as `text/x.tlog.size`, not JSON. */
class SizeConflict extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly witnessSize: number,
  ) {
    super(message);
  }
}

export { createStandaloneWitness, WitnessConfigError, type StandaloneWitness, type StandaloneWitnessConfig, type WitnessedLog };
