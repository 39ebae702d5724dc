/**
 * `custodes custodian backup|restore` and `--metrics-port` from the command
 * line (docs/PROTOCOL.md §9.5, §9.6): an online backup of a running node
 * (0600), a restore refused while it runs, bad input refused in one line on
 * stderr with a non-zero exit, and a restore once it is stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { custodes } from './run';

const BIN = fileURLToPath(new URL('../../scripts/bin/custodes.js', import.meta.url));

function oneLine(r: { status: number | null; stderr: string }, message: RegExp): void {
  expect(r.status).not.toBe(0);
  expect(r.stderr.trimEnd()).toMatch(message);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\bat .*:\d+:\d+/);
}

describe('custodes custodian backup / restore', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'custodes-backup-cli-'));
  const data = join(dir, 'node');
  let child: ChildProcess;
  let metricsUrl = '';

  beforeAll(async () => {
    expect(custodes(['ceremony', '--threshold', '2', '--custodians', '3', '--epoch', '1', '--out', join(dir, 'keys')]).status).toBe(0);
    expect(custodes(['keygen', '--out', join(dir, 'c1.key')]).status).toBe(0);
    const init = custodes(['custodian', 'init', '--data', data, '--share', join(dir, 'keys', 'share-1.json'), '--key', join(dir, 'c1.key')]);
    expect(init.status, init.stderr).toBe(0);
    child = spawn(process.execPath, [BIN, 'custodian', 'start', '--data', data, '--coordinator', 'http://127.0.0.1:9', '--port', '0', '--metrics-port', '0'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    metricsUrl = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString('utf8');
        const m = /metrics at (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`node exited with ${code}: ${out}`)));
    });
  }, 300_000);

  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('the started node serves metrics on its metrics port, sealed = 1', async () => {
    const text = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(text).toMatch(/^custodes_custodian_sealed\{service="custodian"\} 1$/m);
    expect(text).toMatch(/^custodes_storage_state\{state="ok",service="custodian"\} 1$/m);
  });

  it('backs up the running node to a 0600 file, and refuses to overwrite it', () => {
    const out = join(dir, 'node.backup');
    const r = custodes(['custodian', 'backup', '--data', data, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^backup of .* written to .*node\.backup \(\d+ bytes\)$/m);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    oneLine(custodes(['custodian', 'backup', '--data', data, '--out', out]), /^custodes: .*node\.backup already exists; refusing to overwrite it$/);
    oneLine(custodes(['custodian', 'backup', '--data', join(dir, 'nowhere'), '--out', join(dir, 'x')]), /^custodes: .*nowhere holds no custodian$/);
  });

  it('refuses to restore while the node runs, then restores once it is stopped, keeping the replaced database', async () => {
    const out = join(dir, 'node.backup');
    oneLine(custodes(['custodian', 'restore', '--data', data, '--from', out]), /^custodes: .* is in use by a running service: stop it before restoring$/);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    const junk = join(dir, 'junk.backup');
    writeFileSync(junk, 'not a database');
    oneLine(custodes(['custodian', 'restore', '--data', data, '--from', junk]), /^custodes: .*junk\.backup (cannot be opened as a database|is not a usable SQLite database)/);
    oneLine(custodes(['custodian', 'restore', '--data', data, '--from', out, '--signing-key', 'zz']), /^custodes: signingKey must be 32 bytes of lower-case hex$/);
    const r = custodes(['custodian', 'restore', '--data', data, '--from', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^restored custodian 1 from .*; the replaced database is kept as .*custodian\.db\.replaced-/m);
    expect(readdirSync(data).some((f) => f.startsWith('custodian.db.replaced-'))).toBe(true);
  });

  it('start refuses a bad --metrics-port in one line', () => {
    oneLine(custodes(['custodian', 'start', '--data', data, '--coordinator', 'http://127.0.0.1:9', '--metrics-port', 'x']), /^custodes: --metrics-port must be an integer, got 'x'$/);
  });
});
