/** `custodes coordinator start` flags: a bad value is one line on stderr and a non-zero exit, before anything is opened. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { custodes } from './run';

const data = join(mkdtempSync(join(tmpdir(), 'custodes-coord-cli-')), 'coordinator');

describe('custodes coordinator start', { timeout: 60_000 }, () => {
  it.each([
    [['--max-db-mb', '0'], /^custodes: --max-db-mb must be at least 1, got '0'$/],
    [['--max-db-mb', 'lots'], /^custodes: --max-db-mb must be an integer, got 'lots'$/],
    [['--max-db-mb', '99999999999999999999'], /^custodes: --max-db-mb is out of range$/],
  ])('refuses %j: non-zero exit, one line on stderr, no stack', (flag, message) => {
    const r = custodes(['coordinator', 'start', '--data', data, '--port', '0', ...flag]);
    expect(r.status).not.toBe(0);
    expect(r.stderr.trimEnd()).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\bat .*:\d+:\d+/);
  });
});
