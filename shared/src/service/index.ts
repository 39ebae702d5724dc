/** Service plumbing (HTTP, client, SQLite). Not part of the pure protocol library. */
export { DepthScan, jsonBody, KiB, MiB, type BodyLimits } from './body';
export { bearerToken, closeServer, closeUnreadBody, errorHandler, HttpError, jsonApp, KEEP_ALIVE_TIMEOUT_MS, listen, loadTls, notFound, type ListenOptions, type TlsFiles, type TlsMaterial, parseBody, rateLimit } from './http';
export { MAX_RESPONSE_BYTES, requestJson, type RequestOptions } from './client';
export { capSize, openDatabase, storageProblem, type DB, type OpenOptions, type StorageProblem } from './db';
export { migrate, NewerDatabaseError, type Migration, type MigrationSpec, type MigrationStep } from './migrations';
export { LOCK_FILE, tryLockDataDir, type DataDirLock } from './lock';
export { checkDataDir, databaseFiles, makePrivateDir, makePrivateFile, type PermissionWarning } from './perms';
export { checkTransport, isLoopbackHost } from './transport';
export { createMetricsRegistry, metricsApp, requestMetrics, routeOf, serveMetrics, storageMetrics, UNMATCHED_ROUTE, type MetricsServerOptions } from './metrics';
export { StorageMonitor, type StorageFailure, type StorageSnapshot, type StorageState } from './storageHealth';
export { backupDatabase, BackupError, checkBackup, installDatabase, readExisting, withDataDirHeld, type BackupCode, type BackupShape } from './backup';
export {
  MIN_WEBHOOK_SECRET_BYTES,
  signWebhook,
  verifyWebhook,
  WEBHOOK_HEADERS,
  WebhookSender,
  type WebhookEvent,
  type WebhookOptions,
  type WebhookVerdict,
} from './webhook';
