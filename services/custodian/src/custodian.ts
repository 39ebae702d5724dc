/**
 * `createCustodian(config)`: one custodian node (docs/PROTOCOL.md §2) — an express app
 * over its own SQLite store and in-memory vault. No module-level state: many
 * nodes run in one process.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import express from 'express';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { LogError } from '@custodes/shared/log';
import { checkDataDir, checkTransport, closeServer, databaseFiles, errorHandler, HttpError, listen, loadTls, LOCK_FILE, notFound, rateLimit, requestMetrics, serveMetrics, StorageMonitor, tryLockDataDir } from '@custodes/shared/service';
import type { TlsFiles } from '@custodes/shared/service';
import type { Context } from './context';
import { CustodianError, STATUS } from './errors';
import { DB_FILE, DEV_KEYS_FILE } from './init';
import { LogHead } from './health';
import { createLogger } from './logger';
import type { Logger } from './logger';
import { custodianMetrics } from './metrics';
import { Notifier } from './notify';
import type { WebhookConfig } from './notify';
import { Outbox } from './outbox';
import { Retirer } from './retirement';
import { RefusalCounter } from './refusals';
import { parsePolicy, readPolicyFile } from './policy';
import type { Policy } from './policy';
import { operatorAuth, operatorRoutes } from './routes/operator';
import { dkgRoutes } from './routes/dkg';
import { healthRoute } from './routes/health';
import { revocationRoutes } from './routes/revocations';
import { healthAndSealRoutes, sealRoute } from './routes/seal';
import { warrantRoutes } from './routes/warrants';
import { witnessRoutes } from './routes/witness';
import { consoleRouter, rootRedirect } from '@custodes/web';
import { openStore } from './store';
import type { NodeRow, Store } from './store';
import { Vault } from './vault';
import { Witness, WitnessRefused } from './witness';

/** CustodianConfig.releaseLogDeadlineMs by default: 5 minutes, far beyond a cosigning round and the outbox's grace. */
const DEFAULT_RELEASE_LOG_DEADLINE_MS = 300_000;
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
  /**
   * Allow plain http to a coordinator that is not on loopback (default false:
   * INSECURE_TRANSPORT at creation and at every call; docs/PROTOCOL.md §9.8,
   * Running a node behind TLS). `--insecure-http`.
   */
  insecureHttp?: boolean;
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
  /**
   * Serve Prometheus metrics at `GET /metrics` on this port (0 picks one), apart
   * from the API; off unless set (docs/PROTOCOL.md §9.5, Health and metrics).
   */
  metricsPort?: number;
  /** The metrics listener's address (default 127.0.0.1: for the operator's scraper only). */
  metricsHost?: string;
  /** How often the node reads the log's size from the coordinator for its witness lag, ms (default 15 000). */
  logHeadIntervalMs?: number;
  /**
   * How long one of this node's releases may stay out of its log replica
   * before it refuses new partials calls (503 RELEASES_UNLOGGED), ms (default
   * 300 000): "each release is logged" (docs/PROTOCOL.md §5 step 5) is then enforced
   * here, not left to the coordinator. An integer in [0, 2^53 − 1].
   */
  releaseLogDeadlineMs?: number;
  /** Signed webhooks for the node's events (docs/PROTOCOL.md §9.7); none by default. */
  webhook?: WebhookConfig;
  logger?: Logger;
  /** pino level when no logger is given (default: CUSTODES_LOG_LEVEL, silent under vitest, else info). */
  logLevel?: string;
  /** Milliseconds since the epoch; tests move time with it. */
  clock?: () => number;
  /**
   * How often the node looks for epochs of its own that are past their
   * `retireAfter`, to destroy its share and log its retirement, ms (default
   * 60 000; docs/PROTOCOL.md §3.10). An integer in [1, 2^31 − 1].
   */
  retirementCheckMs?: number;
}

export interface Custodian {
  start(): Promise<{ port: number }>;
  close(): Promise<void>;
  /** `http://host:port` once started. */
  readonly url: string;
  /** `http://host:port` of the metrics listener once started, '' when metrics are off. */
  readonly metricsUrl: string;
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
  /** The node's Ed25519 witness key, public half (checked present: DATA_FORMAT_OLD otherwise). */
  witnessKey: string;
  policy: Policy | undefined;
}

