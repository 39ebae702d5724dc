/**
 * Who may read a node's data directory (docs/PROTOCOL.md §9.2, Storage). The
 * coordinator's database holds sealed warrants with their salts (a salt opens
 * the logged commitment: docs/PROTOCOL.md §3.5), a custodian's its sealed share box
 * and its replica, and both directories may hold key files: another local user
 * must not read or replace any of them. Directories are 0700 and files 0600,
 * made so at init and checked at every start.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CustodesError } from '../errors';

// ## Making

/** Creates `dir` (and its parents) if needed and sets it to 0700: a service's data directory, at init. */
export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32') chmodSync(dir, 0o700);
}

/**
 * Creates `file` empty with mode 0600 if it does not exist, so that SQLite
 * opens a file that was never wider (it creates its -wal and -shm with the
 * mode of the database file). An existing file is left as it is: the start
 * check judges it.
 */
export function makePrivateFile(file: string): void {
  if (file === ':memory:' || existsSync(file)) return;
  closeSync(openSync(file, 'a', 0o600));
}

// ## Checking

/** The SQLite companions of a database file, which hold its pages too. */
export function databaseFiles(name: string): string[] {
  return [name, `${name}-wal`, `${name}-shm`];
}

/** What `checkDataDir` tolerated, for the operator's log. */
export interface PermissionWarning {
  path: string;
  mode: string;
  message: string;
}

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(3, '0');

function insecure(path: string, mode: number, why: string): never {
  throw new CustodesError('INSECURE_PERMISSIONS', `${path} is mode ${octal(mode)}: ${why}; run chmod ${why.startsWith('directory') ? '700' : '600'} ${path}`);
}

/**
 * Refuses (CustodesError INSECURE_PERMISSIONS, one line naming the path, its
 * mode and the chmod that fixes it) a data directory another user could write
 * (they could replace the database or a key), and any of `files` (names in
 * `dir`; absent ones are skipped) that another user could read or write.
 * A directory others may only list or enter is tolerated with a warning: the
 * files in it are what hold secrets, and they are checked here one by one.
 * No-op on Windows, whose permissions are ACLs.
 */
export function checkDataDir(dir: string, files: readonly string[]): PermissionWarning[] {
  if (process.platform === 'win32') return [];
  const warnings: PermissionWarning[] = [];
  const d = statSync(dir).mode;
  if (d & 0o022) insecure(dir, d, 'directory writable by other users');
  if (d & 0o055) warnings.push({ path: dir, mode: octal(d), message: `${dir} is mode ${octal(d)}: other users can list it; chmod 700 ${dir}` });
  for (const name of files) {
    const path = join(dir, name);
    if (!existsSync(path)) continue;
    const m = statSync(path).mode;
    if (m & 0o077) insecure(path, m, 'readable or writable by other users');
  }
  return warnings;
}
