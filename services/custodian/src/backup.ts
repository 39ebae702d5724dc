/**
 * `custodes custodian backup|restore` (docs/PROTOCOL.md §9.6, Backups and
 * restores). The backup is `custodian.db` as it is: the share and signing key
 * are in it only sealed under the node key (./seal.ts, §3.6), which is never
 * on disk, and the operator token only as its hash, so nothing is unsealed by
 * a backup. The dev-mode unseal keys file beside the database is not copied.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { backupDatabase, BackupError, checkBackup, installDatabase, readExisting, withDataDirHeld } from '@custodes/shared/service';
import type { BackupShape, DB } from '@custodes/shared/service';
import { DB_FILE } from './init';
import { STORE_VERSION } from './store';

const SHAPE: BackupShape = {
  tables: ['node', 'entries', 'witness', 'registry', 'warrants', 'approvals', 'requests', 'reviews', 'served', 'outbox', 'used_calls', 'used_calls_floor'],
  migrations: { migrations: STORE_VERSION },
};

interface Identity {
  custodian: number;
  signingKey: string;
}

function identity(db: DB): Identity | undefined {
  const r = db.prepare('SELECT custodian, signing_key FROM node WHERE id = 1').get() as { custodian: number; signing_key: string } | undefined;
  return r && { custodian: r.custodian, signingKey: r.signing_key };
}

/** A consistent online copy of the node's database at `out` (0600; must not exist), beside a running node. */
export async function backupCustodian(opts: { dataDir: string; out: string }): Promise<{ bytes: number }> {
  const file = join(opts.dataDir, DB_FILE);
  if (!existsSync(file)) throw new BackupError('NO_DATABASE', `${opts.dataDir} holds no custodian`);
  return backupDatabase(file, opts.out);
}

export interface RestoreCustodianOptions {
  dataDir: string;
  /** The backup file. */
  from: string;
  /**
   * The node's public signing key (hex32, as in the registry): required when
   * the data directory holds no readable database to compare the backup with.
   */
  signingKey?: string;
  /** Unix seconds (the node's clock). */
  now?: () => number;
}

export interface RestoreResult {
  custodian: number;
  /** Size of the last checkpoint the restored node cosigned: it catches up from there. */
  witnessSize: number;
  /** Where the replaced database was kept, or null if there was none. */
  replaced: string | null;
}

/**
 * Replaces the node's database with a checked backup of the same node, while
 * no node runs on `dataDir`. The restored node replays the log from its
 * witness size when the coordinator next asks it to cosign (§7.10).
 */
export function restoreCustodian(opts: RestoreCustodianOptions): Promise<RestoreResult> {
  if (opts.signingKey !== undefined && !/^[0-9a-f]{64}$/.test(opts.signingKey)) throw new BackupError('WRONG_NODE', 'signingKey must be 32 bytes of lower-case hex');
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  return withDataDirHeld(opts.dataDir, async () => {
    const backup = checkBackup(opts.from, SHAPE);
    let restored: Identity;
    let witnessSize: number;
    try {
      const found = identity(backup);
      if (!found) throw new BackupError('BAD_BACKUP', `${opts.from} holds no initialised custodian`);
      restored = found;
      witnessSize = (backup.prepare('SELECT size FROM witness WHERE id = 1').pluck().get() as number | undefined) ?? 0;
    } finally {
      backup.close();
    }
    // Unreadable or absent: the operator's signingKey decides instead.
    const current = readExisting(join(opts.dataDir, DB_FILE), identity);
    if (current) {
      if (current.custodian !== restored.custodian || current.signingKey !== restored.signingKey) {
        throw new BackupError('WRONG_NODE', `${opts.from} is a backup of custodian ${restored.custodian} (key ${restored.signingKey.slice(0, 16)}…), not of this node (custodian ${current.custodian}, key ${current.signingKey.slice(0, 16)}…)`);
      }
    } else if (opts.signingKey === undefined) {
      throw new BackupError('WRONG_NODE', `${opts.dataDir} holds no readable custodian to compare the backup with: give the node's public signing key (signingKey, --signing-key)`);
    }
    if (opts.signingKey !== undefined && opts.signingKey !== restored.signingKey) {
      throw new BackupError('WRONG_NODE', `${opts.from} is a backup of the node with key ${restored.signingKey.slice(0, 16)}…, not ${opts.signingKey.slice(0, 16)}…`);
    }
    // Partials calls used after the backup are not in it: every call issued before now is refused
    // as stale (§7.12, One use per call), so none can be used a second time. The coordinator signs
    // a fresh call for every attempt.
    const { replaced } = await installDatabase(opts.dataDir, DB_FILE, opts.from, (db) => {
      db.prepare('INSERT INTO used_calls_floor (id, issued_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET issued_at = MAX(issued_at, excluded.issued_at)').run(now());
    });
    return { custodian: restored.custodian, witnessSize, replaced };
  });
}