/** The node's store, its row and its policy; the store is closed again if either of the others fails. */
function openNode(dbFile: string, config: CustodianConfig, storage: StorageMonitor): OpenedNode {
  const store = openStore(dbFile, { maxBytes: config.maxDatabaseBytes }, storage);
  try {
    const node = store.node();
    if (!node) throw new CustodianError('NOT_INITIALISED', `${config.dataDir} holds no initialised custodian`);
    // Before checkpoints were Ed25519 notes the node had no witness key (docs/PROTOCOL.md §4.3, §11):
    // its replica and cosignatures are BIP340 and nothing it holds verifies under the new format.
    if (node.witnessKey === null) {
      throw new CustodianError('DATA_FORMAT_OLD', `${config.dataDir} was created by an older version of Custodes (BIP340 cosignatures, no Ed25519 witness key); initialise a new node with custodes keygen and custodes custodian init`);
    }
    const policy = config.policyFile ? readPolicyFile(config.policyFile) : node.policy ? parsePolicy(JSON.parse(node.policy)) : undefined;
    return { store, node, witnessKey: node.witnessKey, policy };
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
  if (config.retirementCheckMs !== undefined && !(Number.isSafeInteger(config.retirementCheckMs) && config.retirementCheckMs >= 1 && config.retirementCheckMs <= MAX_TIMER_MS)) {
    throw new CustodianError('BAD_OPTIONS', `retirementCheckMs must be an integer in [1, ${MAX_TIMER_MS}]`);
  }
  if (config.outboxGraceMs !== undefined && !(Number.isSafeInteger(config.outboxGraceMs) && config.outboxGraceMs >= 0 && config.outboxGraceMs <= MAX_TIMER_MS)) {
    throw new CustodianError('BAD_OPTIONS', `outboxGraceMs must be an integer in [0, ${MAX_TIMER_MS}]`);
  }
  if (config.releaseLogDeadlineMs !== undefined && !(Number.isSafeInteger(config.releaseLogDeadlineMs) && config.releaseLogDeadlineMs >= 0)) {
    throw new CustodianError('BAD_OPTIONS', 'releaseLogDeadlineMs must be a non-negative integer');
  }
  if (config.maxDatabaseBytes !== undefined && !(Number.isSafeInteger(config.maxDatabaseBytes) && config.maxDatabaseBytes > 0)) {
    throw new CustodianError('BAD_OPTIONS', 'maxDatabaseBytes must be a positive integer');
  }
  const insecureHttp = config.insecureHttp ?? false;
  checkTransport(config.coordinatorUrl, insecureHttp, 'coordinatorUrl'); // before anything is opened
  if (config.metricsPort !== undefined && !(Number.isSafeInteger(config.metricsPort) && config.metricsPort >= 0 && config.metricsPort <= 65_535)) {
    throw new CustodianError('BAD_OPTIONS', 'metricsPort must be an integer in [0, 65535]');
  }
  if (config.logHeadIntervalMs !== undefined && !(Number.isSafeInteger(config.logHeadIntervalMs) && config.logHeadIntervalMs >= 100 && config.logHeadIntervalMs <= MAX_TIMER_MS)) {
    throw new CustodianError('BAD_OPTIONS', `logHeadIntervalMs must be an integer in [100, ${MAX_TIMER_MS}]`);
  }
  // Before the data directory is locked: a bad certificate or key is one error at start (BAD_TLS).
  const tls = config.tls ? loadTls(config.tls) : undefined;
  const dbFile = join(config.dataDir, DB_FILE);
  if (!existsSync(dbFile)) throw new CustodianError('NOT_INITIALISED', `${config.dataDir} holds no custodian; run init first`);
  // The sealed share box, the replica and (dev) the unseal keys are this node's alone: refused if others can read or replace them.
  for (const w of checkDataDir(config.dataDir, [...databaseFiles(DB_FILE), DEV_KEYS_FILE, LOCK_FILE])) log.warn({ path: w.path, mode: w.mode }, w.message);
  // One node per data directory, held until close (or the process's end): two would cosign from one replica.
  const lock = tryLockDataDir(config.dataDir);
  if (!lock) throw new CustodianError('DATA_DIR_IN_USE', `${config.dataDir} is in use by another running custodian (one per data directory)`);
  const storage = new StorageMonitor();
  let opened: OpenedNode;
  try {
    opened = openNode(dbFile, config, storage);
  } catch (err) {
    lock.release();
    throw err;
  }
  const { store, node, policy } = opened;
  const coordinatorUrl = config.coordinatorUrl.replace(/\/+$/, '');
  let unsealCommitments = node.unsealCommitments;
  const vault = new Vault(node.unsealShares, node.unsealThreshold, () => ({ nonce: node.sealedNonce, box: node.sealedBox }), {
    get: () => unsealCommitments,
    learn: (commitments) => {
      unsealCommitments = commitments; // in force for this process at once
      try {
        store.setUnsealCommitments(commitments);
        log.info('unseal key commitments stored: from now on each unseal key is checked as it is submitted');
      } catch (err) {
        // A full disk must not keep the officers' correct keys from unsealing: the next unseal stores them.
        log.error({ code: (err as { code?: unknown }).code }, 'unseal key commitments could not be stored; they will be stored at the next unseal');
      }
    },
  });
  const outbox = new Outbox(store, coordinatorUrl, log, config.outboxGraceMs ?? 5000, insecureHttp);
  const ctx: Context = {
    store,
    node,
    me: {
      custodian: node.custodian,
      epoch: node.epoch,
      signingKey: node.signingKey,
      witnessKey: opened.witnessKey,
      groupKey: node.groupKey,
      commitments: node.commitments,
      name: node.name,
    },
    vault,
    log,
    outbox,
    coordinatorUrl,
    insecureHttp,
    policy,
    nowMs: config.clock ?? Date.now,
    envelopesPerMinute: config.rateLimit?.envelopesPerMinute ?? 10_000,
    callWindowSeconds: config.callWindowSeconds ?? 120,
    releaseLogDeadlineMs: config.releaseLogDeadlineMs ?? DEFAULT_RELEASE_LOG_DEADLINE_MS,
    refusals: new RefusalCounter(log, config.clock ?? Date.now),
    releasing: new Map(),
  };
  const witness = new Witness(ctx);
  const retirer = new Retirer(ctx, config.retirementCheckMs ?? 60_000);
  const head = new LogHead(ctx, config.logHeadIntervalMs ?? 15_000);
  const metrics = config.metricsPort === undefined ? null : custodianMetrics(ctx, storage, head);
  let notifier: Notifier | undefined;
  try {
    notifier = config.webhook
      ? new Notifier(
          store,
          store.webhooks({
            url: config.webhook.url,
            secret: config.webhook.secret,
            source: { service: 'custodian', custodian: node.custodian },
            ...(config.webhook.retryBaseMs !== undefined ? { retryBaseMs: config.webhook.retryBaseMs } : {}),
            ...(config.webhook.retryMaxMs !== undefined ? { retryMaxMs: config.webhook.retryMaxMs } : {}),
            onError: (message, eventId) => log.warn({ eventId }, message),
          }),
          log,
        )
      : undefined;
  } catch (err) {
    store.close();
    lock.release();
    throw new CustodianError('BAD_OPTIONS', `webhook: ${(err as Error).message}`);
  }

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  if (metrics) app.use(requestMetrics(metrics));
  app.use(rateLimit({ windowMs: 60_000, max: config.requestsPerMinute ?? 6000 }));
  // Every answered request may have stored a review or a release-log row: the webhook scan turns them into events.
  if (notifier) {
    const scanning = notifier;
    app.use((_req, res, next) => {
      res.on('finish', () => scanning.scanSoon());
      next();
    });
  }
  // No app-wide body parser: each route reads its own body after its cheap checks (routes/bodies.ts).
  app.use(healthRoute(ctx, storage, head));
  app.use(healthAndSealRoutes(ctx));
  // The operator console's static pages: before the sealed gate so officers can unseal from it.
  app.use(consoleRouter());
  app.use(rootRedirect('console'));
  const gate: RequestHandler = (_req, _res, next) => (vault.sealed ? next(new CustodianError('sealed', 'the node is sealed')) : next());
  app.use(gate);
  const operator = operatorAuth(ctx);
  app.use(sealRoute(ctx, operator));
  app.use(witnessRoutes(ctx, witness));
  app.use(warrantRoutes(ctx, witness));
  app.use(revocationRoutes(ctx));
  app.use(operatorRoutes(ctx, operator));
  app.use(dkgRoutes(ctx, operator));
  app.use(notFound);
  app.use(mapErrors);
  app.use(
    errorHandler((err, _req, problem) => {
      storage.failed(err);
      log.error({ code: problem?.code, err: { name: (err as Error)?.name, message: (err as Error)?.message } }, problem ? 'storage failure: the call was not completed' : 'unexpected error');
      if (problem) notifier?.storageTrouble(problem.code, Math.floor(ctx.nowMs() / 1000));
    }),
  );

  let server: Server | null = null;
  let metricsServer: Server | null = null;
  let url = '';
  let metricsUrl = '';
  let closed = false;

  return {
    get url() {
      return url;
    },
    get metricsUrl() {
      return metricsUrl;
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
      if (metrics) {
        ({ server: metricsServer, url: metricsUrl } = await serveMetrics(metrics, { port: config.metricsPort!, host: config.metricsHost ?? '127.0.0.1' }));
      }
      head.start();
      log.info({ custodian: node.custodian, port: bound.port, sealed: vault.sealed }, 'custodian listening');
      void outbox.kick(); // resend anything not yet acknowledged
      retirer.start(); // epochs past their retireAfter: destroy, then announce (docs/PROTOCOL.md §3.10)
      notifier?.scan(); // events for rows stored before a crash, and anything undelivered
      return { port: bound.port };
    },
    async close() {
      if (closed) return;
      closed = true;
      if (server) await closeServer(server);
      if (metricsServer) await closeServer(metricsServer);
      await head.close();
      retirer.close();
      await outbox.close();
      await notifier?.close();
      await witness.idle();
      vault.seal();
      store.close();
      lock.release();
    },
  };
}
