/**
 * Offline set-up of a coordinator's data directory: the genesis registry as
 * log entry 0, and investigator tokens (printed once, stored hashed).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, ed25519PublicKey, hexToBytes, schnorrPublicKey } from '@custodes/shared/crypto';
import { RegistryEntrySchema } from '@custodes/shared/records';
import type { RegistryEntry } from '@custodes/shared/records';
import { capSize, makePrivateDir, openDatabase } from '@custodes/shared/service';
import type { DB } from '@custodes/shared/service';
import { hashToken } from './routes/auth';
import { DB_FILE } from './config';
import { entryKey } from './rules/recordChecks';
import { checkGenesis, Registry } from './rules/registryChecks';
import { CoordinatorError, fail } from './errors';
import { Ledger } from './ledger';
import { openLogStore } from './log/index';
import { migrateCoordinator } from './repo/migrations';
import { Repository } from './repo/repository';

/** Opens (creating if needed, 0600) the coordinator database with every migration applied, then caps it at `maxBytes` if given. */
export function openCoordinatorDb(dataDir: string, maxBytes?: number): DB {
  const db = openDatabase(join(dataDir, DB_FILE), []);
  migrateCoordinator(db);
  if (maxBytes !== undefined) capSize(db, maxBytes);
  return db;
}

/** The x-only public key of a hex32 secret key; throws BAD_REQUEST for junk. */
export function logPublicKey(logSecretKey: string): string {
  try {
    return bytesToHex(schnorrPublicKey(hexToBytes(logSecretKey, 32, 'logSecretKey')));
  } catch {
    fail('BAD_REQUEST', 'logSecretKey must be 32 bytes of lower-case hex');
  }
}

/** The Ed25519 public key of a hex32 note secret key (docs/PROTOCOL.md §4.3); throws BAD_REQUEST for junk. */
export function logNotePublicKey(logNoteSecretKey: string): string {
  try {
    return bytesToHex(ed25519PublicKey(hexToBytes(logNoteSecretKey, 32, 'logNoteSecretKey')));
  } catch {
    fail('BAD_REQUEST', 'logNoteSecretKey must be 32 bytes of lower-case hex');
  }
}

/**
 * The stored registry JSON, refused with DATA_FORMAT_OLD if an older version
 * wrote it: before checkpoints were Ed25519-signed notes its registry had no
 * `logNoteKey` (docs/PROTOCOL.md §4.3, §11), and nothing it logged verifies now.
 */
export function checkDataFormat(dataDir: string, registryJson: string): void {
  const stored = JSON.parse(registryJson) as { logNoteKey?: unknown };
  if (typeof stored !== 'object' || stored === null || typeof stored.logNoteKey !== 'string') {
    fail('DATA_FORMAT_OLD', `${dataDir} was created by an older version of Custodes (BIP340-signed checkpoints, no logNoteKey in its registry); start a new log with a new genesis registry`);
  }
}

export interface InitCoordinatorOptions {
  dataDir: string;
  /** The genesis registry, signed by every custodian it names. */
  registry: RegistryEntry;
  logSecretKey: string;
  /** The log's Ed25519 note key, hex32: signs checkpoints (docs/PROTOCOL.md §4.3). */
  logNoteSecretKey: string;
}

/** Creates the database and logs the genesis registry as entry 0, with a first checkpoint. */
export function initCoordinator(opts: InitCoordinatorOptions): { index: number; logKey: string } {
  const registry = RegistryEntrySchema.parse(opts.registry);
  const logKey = logPublicKey(opts.logSecretKey);
  checkGenesis(registry, logKey, logNotePublicKey(opts.logNoteSecretKey));
  // 0700: the database holds sealed warrants with their salts (shared/src/service/perms.ts).
  makePrivateDir(opts.dataDir);
  if (existsSync(join(opts.dataDir, DB_FILE))) {
    const db = openCoordinatorDb(opts.dataDir);
    const done = new Repository(db).latestRegistry();
    db.close();
    if (done) fail('CONFLICT', `${opts.dataDir} already holds an initialised coordinator`);
  }
  const db = openCoordinatorDb(opts.dataDir);
  try {
    const repo = new Repository(db);
    const store = openLogStore(db, { origin: registry.origin, noteSecretKey: opts.logNoteSecretKey });
    const ledger = new Ledger(store, repo);
    const { index } = ledger.appendOnce(entryKey.registry(0), registry, (i) => repo.putRegistry(0, i, JSON.stringify(registry)));
    if (index !== 0) fail('CONFLICT', 'the log was not empty');
    store.publishCheckpoint();
    return { index, logKey };
  } finally {
    db.close();
  }
}

export interface AddTokenOptions {
  dataDir: string;
  agency: string;
  /** The investigator's registered x-only key. */
  investigator: string;
}

/** A new bearer token bound to a registered investigator; shown once, stored as SHA-256. */
export function addInvestigatorToken(opts: AddTokenOptions): string {
  if (!existsSync(join(opts.dataDir, DB_FILE))) throw new CoordinatorError('NOT_FOUND', `${opts.dataDir} holds no coordinator`);
  const db = openCoordinatorDb(opts.dataDir);
  try {
    const repo = new Repository(db);
    const latest = repo.latestRegistry();
    if (!latest) fail('NOT_FOUND', 'the coordinator has no registry; run initCoordinator first');
    const registry = new Registry(RegistryEntrySchema.parse(JSON.parse(latest.entryJson)), latest.logIndex);
    if (!registry.isInvestigator(opts.agency, opts.investigator)) {
      fail('UNKNOWN_INVESTIGATOR', 'that investigator key is not registered with that agency');
    }
    const token = randomBytes(32).toString('base64url');
    repo.putToken(hashToken(token), opts.agency, opts.investigator, Math.floor(Date.now() / 1000));
    return token;
  } finally {
    db.close();
  }
}
