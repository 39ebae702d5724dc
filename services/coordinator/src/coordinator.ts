/**
 * `createCoordinator(config)` (docs/PROTOCOL.md §2, §5): builds the context (database,
 * log, registry, workflows) and the express app; `start()` listens and resumes
 * unfinished work; `close()` stops work, then HTTP, then the database.
 */
import { existsSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import express from 'express';
import pino from 'pino';
import type { Logger } from 'pino';
import { allCustodians, EpochEntrySchema, partialsCallHeader, RegistryEntrySchema } from '@custodes/shared/records';
import { resolveRegistry } from '@custodes/shared/rules';
import { dkgKey, DkgWorkflow } from './workflow/dkg';
import { dkgRoutes } from './routes/dkg';
import { explorerRouter, reportRouter, rootRedirect } from '@custodes/web';
import { checkDataDir, checkTransport, closeServer, databaseFiles, listen, loadTls, LOCK_FILE, notFound, rateLimit, requestMetrics, serveMetrics, StorageMonitor, tryLockDataDir } from '@custodes/shared/service';
import { coordinatorErrors } from './routes/errors';
import { recordRoutes } from './routes/records';
import { logRecord } from './actions/logRecords';
import { registryRoutes } from './routes/registry';
import { requestRoutes } from './routes/requests';
import { warrantRoutes } from './routes/warrants';
import { DB_FILE } from './config';
import type { CoordinatorConfig } from './config';
import type { Context } from './context';
import { Registry } from './rules/registryChecks';
import { CoordinatorError, fail } from './errors';
import { RESTORE_MARKER } from './backup';
import { coordinatorHealth } from './health';
import { coordinatorMetrics } from './metrics';
import { checkDataFormat, logNotePublicKey, logPublicKey, openCoordinatorDb } from './init';
import { Ledger } from './ledger';
import { createLogReadRouter } from './routes/logRead';
import { warrantSearchRoutes } from './routes/logSearch';
import { openLogStore } from './log/index';
import { Repository } from './repo/repository';
import { Changes } from './actions/changes';
import { GroupCommit } from './repo/groupCommit';
import { Cosigner } from './workflow/cosigner';
import { ExternalWitnesses } from './workflow/externalWitnesses';
import { DecryptionWorkflow } from './workflow/decryption';
import { Delivery } from './workflow/delivery';
import { checkAgainstWitnesses } from './witnessCheck';

export interface Coordinator {
  start(): Promise<{ port: number }>;
  close(): Promise<void>;
  /** `http://host:port` once started. */
  readonly url: string;
  /** `http://host:port` of the metrics listener once started, '' when metrics are off. */
  readonly metricsUrl: string;
}

function defaultLogger(): Logger {
  return pino({ name: 'custodes-coordinator', level: process.env.CUSTODES_LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info') });
}

export function createCoordinator(config: CoordinatorConfig): Coordinator {
  const logger = config.logger ?? defaultLogger();
  const now = config.now ?? (() => Math.floor(Date.now() / 1000));
  if (!existsSync(join(config.dataDir, DB_FILE))) throw new CoordinatorError('NOT_FOUND', `${config.dataDir} holds no coordinator; run init first`);
  const logKey = logPublicKey(config.logSecretKey);
  const logNoteKey = logNotePublicKey(config.logNoteSecretKey);
  // Before the data directory is locked: a bad certificate or key is one error at start (BAD_TLS).
  const tls = config.tls ? loadTls(config.tls) : undefined;
  if (config.maxDatabaseBytes !== undefined && !(Number.isSafeInteger(config.maxDatabaseBytes) && config.maxDatabaseBytes > 0)) {
    fail('BAD_REQUEST', 'maxDatabaseBytes must be a positive integer');
  }
  // Sealed warrants and their salts are for this service alone: refused if others can read or replace them.
  for (const w of checkDataDir(config.dataDir, [...databaseFiles(DB_FILE), LOCK_FILE])) logger.warn({ path: w.path, mode: w.mode }, w.message);
  if (config.metricsPort !== undefined && !(Number.isSafeInteger(config.metricsPort) && config.metricsPort >= 0 && config.metricsPort <= 65_535)) {
    fail('BAD_REQUEST', 'metricsPort must be an integer in [0, 65535]');
  }
  // One coordinator per data directory, held until close (or the process's end).
  const lock = tryLockDataDir(config.dataDir);
  if (!lock) fail('DATA_DIR_IN_USE', `${config.dataDir} is in use by another running coordinator (one per data directory)`);
  let db: ReturnType<typeof openCoordinatorDb>;
  try {
    db = openCoordinatorDb(config.dataDir, config.maxDatabaseBytes);
  } catch (err) {
    lock.release();
    throw err;
  }
  const storage = new StorageMonitor();
  const repo = new Repository(db, storage);

  const store = openLogStore(db, { origin: config.origin, noteSecretKey: config.logNoteSecretKey });
  /**
   * The registry in force: the newest logged one, each proposed epoch that a
   * logged `epoch` entry activates filled in (@custodes/shared/rules
   * resolveRegistry, docs/PROTOCOL.md §3.8). Loaded at start and after every
   * registry or epoch entry, never per request.
   */
  const loadRegistry = (): Registry => {
    const latest = repo.latestRegistry();
    if (!latest) fail('NOT_FOUND', 'the coordinator has no registry; run initCoordinator first');
    checkDataFormat(config.dataDir, latest.entryJson);
    const raw = RegistryEntrySchema.parse(JSON.parse(latest.entryJson));
    const epochEntries = raw.epochs.flatMap((e) => {
      const index = repo.entryIndex(dkgKey.epoch(e.epoch));
      if (index === undefined) return [];
      const entry = EpochEntrySchema.parse(JSON.parse(new TextDecoder().decode(store.entry(index))));
      return [{ index, entry }];
    });
    // In log order: a reshare's entry is judged with its old epoch already active (§3.9).
    epochEntries.sort((a, b) => a.index - b.index);
    return new Registry(resolveRegistry(raw, epochEntries.map((x) => x.entry)), latest.logIndex);
  };
  let registry: Registry;
  try {
    registry = loadRegistry();
    if (registry.entry.origin !== config.origin) fail('BAD_REGISTRY', `origin ${config.origin} is not the registry's ${registry.entry.origin}`);
    if (registry.entry.logKey !== logKey) fail('BAD_REGISTRY', "logSecretKey does not match the registry's logKey");
    if (registry.entry.logNoteKey !== logNoteKey) fail('BAD_REGISTRY', "logNoteSecretKey does not match the registry's logNoteKey");
  } catch (err) {
    db.close();
    lock.release();
    throw err;
  }

  const ledger = new Ledger(store, repo);
  const custodianUrl = (index: number): string => {
    // A custodian that left in a reshare is still reached at its last listed URL until it destroyed its share (§3.9).
    const listed = registry.custodian(index) ?? [...registry.entry.epochs].sort((a, b) => b.epoch - a.epoch).flatMap((e) => e.custodians).find((c) => c.index === index);
    const url = config.custodianUrls?.[index] ?? listed?.url;
    if (!url) throw new CoordinatorError('UNKNOWN_CUSTODIAN', `no URL for custodian ${index}`);
    return url.replace(/\/+$/, '');
  };
  // Every custodian this coordinator will call, checked before it serves (docs/PROTOCOL.md §9.8,
  // Running a node behind TLS); URLs a later registry adds are checked by the client at call time.
  const insecureHttp = config.insecureHttp ?? false;
  try {
    for (const index of allCustodians(registry.entry).keys()) checkTransport(custodianUrl(index), insecureHttp, `custodian ${index}`);
  } catch (err) {
    db.close();
    lock.release();
    throw err;
  }
  const concurrency = config.concurrency ?? 8;
  const commits = new GroupCommit((fn) => repo.transaction(fn));
  const cosigner = new Cosigner({
    store,
    repo,
    commits,
    registry: () => registry,
    custodianUrl,
    origin: config.origin,
    timeoutMs: config.cosignTimeoutMs ?? 10_000,
    insecureHttp,
    backgroundDelayMs: config.cosignDelayMs ?? 1000,
    ...(config.witnessRetryBaseMs !== undefined ? { retryBaseMs: config.witnessRetryBaseMs } : {}),
    concurrency,
    logger,
  });
  // The registry's external witnesses cosign in the background; nothing waits on them (docs/PROTOCOL.md §4.3).
  const externalWitnesses = new ExternalWitnesses({
    store,
    commits,
    witnesses: () => registry.witnesses,
    origin: config.origin,
    intervalMs: config.externalWitnessIntervalMs ?? 2000,
    timeoutMs: config.cosignTimeoutMs ?? 10_000,
    insecureHttp,
    logger,
  });
  // Every fresh entry gets into a published, cosigned checkpoint soon (coalesced: cosignDelayMs).
  const changes = new Changes();
  ledger.onAppend = () => {
    cosigner.schedule();
    changes.notify();
  };
  repo.onRequestState = () => changes.notify();
  const delivery = new Delivery({
    repo,
    // A decision brought back by a delivery is logged as if posted to /v1/records.
    logApproval: (entry) => void logRecord(ctx, entry),
    commits,
    cosigner,
    custodianUrl,
    timeoutMs: config.deliveryTimeoutMs ?? 10_000,
    insecureHttp,
    concurrency,
    logger,
  });
  const decryption = new DecryptionWorkflow({
    repo,
    ledger,
    cosigner,
    registry: () => registry,
    custodianUrl,
    now,
    retentionSeconds: config.retentionSeconds ?? 86_400,
    timeoutMs: config.partialsTimeoutMs ?? 60_000,
    insecureHttp,
    retries: 2,
    deadlineMs: config.partialsDeadlineMs ?? 120_000,
    // Each partials call is authorised by the log key (docs/PROTOCOL.md §7.12, Call
    // authorisation), the key custodians already trust for checkpoints. The key
    // stays in this closure; only signatures leave it.
    signCall: (call) => partialsCallHeader({ ...call, issuedAt: now() }, config.logSecretKey),
    concurrency,
    logger,
  });
  const dkg = new DkgWorkflow({
    registry: () => registry.entry,
    reloadRegistry: () => {
      registry = loadRegistry();
    },
    append: (key, entry) => ledger.appendOnce(key, entry).index,
    // The log is each session's durable record (docs/PROTOCOL.md §3.8): its keyed entries, in log order.
    logged: (session) =>
      repo.entryIndicesWithPrefix(`dkg:${session === undefined ? '' : `${session}:`}`).map((i) => {
        const entry = ledger.entry(i);
        if (entry.type !== 'dkg') throw new Error(`log entry ${i} is keyed as a dkg entry but is a ${entry.type}`);
        return entry;
      }),
    loggedEpoch: (epoch) => {
      const index = repo.entryIndex(dkgKey.epoch(epoch));
      const entry = index === undefined ? undefined : ledger.entry(index);
      if (index === undefined || entry === undefined) return undefined;
      if (entry.type !== 'epoch') throw new Error(`log entry ${index} is keyed as an epoch entry but is a ${entry.type}`);
      return { index, entry };
    },
    registryAtStart: (session) => {
      const [first] = repo.entryIndicesWithPrefix(`dkg:${session}:`);
      const json = first === undefined ? undefined : repo.registryBefore(first);
      return json === undefined ? undefined : RegistryEntrySchema.parse(JSON.parse(json));
    },
    cosign: () => cosigner.schedule(),
    replicate: (custodian) => cosigner.replicateTo(custodian),
    custodianUrl,
    logSecretKey: config.logSecretKey,
    now,
    stepTimeoutMs: config.dkgStepTimeoutMs ?? 60_000,
    callTimeoutMs: config.partialsTimeoutMs ?? 10_000,
    insecureHttp,
    logger,
  });
  const ctx: Context = {
    dkg,
    repo,
    store,
    ledger,
    logger,
    now,
    registry: () => registry,
    reloadRegistry: () => {
      registry = loadRegistry();
    },
    cosigner,
    changes,
    commits,
    delivery,
    decryption,
  };

  const metrics = config.metricsPort === undefined ? null : coordinatorMetrics(ctx, storage);

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  if (metrics) app.use(requestMetrics(metrics));
  app.use(rateLimit({ windowMs: 60_000, max: config.rateLimitPerMinute ?? 6000 }));
  // The public read API (docs/PROTOCOL.md §4.4) first: its own error handler then sees only its own errors.
  app.use(
    createLogReadRouter(store, {
      onUnexpected: (err) => logger.error({ err: String(err) }, 'log read API error'),
      minCosignatures: () => registry.threshold,
    }),
  );
  // No app-wide body parser: each route reads its own body, after its caller's token (config.ts BODIES).
  // docs/PROTOCOL.md §9.5: 503 when the coordinator cannot do its job, with the same body.
  app.get('/health', (_req, res) => {
    const health = coordinatorHealth(ctx, storage);
    res.status(health.ok ? 200 : 503).json(health);
  });
  app.use(registryRoutes(ctx));
  app.use(warrantSearchRoutes(ctx));
  app.use(warrantRoutes(ctx));
  app.use(recordRoutes(ctx));
  app.use(requestRoutes(ctx));
  app.use(dkgRoutes(ctx));
  // Static pages (services/web): the public log explorer and the transparency report.
  app.use(explorerRouter());
  app.use(rootRedirect('explorer'));
  app.use(reportRouter(config.reportDir ? { dir: config.reportDir } : {}));
  app.use(notFound);
  app.use(coordinatorErrors(logger, (err) => storage.failed(err)));

  const purge = () => {
    try {
      const n = repo.purgeResults(now());
      if (n) logger.info({ requests: n }, 'results purged after retention');
    } catch (err) {
      logger.error({ err: String(err) }, 'purge failed');
    }
  };

  let server: Server | null = null;
  let metricsServer: Server | null = null;
  let url = '';
  let metricsUrl = '';
  let purgeTimer: NodeJS.Timeout | null = null;
  return {
    get url() {
      return url;
    },
    get metricsUrl() {
      return metricsUrl;
    },
    async start() {
      if (server) throw new Error('already started');
      // docs/PROTOCOL.md §9.6: never sign on from a log older than what the witnesses cosigned (a fork).
      // After a restore, enough witnesses must answer that one of any t that cosigned is among them.
      const marker = join(config.dataDir, RESTORE_MARKER);
      const restored = existsSync(marker);
      await checkAgainstWitnesses({
        size: () => store.size(),
        rootAt: (size) => store.treeHead(size).root,
        registry,
        custodianUrl,
        timeoutMs: config.witnessCheckTimeoutMs ?? 3000,
        required: restored ? registry.custodians.length - registry.threshold + 1 : 0,
        logger,
      });
      if (restored) {
        rmSync(marker, { force: true });
        logger.info('restored log confirmed by the witnesses');
      }
      // Sessions a stop left running continue from the log (docs/PROTOCOL.md §3.8), before any
      // start call can be served: a session resumed later could run beside a new one of its epoch.
      dkg.resumeAll();
      const host = config.host ?? '127.0.0.1';
      const bound = await listen(app, config.port ?? 0, host, tls ? { tls } : {});
      server = bound.server;
      url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${bound.port}`;
      if (metrics) {
        ({ server: metricsServer, url: metricsUrl } = await serveMetrics(metrics, { port: config.metricsPort!, host: config.metricsHost ?? '127.0.0.1' }));
      }
      logger.info({ port: bound.port, size: store.size() }, 'coordinator listening');
      purge();
      purgeTimer = setInterval(purge, 60_000);
      purgeTimer.unref();
      decryption.resumeAll();
      delivery.kick();
      // Entries appended just before a stop may not be in a cosigned checkpoint yet: catch the witnesses up.
      cosigner.schedule();
      externalWitnesses.start();
      return { port: bound.port };
    },
    async close() {
      if (purgeTimer) clearInterval(purgeTimer);
      cosigner.close();
      await externalWitnesses.close();
      await dkg.close();
      changes.close();
      await Promise.all([delivery.close(), decryption.close()]);
      if (server) await closeServer(server);
      server = null;
      if (metricsServer) await closeServer(metricsServer);
      metricsServer = null;
      db.close();
      lock.release();
      logger.info('coordinator closed');
    },
  };
}
