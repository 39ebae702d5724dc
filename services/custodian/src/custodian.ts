/**
 * `createCustodian(config)`: one custodian node (DESIGN.md §2) — an express app
 * over its own SQLite store and in-memory vault. No module-level state: many
 * nodes run in one process.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import express from 'express';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { LogError } from '@custodes/shared/log';
import { closeServer, errorHandler, HttpError, listen, loadTls, notFound, rateLimit, tryLockDataDir } from '@custodes/shared/service';
import type { TlsFiles } from '@custodes/shared/service';
import type { Context } from './context';
import { CustodianError, STATUS } from './errors';
import { DB_FILE, DEV_KEYS_FILE } from './init';
import { createLogger } from './logger';
import type { Logger } from './logger';
import { Outbox } from './outbox';
import { parsePolicy, readPolicyFile } from './policy';
import type { Policy } from './policy';
import { operatorAuth, operatorRoutes } from './routes/operator';
import { healthAndSealRoutes, sealRoute } from './routes/seal';
import { warrantRoutes } from './routes/warrants';
import { witnessRoutes } from './routes/witness';
import { consoleRouter } from '@custodes/web';
import { openStore } from './store';
import type { NodeRow, Store } from './store';
import { Vault } from './vault';
import { Witness, WitnessRefused } from './witness';

/** The longest delay setTimeout honours, ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface CustodianConfig {
  dataDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Serve https with this certificate and key (PEM files; docs/DEPLOY.md, TLS); plain http without. */
  tls?: TlsFiles;
  /** Base URL of the coordinator (read API and `POST /v1/records`). */
  coordinatorUrl: string;
  /** Auto-approval policy (JSON); overrides one stored at init. */
  policyFile?: string;
  /** Rule (j): envelopes released per agency per minute (default 10 000). */
  rateLimit?: { envelopesPerMinute?: number };
  /**
   * Freshness window of the coordinator's signed partials call: `issuedAt` may
   * be at most this many seconds before or after this node's clock (default 120).
   */
  callWindowSeconds?: number;
  /** HTTP requests per client IP per minute, before any body is read (default 6 000, as the coordinator). */
  requestsPerMinute?: number;
  /**
   * How long the outbox leaves a record the coordinator already took from an
   * answer (a release; a decision answered to a delivery with a checkpoint)
   * before posting it itself, ms (default 5000): by then the replica has
   * normally seen it logged, and then it is never posted (docs/PROTOCOL.md §7.11).
   * An integer in [0, 2^31 − 1]; anything else is BAD_OPTIONS.
   */
  outboxGraceMs?: number;
  /**
   * A cap on `custodian.db`, bytes (default none): writes beyond it are refused
   * as on a full disk (503 STORAGE_FULL) while reads and /health go on; a
   * positive integer, else BAD_OPTIONS (docs/PROTOCOL.md §9.1, Storage).
   */
  maxDatabaseBytes?: number;
  logger?: Logger;
  /** pino level when no logger is given (default: CUSTODES_LOG_LEVEL, silent under vitest, else info). */
  logLevel?: string;
  /** Milliseconds since the epoch; tests move time with it. */
  clock?: () => number;
}

export interface Custodian {
  start(): Promise<{ port: number }>;
  close(): Promise<void>;
  /** `http://host:port` once started. */
  readonly url: string;
}

/** Maps domain errors to `{error:{code,message}}` with their status. */
const mapErrors: ErrorRequestHandler = (err, _req, res, next) => {
  // A checkpoint bundle's witness size conflict says the witness's size, as C2SP's 409 does (WitnessSizeConflictSchema).
  if (err instanceof WitnessRefused && err.witnessSize !== undefined && !res.headersSent) {
    res.status(409).json({ error: { code: err.code, message: err.message, witnessSize: err.witnessSize } });
    return;
  }
  if (err instanceof CustodianError) return next(new HttpError(STATUS[err.code] ?? 400, err.code, err.message));
  if (err instanceof LogError) return next(new HttpError(400, err.code, err.message));
  next(err);
};

interface OpenedNode {
  store: Store;
  node: NodeRow;
  policy: Policy | undefined;
}

/** The node's store, its row and its policy; the store is closed again if either of the others fails. */
function openNode(dbFile: string, config: CustodianConfig): OpenedNode {
  const store = openStore(dbFile, { maxBytes: config.maxDatabaseBytes });
  try {
    const node = store.node();
    if (!node) throw new CustodianError('NOT_INITIALISED', `${config.dataDir} holds no initialised custodian`);
    const policy = config.policyFile ? readPolicyFile(config.policyFile) : node.policy ? parsePolicy(JSON.parse(node.policy)) : undefined;
    return { store, node, policy };
  } catch (err) {
    store.close();
    throw err;
  }
}

