/**
 * `custodes coordinator backup|restore` (docs/PROTOCOL.md §9.6, Backups and
 * restores). The backup is `coordinator.db` as it is: results are stored
 * sealed to their investigators (§3.7) and bearer tokens as hashes; the log
 * key is a file of its own in the data directory and is not copied.
 *
 * A restore checks that the backup is of this log (origin and log key), and
 * refuses one older than the newest checkpoint the replaced database
 * published: that checkpoint may have been cosigned, and the witnesses would
 * then hold entries the restored log lacks. It leaves a marker so that the
 * next start asks the witnesses before signing anything (./witnessCheck.ts),
 * which also catches an old backup restored onto an empty directory.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backupDatabase, BackupError, checkBackup, installDatabase, readExisting, withDataDirHeld } from '@custodes/shared/service';
import type { BackupShape, DB } from '@custodes/shared/service';
import { DB_FILE } from './config';
import { LOG_MIGRATIONS } from './log/migrations';
import { COORDINATOR_MIGRATIONS } from './repo/migrations';

/** Left by a restore; the next start asks the witnesses first and removes it once they agree. */
export const RESTORE_MARKER = 'restored.json';

const SHAPE: BackupShape = {
  tables: ['entry_keys', 'registry', 'tokens', 'warrants', 'deliveries', 'requests', 'witnesses', 'log_entries', 'log_checkpoints'],
  migrations: { coordinator_migrations: COORDINATOR_MIGRATIONS.length, log_migrations: LOG_MIGRATIONS.length },
};

interface LogState {
  origin: string;
  logKey: string;
  /** Entries stored. */
  size: number;
  /** Size of the newest published checkpoint (0 if none). */
  checkpoint: number;
}

function logState(db: DB): LogState | undefined {
  const json = db.prepare('SELECT entry_json FROM registry ORDER BY sequence DESC LIMIT 1').pluck().get() as string | undefined;
  if (json === undefined) return undefined;
  const registry = JSON.parse(json) as { origin?: unknown; logKey?: unknown };
  if (typeof registry.origin !== 'string' || typeof registry.logKey !== 'string') return undefined;
  const last = db.prepare('SELECT MAX(idx) FROM log_entries').pluck().get() as number | null;
  const checkpoint = (db.prepare('SELECT MAX(size) FROM log_checkpoints').pluck().get() as number | null) ?? 0;
  return { origin: registry.origin, logKey: registry.logKey, size: last === null ? 0 : last + 1, checkpoint };
}

/** A consistent online copy of the coordinator's database at `out` (0600; must not exist), beside a running coordinator. */
export async function backupCoordinator(opts: { dataDir: string; out: string }): Promise<{ bytes: number }> {
  const file = join(opts.dataDir, DB_FILE);
  if (!existsSync(file)) throw new BackupError('NO_DATABASE', `${opts.dataDir} holds no coordinator`);
  return backupDatabase(file, opts.out);
}

export interface RestoreCoordinatorOptions {
  dataDir: string;
  from: string;
  /** This log's origin and x-only log key (from the data directory's coordinator.json and log.key). */
  origin: string;
  logKey: string;
}

export interface RestoreCoordinatorResult {
  /** Entries in the restored log. */
  size: number;
  replaced: string | null;
}

/** Replaces the coordinator's database with a checked backup of the same log, while no coordinator runs on `dataDir`. */
export function restoreCoordinator(opts: RestoreCoordinatorOptions): Promise<RestoreCoordinatorResult> {
  return withDataDirHeld(opts.dataDir, async () => {
    const backup = checkBackup(opts.from, SHAPE);
    let restored: LogState | undefined;
    try {
      restored = logState(backup);
    } finally {
      backup.close();
    }
    if (!restored) throw new BackupError('BAD_BACKUP', `${opts.from} holds no initialised coordinator`);
    if (restored.origin !== opts.origin || restored.logKey !== opts.logKey) {
      throw new BackupError('WRONG_NODE', `${opts.from} is a backup of the log ${restored.origin} (key ${restored.logKey.slice(0, 16)}…), not of this one (${opts.origin}, key ${opts.logKey.slice(0, 16)}…)`);
    }
    // Unreadable or absent: the witnesses decide at the next start.
    const current = readExisting(join(opts.dataDir, DB_FILE), logState);
    if (current && current.checkpoint > restored.size) {
      throw new BackupError(
        'OLDER_BACKUP',
        `${opts.from} holds ${restored.size} entries, but this coordinator already published a checkpoint of size ${current.checkpoint}, which witnesses may have cosigned: restoring it would fork the log; use a newer backup`,
      );
    }
    const marker = join(opts.dataDir, RESTORE_MARKER);
    writeFileSync(marker, JSON.stringify({ from: opts.from, size: restored.size, at: new Date().toISOString() }) + '\n', { mode: 0o600 });
    try {
      const { replaced } = await installDatabase(opts.dataDir, DB_FILE, opts.from);
      return { size: restored.size, replaced };
    } catch (err) {
      rmSync(marker, { force: true });
      throw err;
    }
  });
}
