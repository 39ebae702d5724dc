/**
 * A node whose data an older version wrote (BIP340 checkpoints, no Ed25519
 * keys) refuses to start with one clear line, DATA_FORMAT_OLD (docs/PROTOCOL.md
 * §9.1, §4.3): the coordinator when its stored registry has no `logNoteKey`,
 * a custodian when its node row has no witness key (store migration 8).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createCoordinator, initCoordinator } from '@custodes/coordinator';
import { createCustodian, initCustodian } from '@custodes/custodian';
import { custodes } from '../cli/run';
import { buildWorld, keyFile, removeTempDirs, tempDir } from '../custodian/fixture';

const world = buildWorld();
afterAll(removeTempDirs);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect((err as Error).message).not.toContain('\n');
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('coordinator', () => {
  const config = (dataDir: string) => ({ dataDir, origin: world.registry.origin, logSecretKey: world.logKey.secretKey, logNoteSecretKey: world.logKey.noteSecretKey });

  /** A data directory as an older version left it: the genesis registry without logNoteKey. */
  function oldDataDir(): string {
    const dataDir = tempDir();
    initCoordinator({ dataDir, registry: world.registry, logSecretKey: world.logKey.secretKey, logNoteSecretKey: world.logKey.noteSecretKey });
    const db = new Database(join(dataDir, 'coordinator.db'));
    const { logNoteKey: _dropped, ...old } = world.registry;
    db.prepare('UPDATE registry SET entry_json = ? WHERE sequence = 0').run(JSON.stringify(old));
    db.close();
    return dataDir;
  }

  it('starts on data this version wrote', async () => {
    const dataDir = tempDir();
    initCoordinator({ dataDir, registry: world.registry, logSecretKey: world.logKey.secretKey, logNoteSecretKey: world.logKey.noteSecretKey });
    const c = createCoordinator(config(dataDir));
    await c.close();
  });

  it('refuses BAD_REGISTRY when its Ed25519 note key is not the registry\'s logNoteKey', () => {
    const dataDir = tempDir();
    initCoordinator({ dataDir, registry: world.registry, logSecretKey: world.logKey.secretKey, logNoteSecretKey: world.logKey.noteSecretKey });
    expect(codeOf(() => createCoordinator({ ...config(dataDir), logNoteSecretKey: world.custodians[0]!.noteSecretKey }))).toBe('BAD_REGISTRY');
    expect(codeOf(() => initCoordinator({ dataDir: tempDir(), registry: world.registry, logSecretKey: world.logKey.secretKey, logNoteSecretKey: world.custodians[0]!.noteSecretKey }))).toBe('BAD_REGISTRY');
  });

  it('refuses DATA_FORMAT_OLD on a registry without logNoteKey, and again at the next try (the lock is released)', () => {
    const dataDir = oldDataDir();
    expect(codeOf(() => createCoordinator(config(dataDir)))).toBe('DATA_FORMAT_OLD');
    expect(codeOf(() => createCoordinator(config(dataDir)))).toBe('DATA_FORMAT_OLD');
  });

  it('`custodes coordinator start` says so in one line on stderr and exits non-zero', () => {
    const dataDir = oldDataDir();
    writeFileSync(join(dataDir, 'log.key'), JSON.stringify(keyFile(world.logKey)), { mode: 0o600 });
    writeFileSync(join(dataDir, 'coordinator.json'), JSON.stringify({ origin: world.registry.origin }), { mode: 0o600 });
    const r = custodes(['coordinator', 'start', '--data', dataDir, '--port', '0']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/^custodes: .*was created by an older version of Custodes[^\n]*\n$/);
  });
});

describe('custodian', () => {
  const coordinatorUrl = 'http://127.0.0.1:9';

  it('starts on a store this version wrote, and refuses DATA_FORMAT_OLD on one without a witness key', async () => {
    const dataDir = tempDir();
    await initCustodian({ dataDir, shareFile: world.shares[0], keyFile: keyFile(world.custodians[0]!), dev: true });
    const node = createCustodian({ dataDir, coordinatorUrl, logLevel: 'silent' });
    await node.close();
    const db = new Database(join(dataDir, 'custodian.db'));
    db.prepare('UPDATE node SET witness_key = NULL').run();
    db.close();
    expect(codeOf(() => createCustodian({ dataDir, coordinatorUrl, logLevel: 'silent' }))).toBe('DATA_FORMAT_OLD');
  });

  it('init refuses a key file without the Ed25519 pair (an older custodes keygen wrote it)', async () => {
    const { noteSecretKey: _s, notePublicKey: _p, ...old } = keyFile(world.custodians[0]!);
    await expect(initCustodian({ dataDir: tempDir(), shareFile: world.shares[0], keyFile: old })).rejects.toMatchObject({ code: 'BAD_KEY_FILE' });
    const mismatched = { ...keyFile(world.custodians[0]!), notePublicKey: world.custodians[1]!.notePublicKey };
    await expect(initCustodian({ dataDir: tempDir(), shareFile: world.shares[0], keyFile: mismatched })).rejects.toMatchObject({ code: 'BAD_KEY_FILE' });
  });
});
