/** Service plumbing (HTTP, client, SQLite). Not part of the pure protocol library. */
export { bearerToken, closeServer, errorHandler, HttpError, jsonApp, listen, notFound, type ListenOptions, parseBody, rateLimit } from './http';
export { MAX_RESPONSE_BYTES, requestJson, type RequestOptions } from './client';
export { capSize, openDatabase, storageProblem, type DB, type OpenOptions, type StorageProblem } from './db';
export { migrate, NewerDatabaseError, type Migration, type MigrationSpec, type MigrationStep } from './migrations';
export { tryLockDataDir, type DataDirLock } from './lock';
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
