/**
 * A custodian set up from a fresh data directory with the CLI: init prints
 * the unseal keys and operator token once, the node starts sealed and refuses
 * everything but health and unseal, K of M keys unseal it (one per call), a
 * wrong key does not, and re-sealing works. Bad values of start's numeric
 * flags, and a port already in use, are one line on stderr with a non-zero exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { custodes } from './run';

const BIN = fileURLToPath(new URL('../../scripts/bin/custodes.js', import.meta.url));

async function waitFor(url: string, child: ChildProcess, deadlineMs = 180_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (let delay = 50; Date.now() < end; delay = Math.min(500, delay * 2)) {
    if (child.exitCode !== null) throw new Error(`node exited with ${child.exitCode}`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, delay));
  }
  throw new Error(`${url} did not answer in time`);
}

describe('custodes custodian init / start / unseal', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'custodes-node-'));
  const data = join(dir, 'node');
  const port = 20_000 + Math.floor(Math.random() * 40_000);
  const node = `http://127.0.0.1:${port}`;
  let unsealKeys: string[] = [];
  let token = '';
  let child: ChildProcess;

  beforeAll(async () => {
    expect(custodes(['ceremony', '--threshold', '2', '--custodians', '3', '--epoch', '1', '--out', join(dir, 'keys')]).status).toBe(0);
    expect(custodes(['keygen', '--out', join(dir, 'c1.key')]).status).toBe(0);
    const init = custodes(['custodian', 'init', '--data', data, '--share', join(dir, 'keys', 'share-1.json'), '--key', join(dir, 'c1.key'), '--unseal-keys', '5', '--unseal-threshold', '3']);
    expect(init.status, init.stderr).toBe(0);
    unsealKeys = [...init.stdout.matchAll(/^\s+\d: ([0-9a-f]+)$/gm)].map((m) => m[1]!);
    token = /Operator token[^\n]*\n\s+(\S+)/.exec(init.stdout)?.[1] ?? '';
    // The tuning flags are accepted (the node would exit otherwise).
    const start = ['custodian', 'start', '--data', data, '--coordinator', 'http://127.0.0.1:9', '--port', String(port), '--call-window', '60', '--outbox-grace-ms', '1000', '--max-db-mb', '64'];
    child = spawn(process.execPath, [BIN, ...start], { stdio: 'ignore' });
    // A sealed node answers /health 503 (docs/PROTOCOL.md §9.5); ?sealedok=1 asks whether it is up at all.
    await waitFor(`${node}/health?sealedok=1`, child);
  }, 300_000);

  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it('init printed 5 unseal keys and a token, and stored neither in the clear', () => {
    expect(unsealKeys).toHaveLength(5);
    expect(token.length).toBeGreaterThanOrEqual(32);
    const onDisk = readdirSync(data).map((f) => readFileSync(join(data, f)).toString('latin1')).join('');
    for (const k of unsealKeys) expect(onDisk).not.toContain(k);
    expect(onDisk).not.toContain(token);
    const share = JSON.parse(readFileSync(join(dir, 'keys', 'share-1.json'), 'utf8')).share as string;
    expect(onDisk).not.toContain(share);
  });

  it('starts sealed and refuses operator and witness calls with 503 sealed', async () => {
    const status = custodes(['custodian', 'status', '--node', node]);
    expect(JSON.parse(status.stdout)).toMatchObject({ sealed: true, progress: 0, threshold: 3 });
    const queue = custodes(['custodian', 'queue', '--node', node, '--token', token]);
    expect(queue.status).toBe(1);
    expect(queue.stderr).toMatch(/sealed/);
    const witness = await fetch(`${node}/witness/v1/add-checkpoint`, { method: 'POST', body: 'old 0\n\nx' });
    expect(witness.status).toBe(503);
  });

  it('a wrong key is refused alone with a clear error and not counted; three of five real keys unseal it, one per call', async () => {
    // Each key is checked against its commitment as it comes (docs/PROTOCOL.md §3.6): junk never enters the progress.
    expect(custodes(['custodian', 'unseal', '--node', node, '--key', unsealKeys[1]!]).stdout).toMatch(/still sealed: 1 of 3/);
    const failed = custodes(['custodian', 'unseal', '--node', node, '--key', 'ab'.repeat(33)]);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/^custodes: WRONG_UNSEAL_KEY/);
    expect(failed.stderr).not.toContain('ab'.repeat(33));
    expect(JSON.parse(custodes(['custodian', 'status', '--node', node]).stdout)).toMatchObject({ sealed: true, progress: 1 });
    const next = custodes(['custodian', 'unseal', '--node', node, '--key', unsealKeys[4]!]);
    expect(next.status, next.stderr).toBe(0);
    expect(next.stdout).toMatch(/still sealed: 2 of 3/);
    const last = custodes(['custodian', 'unseal', '--node', node, '--key', unsealKeys[2]!]);
    expect(last.stdout).toMatch(/^unsealed/);
    const queue = custodes(['custodian', 'queue', '--node', node, '--token', token]);
    expect(queue.status, queue.stderr).toBe(0);
    expect(custodes(['custodian', 'queue', '--node', node, '--token', 'x'.repeat(40)]).stderr).toMatch(/UNAUTHENTICATED/);
  });

  it.each([
    [['--outbox-grace-ms', 'x'], /^custodes: --outbox-grace-ms must be an integer, got 'x'$/],
    [['--outbox-grace-ms', '1.5'], /^custodes: --outbox-grace-ms must be an integer/],
    [['--outbox-grace-ms', '-1'], /^custodes: --outbox-grace-ms must be at least 0, got '-1'$/],
    [['--outbox-grace-ms', '99999999999999999999'], /^custodes: --outbox-grace-ms is out of range$/],
    // An integer the CLI takes, refused by the node's own config check (BAD_OPTIONS): a timer that long would fire at once.
    [['--outbox-grace-ms', String(2 ** 31)], /^custodes: outboxGraceMs must be an integer in \[0, 2147483647\]$/],
    [['--call-window', '-5'], /^custodes: --call-window must be at least 0, got '-5'$/],
    [['--max-db-mb', '0'], /^custodes: --max-db-mb must be at least 1, got '0'$/],
    [['--max-db-mb', '1e3'], /^custodes: --max-db-mb must be an integer, got '1e3'$/],
  ])('start refuses %j: non-zero exit, one line on stderr, no stack', (flag, message) => {
    // A second node on the same data directory: each value is refused before the directory is looked at.
    const r = custodes(['custodian', 'start', '--data', data, '--coordinator', 'http://127.0.0.1:9', '--port', '0', ...flag]);
    expect(r.status).not.toBe(0);
    expect(r.stderr.trimEnd()).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\bat .*:\d+:\d+/);
  });

  it('start on the data directory of a running node is refused in one line, whatever the port', () => {
    const r = custodes(['custodian', 'start', '--data', data, '--coordinator', 'http://127.0.0.1:9', '--port', '0']);
    expect(r.status).toBe(1);
    expect(r.stderr.trimEnd()).toBe(`custodes: ${data} is in use by another running custodian (one per data directory)`);
  });

  it('start on a port already in use is one line on stderr and exit 1, not a stack', () => {
    // Another node (its own data directory) asks for the port the first one holds.
    const other = join(dir, 'node-2');
    expect(custodes(['keygen', '--out', join(dir, 'c2.key')]).status).toBe(0);
    const init = custodes(['custodian', 'init', '--data', other, '--share', join(dir, 'keys', 'share-2.json'), '--key', join(dir, 'c2.key'), '--unseal-keys', '2', '--unseal-threshold', '2']);
    expect(init.status, init.stderr).toBe(0);
    const r = custodes(['custodian', 'start', '--data', other, '--coordinator', 'http://127.0.0.1:9', '--port', String(port)]);
    expect(r.status).toBe(1);
    expect(r.stderr.trimEnd()).toBe(`custodes: cannot listen on 127.0.0.1:${port}: it is already in use (choose another --port)`);
    expect(r.stderr).not.toMatch(/\bat .*:\d+:\d+/);
  });

  it('re-seals on request', () => {
    expect(custodes(['custodian', 'seal', '--node', node, '--token', token]).status).toBe(0);
    expect(JSON.parse(custodes(['custodian', 'status', '--node', node]).stdout).sealed).toBe(true);
  });
});
