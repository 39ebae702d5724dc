/**
 * Data directories are the service's alone (shared/src/service/perms.ts;
 * docs/PROTOCOL.md §9.2, Storage): init makes the directory 0700 and every file
 * 0600 — also when the directory already existed, wider — and a start refuses
 * INSECURE_PERMISSIONS when another user could read or write a database, its
 * -wal/-shm, a key file or the lock, or write the directory; a directory others
 * can only list starts with a warning.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createCoordinator, initCoordinator } from '@custodes/coordinator';
import { createCustodian, initCustodian } from '@custodes/custodian';
import { buildWorld, keyFile, removeTempDirs, tempDir } from '../custodian/fixture';

const world = buildWorld();
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

afterAll(removeTempDirs);

/** A pino logger whose lines land in `lines`. */
function capture(lines: string[]) {
  return pino({ level: 'warn' }, new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) }));
}

function expectInsecure(fn: () => unknown, path: string) {
  try {
    fn();
  } catch (err) {
    expect((err as { code?: string }).code).toBe('INSECURE_PERMISSIONS');
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).not.toContain('\n');
    return;
  }
  expect.fail(`started with ${path} mode ${mode(path)}`);
}

describe('coordinator data directory', { timeout: 60_000 }, () => {
  const coordinator = (dataDir: string, lines: string[] = []) =>
    createCoordinator({ dataDir, origin: world.registry.origin, logSecretKey: world.logKey.secretKey, logNoteSecretKey: world.logKey.noteSecretKey, logger: capture(lines) });

  it('is made 0700 with a 0600 database at init, even when it existed as 0755, and so are the files made at start', async () => {
    const dataDir = join(tempDir(), 'coord');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    initCoordinator({ dataDir, registry: world.registry, logSecretKey: world.logKey.secretKey, logNoteSecretKey: world.logKey.noteSecretKey });
    expect(mode(dataDir)).toBe('700');
    expect(mode(join(dataDir, 'coordinator.db'))).toBe('600');
    const c = coordinator(dataDir);
    await c.start();
    for (const f of ['coordinator.db', 'coordinator.db-wal', 'coordinator.db-shm', 'service.lock']) expect(mode(join(dataDir, f)), f).toBe('600');
    await c.close();
  });

  it('refuses to start when the database, its WAL or the lock is readable by others, or the directory writable by others', () => {
    const dataDir = tempDir();
    initCoordinator({ dataDir, registry: world.registry, logSecretKey: world.logKey.secretKey, logNoteSecretKey: world.logKey.noteSecretKey });
    const db = join(dataDir, 'coordinator.db');
    chmodSync(db, 0o644);
    expectInsecure(() => coordinator(dataDir), db);
    chmodSync(db, 0o640);
    expectInsecure(() => coordinator(dataDir), db);
    chmodSync(db, 0o600);
    chmodSync(dataDir, 0o770);
    expectInsecure(() => coordinator(dataDir), dataDir);
    chmodSync(dataDir, 0o700);
  });

  it('starts with a warning when others may only list the directory', async () => {
    const dataDir = tempDir();
    initCoordinator({ dataDir, registry: world.registry, logSecretKey: world.logKey.secretKey, logNoteSecretKey: world.logKey.noteSecretKey });
    chmodSync(dataDir, 0o755);
    const lines: string[] = [];
    const c = coordinator(dataDir, lines);
    await c.start();
    await c.close();
    expect(lines.join('')).toContain('chmod 700');
  });
});

describe('custodian data directory', { timeout: 60_000 }, () => {
  const init = (dataDir: string) => initCustodian({ dataDir, shareFile: world.shares[0], keyFile: keyFile(world.custodians[0]!), dev: true });
  const custodian = (dataDir: string) => createCustodian({ dataDir, coordinatorUrl: 'http://127.0.0.1:1', logLevel: 'silent' });

  it('is made 0700 with a 0600 store and dev keys at init into an existing 0755 directory', async () => {
    const dataDir = tempDir();
    chmodSync(dataDir, 0o755);
    await init(dataDir);
    expect(mode(dataDir)).toBe('700');
    expect(mode(join(dataDir, 'custodian.db'))).toBe('600');
    expect(mode(join(dataDir, 'dev-unseal-keys.json'))).toBe('600');
    const c = custodian(dataDir);
    await c.start();
    for (const f of ['custodian.db', 'custodian.db-wal', 'custodian.db-shm', 'service.lock']) expect(mode(join(dataDir, f)), f).toBe('600');
    await c.close();
  });

  it('refuses to start when the store, its WAL, the dev keys or the lock is readable by others', async () => {
    const dataDir = tempDir();
    await init(dataDir);
    await (async () => {
      const c = custodian(dataDir);
      await c.start();
      await c.close();
    })();
    for (const f of ['custodian.db', 'custodian.db-wal', 'dev-unseal-keys.json', 'service.lock']) {
      const path = join(dataDir, f);
      try {
        statSync(path);
      } catch {
        continue; // the WAL is gone after a clean close
      }
      chmodSync(path, 0o604);
      expectInsecure(() => custodian(dataDir), path);
      chmodSync(path, 0o600);
    }
    chmodSync(dataDir, 0o707);
    expectInsecure(() => custodian(dataDir), dataDir);
    chmodSync(dataDir, 0o700);
    const c = custodian(dataDir);
    await c.start();
    await c.close();
  });
});