export function createCustodian(config: CustodianConfig): Custodian {
  const log = config.logger ?? createLogger(config.logLevel);
  if (config.callWindowSeconds !== undefined && !(Number.isFinite(config.callWindowSeconds) && config.callWindowSeconds >= 0)) {
    throw new CustodianError('BAD_OPTIONS', 'callWindowSeconds must be a non-negative number');
  }
  // A timer longer than 2^31 − 1 ms fires at once in Node (TimeoutOverflowWarning): refused, not silently shortened.
  if (config.outboxGraceMs !== undefined && !(Number.isSafeInteger(config.outboxGraceMs) && config.outboxGraceMs >= 0 && config.outboxGraceMs <= MAX_TIMER_MS)) {
    throw new CustodianError('BAD_OPTIONS', `outboxGraceMs must be an integer in [0, ${MAX_TIMER_MS}]`);
  }
  if (config.maxDatabaseBytes !== undefined && !(Number.isSafeInteger(config.maxDatabaseBytes) && config.maxDatabaseBytes > 0)) {
    throw new CustodianError('BAD_OPTIONS', 'maxDatabaseBytes must be a positive integer');
  }
  // Before the data directory is locked: a bad certificate or key is one error at start (BAD_TLS).
  const tls = config.tls ? loadTls(config.tls) : undefined;
  const dbFile = join(config.dataDir, DB_FILE);
  if (!existsSync(dbFile)) throw new CustodianError('NOT_INITIALISED', `${config.dataDir} holds no custodian; run init first`);
  // One node per data directory, held until close (or the process's end): two would cosign from one replica.
  const lock = tryLockDataDir(config.dataDir);
  if (!lock) throw new CustodianError('DATA_DIR_IN_USE', `${config.dataDir} is in use by another running custodian (one per data directory)`);
  let opened: OpenedNode;
  try {
    opened = openNode(dbFile, config);
  } catch (err) {
    lock.release();
    throw err;
  }
  const { store, node, policy } = opened;
  const coordinatorUrl = config.coordinatorUrl.replace(/\/+$/, '');
  const vault = new Vault(node.unsealShares, node.unsealThreshold, () => ({ nonce: node.sealedNonce, box: node.sealedBox }));
  const outbox = new Outbox(store, coordinatorUrl, log, config.outboxGraceMs ?? 5000);
  const ctx: Context = {
    store,
    node,
    me: {
      custodian: node.custodian,
      epoch: node.epoch,
      signingKey: node.signingKey,
      groupKey: node.groupKey,
      commitments: node.commitments,
      name: node.name,
    },
    vault,
    log,
    outbox,
    coordinatorUrl,
    policy,
    nowMs: config.clock ?? Date.now,
    envelopesPerMinute: config.rateLimit?.envelopesPerMinute ?? 10_000,
    callWindowSeconds: config.callWindowSeconds ?? 120,
  };
  const witness = new Witness(ctx);

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(rateLimit({ windowMs: 60_000, max: config.requestsPerMinute ?? 6000 }));
  const smallJson = express.json({ limit: '1mb', strict: true });
  // POST /v1/partials reads its (up to 64 MB) body only after the call authorisation
  // in its header has been checked (routes/warrants.ts), so it is skipped here.
  app.use((req, res, next) => (req.path === '/v1/partials' ? next() : smallJson(req, res, next)));
  app.use(healthAndSealRoutes(ctx));
  // The operator console's static pages: before the sealed gate so officers can unseal from it.
  app.use(consoleRouter());
  const gate: RequestHandler = (_req, _res, next) => (vault.sealed ? next(new CustodianError('sealed', 'the node is sealed')) : next());
  app.use(gate);
  const operator = operatorAuth(ctx);
  app.use(sealRoute(ctx, operator));
  app.use(witnessRoutes(ctx, witness));
  app.use(warrantRoutes(ctx, witness));
  app.use(operatorRoutes(ctx, operator));
  app.use(notFound);
  app.use(mapErrors);
  app.use(
    errorHandler((err, _req, storage) =>
      log.error({ code: storage?.code, err: { name: (err as Error)?.name, message: (err as Error)?.message } }, storage ? 'storage failure: the call was not completed' : 'unexpected error'),
    ),
  );

  let server: Server | null = null;
  let url = '';
  let closed = false;

  return {
    get url() {
      return url;
    },
    async start() {
      if (server) throw new Error('already started');
      if (node.dev) {
        const devFile = join(config.dataDir, DEV_KEYS_FILE);
        const { unsealKeys } = JSON.parse(readFileSync(devFile, 'utf8')) as { unsealKeys: string[] };
        for (const k of unsealKeys.slice(0, node.unsealThreshold)) await vault.submit(k);
        log.warn('dev mode: unsealed from keys kept on disk');
      }
      const host = config.host ?? '127.0.0.1';
      const bound = await listen(app, config.port ?? 0, host, tls ? { tls } : {});
      server = bound.server;
      url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${bound.port}`;
      log.info({ custodian: node.custodian, port: bound.port, sealed: vault.sealed }, 'custodian listening');
      void outbox.kick(); // resend anything not yet acknowledged
      return { port: bound.port };
    },
    async close() {
      if (closed) return;
      closed = true;
      if (server) await closeServer(server);
      await outbox.close();
      await witness.idle();
      vault.seal();
      store.close();
      lock.release();
    },
  };
}
