/**
 * `custodes custodian add-officer` (docs/PROTOCOL.md §7.13, Officers): prints
 * each officer's token once and stores only its hash; `--require` sets m;
 * bad input is one line on stderr with a non-zero exit.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { custodes } from './run';

describe('custodes custodian add-officer', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'custodes-officers-'));
  const data = join(dir, 'node');

  beforeAll(() => {
    expect(custodes(['ceremony', '--threshold', '2', '--custodians', '3', '--epoch', '1', '--out', join(dir, 'keys')]).status).toBe(0);
    expect(custodes(['keygen', '--out', join(dir, 'c1.key')]).status).toBe(0);
    const init = custodes(['custodian', 'init', '--data', data, '--share', join(dir, 'keys', 'share-1.json'), '--key', join(dir, 'c1.key')]);
    expect(init.status, init.stderr).toBe(0);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints each token once, sets m with --require, and stores no token in the clear', () => {
    const alice = custodes(['custodian', 'add-officer', '--data', data, '--name', 'alice']);
    expect(alice.status, alice.stderr).toBe(0);
    expect(alice.stdout).toMatch(/^officer alice added in .*; no quorum set: each token decides alone \(set one with --require\)\n/);
    const bob = custodes(['custodian', 'add-officer', '--data', data, '--name', 'bob', '--require', '2']);
    expect(bob.status, bob.stderr).toBe(0);
    expect(bob.stdout).toContain('2 of 2 officers must approve');
    const tokens = [alice, bob].map((r) => /Officer token for \w+ \(shown ONCE[^\n]*\n\s+(\S+)/.exec(r.stdout)?.[1] ?? '');
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const f of readdirSync(data)) {
      const bytes = readFileSync(join(data, f)).toString('latin1');
      for (const t of tokens) expect(bytes.includes(t), f).toBe(false);
    }
  });

  it('bad input: one line on stderr, non-zero exit', () => {
    for (const args of [
      ['--name', 'Bad Name'],
      ['--name', 'alice'],
      ['--name', 'carol', '--require', '9'],
      ['--name', 'dave', '--require', '0'],
      ['--name', 'erin', '--require', 'x'],
    ]) {
      const r = custodes(['custodian', 'add-officer', '--data', data, ...args]);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
    const nowhere = custodes(['custodian', 'add-officer', '--data', join(dir, 'none'), '--name', 'frank']);
    expect(nowhere.status).not.toBe(0);
    expect(nowhere.stderr).toMatch(/holds no custodian/);
  });
});
