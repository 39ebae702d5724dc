/** Service plumbing (HTTP, client, SQLite). Not part of the pure protocol library. */
export { bearerToken, closeServer, errorHandler, HttpError, jsonApp, listen, loadTls, notFound, type ListenOptions, type TlsFiles, type TlsMaterial, parseBody, rateLimit } from './http';
export { MAX_RESPONSE_BYTES, requestJson, type RequestOptions } from './client';
export { capSize, openDatabase, storageProblem, type DB, type OpenOptions, type StorageProblem } from './db';
export { migrate, NewerDatabaseError, type Migration, type MigrationSpec, type MigrationStep } from './migrations';
export { tryLockDataDir, type DataDirLock } from './lock';
