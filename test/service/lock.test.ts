/**
 * One running service per data directory (shared/src/service/lock.ts,
 * tryLockDataDir): refused to a second holder in this process or another,
 * free again after release, and after the holder is killed (no stale lock).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tryLockDataDir } from '@custodes/shared/service';

const LOCK_MODULE = fileURLToPath(new URL('../../shared/src/service/lock.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'custodes-lock-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Node code, run in a child process with tsx, that tries the lock and prints `held` or `refused`, then waits `holdMs`. */
const tryInChild = (holdMs = 0) =>
  `const { tryLockDataDir } = await import(${JSON.stringify(LOCK_MODULE)});
   const lock = tryLockDataDir(${JSON.stringify(dir)});
   console.log(lock ? 'held' : 'refused');
   await new Promise((r) => setTimeout(r, ${holdMs}));`;

const childTry = () => spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', tryInChild()], { encoding: 'utf8', timeout: 60_000 }).stdout.trim();

describe('tryLockDataDir', { timeout: 120_000 }, () => {
  it('refuses a second holder in this process and in another; after release the directory is free', () => {
    const first = tryLockDataDir(dir);
    expect(first).not.toBeNull();
    expect(tryLockDataDir(dir)).toBeNull();
    expect(childTry()).toBe('refused');
    first!.release();
    first!.release(); // twice is harmless
    const again = tryLockDataDir(dir);
    expect(again).not.toBeNull();
    again!.release();
    expect(childTry()).toBe('held');
  });

  it('is free again once its holder is killed (SIGKILL): the operating system drops the lock', async () => {
    const holder = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', tryInChild(60_000)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const said = await new Promise<string>((resolve) => holder.stdout.once('data', (d: Buffer) => resolve(d.toString('utf8').trim())));
    expect(said).toBe('held');
    expect(tryLockDataDir(dir)).toBeNull();
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    const after = tryLockDataDir(dir);
    expect(after).not.toBeNull();
    after!.release();
  });
});
