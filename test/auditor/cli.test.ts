/**
 * The `custodes audit` commands as the CLI mounts them (registerAuditCommands):
 * findings one per line `#<index> <CODE> <sentence>`, exit 0 only without
 * findings, 1 with findings, 2 when the audit cannot run.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EXIT, parseTime, registerAuditCommands } from '@custodes/auditor';
import { cleanScenario, DAY, LogBuilder, makeKeys, T0 } from './scenario';
import type { CleanScenario } from './scenario';
import { entryOf, keys as reshareKeys, reshared, reshareLog } from './reshareScenario';
import { TestLogServer } from './server';

const keys = makeKeys();
let server: TestLogServer;
let clean: CleanScenario;
let dir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const program = new Command('custodes').exitOverride().configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) });
  registerAuditCommands(program, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), signal: AbortSignal.abort() });
  try {
    await program.parseAsync(args, { from: 'user' });
    return { code: EXIT.clean, stdout, stderr };
  } catch (err) {
    if (err instanceof CommanderError) return { code: err.exitCode, stdout, stderr };
    throw err;
  }
}

beforeAll(async () => {
  clean = cleanScenario(keys);
  server = await new TestLogServer(keys).start();
  dir = mkdtempSync(join(tmpdir(), 'custodes-audit-cli-'));
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('custodes audit', () => {
  test('verify: a clean log exits 0 and prints no findings', async () => {
    server.publish(clean.log.leaves());
    const r = await run(['audit', 'verify', '--log', server.url, '--now', String(clean.now)]);
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(r.stderr).toMatch(/^audit: \d+ entries verified, checkpoint of size \d+ accepted \(cosigned by 5\), 0 finding\(s\)\n$/);
  });

  test('verify: findings are printed one per line and exit 1; progress goes to stderr', async () => {
    const log = new LogBuilder(keys);
    const w = log.warrant({ maxEnvelopes: 1 });
    log.approveBy(w, [1, 2, 3], T0 + DAY);
    const r1 = log.request(w, 1, T0 + 2 * DAY);
    const r2 = log.request(w, 1, T0 + 3 * DAY);
    log.releaseBy(r1, [1, 2, 3]);
    server.publish(log.leaves());
    const r = await run(['audit', 'verify', '--log', server.url, '--now', '2026-01-05T00:00:00Z', '--progress-every', '2']);
    expect(r.code).toBe(EXIT.findings);
    expect(r.stdout).toBe(`#${r2.index} ENVELOPE_CAP_EXCEEDED request ${r2.entry.requestId.slice(0, 8)} brings warrant ${w.warrant.id.slice(0, 8)} to 2 envelopes; its cap is 1.\n`);
    expect(r.stderr).toContain(`audit: checked 2/${log.size} entries\n`);
    expect(r1.index).toBeLessThan(r2.index);
  });

  test('verify with --state and --pin-keys; a bad pin file or an unreachable log exits 2 with one line', async () => {
    server.publish(clean.log.leaves());
    const pins = join(dir, 'pins.json');
    writeFileSync(pins, JSON.stringify({ format: 'custodes.pins.v1', logKey: keys.log.public, custodianKeys: keys.custodians.map((k) => k.public) }));
    const state = join(dir, 'state');
    const ok = await run(['audit', 'verify', '--log', server.url, '--state', state, '--pin-keys', pins, '--now', String(clean.now)]);
    expect(ok.code).toBe(0);
    expect(existsSync(join(state, 'auditor.sqlite'))).toBe(true);
    writeFileSync(pins, '{"format":"custodes.pins.v1"}');
    const bad = await run(['audit', 'verify', '--log', server.url, '--pin-keys', pins]);
    expect(bad.code).toBe(EXIT.error);
    expect(bad.stderr).toMatch(/^custodes: audit: \S*pins\.json: pinned keys: logKey: [^\n]*\n$/);
    const down = await run(['audit', 'verify', '--log', 'http://127.0.0.1:9/']);
    expect(down.code).toBe(EXIT.error);
    expect(down.stderr).toMatch(/^custodes: audit: GET http:\/\/127\.0\.0\.1:9\/log\/v1\/checkpoint: /);
  });

  test('watch --once: one bounded round', async () => {
    server.publish(clean.log.leaves());
    const r = await run(['audit', 'watch', '--log', server.url, '--once', '--custodian', server.custodianUrl(1), '--custodian', server.custodianUrl(2)]);
    // The custodians serve nothing yet: a warning each, not a finding.
    expect(r.code).toBe(0);
    expect(r.stderr.match(/audit: warning: custodian /g)).toHaveLength(2);
    expect(r.stderr).toContain('audit: 0 new finding(s)');
  });

  test('verify --state run again on an unchanged log still counts the cosigners (it said "cosigned by 0")', async () => {
    server.publish(clean.log.leaves());
    const state = join(dir, 'state-again');
    const args = ['audit', 'verify', '--log', server.url, '--state', state, '--now', String(clean.now)];
    const first = await run(args);
    const again = await run(args);
    expect(first.stderr).toMatch(/accepted \(cosigned by 5\)/);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/accepted \(cosigned by 5\)/);
  });

  test('watch: one line per round (size, new entries, findings), and --report-dir writes the report', async () => {
    server.publish(clean.log.leaves());
    const out = join(dir, 'watch-report');
    const r = await run(['audit', 'watch', '--log', server.url, '--once', '--report-dir', out]);
    expect(r.code).toBe(0);
    const size = clean.log.leaves().length;
    expect(r.stderr).toContain(`audit: round 1: log size ${size} (+${size} new), 0 new finding(s)\n`);
    expect(existsSync(join(out, 'report.json'))).toBe(true);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  });

  test('report --out writes report.json and report.html', async () => {
    server.publish(clean.log.leaves());
    const out = join(dir, 'report');
    const r = await run(['audit', 'report', '--log', server.url, '--out', out, '--as-of', String(clean.now)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${join(out, 'report.json')}\n${join(out, 'report.html')}\n`);
  });

  test('verify --destroy-grace: an old custodian without share-destroyed is SHARE_NOT_DESTROYED once the grace is over; a bad value exits 2', async () => {
    const log = reshareLog();
    const at = log.push(entryOf(reshared.recoveryData));
    const own = await new TestLogServer(reshareKeys).start();
    try {
      own.publish(log.leaves());
      const activated = T0 + 120;
      const within = await run(['audit', 'verify', '--log', own.url, '--now', String(activated + 600)]);
      expect(within).toMatchObject({ code: 0, stdout: '' });
      const past = await run(['audit', 'verify', '--log', own.url, '--now', String(activated + 600), '--destroy-grace', '300']);
      expect(past.code).toBe(1);
      // Every custodian of epoch 1 (1..5) owes its statement; none is logged.
      expect(past.stdout.trim().split('\n').map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(Array(5).fill(`#${at} SHARE_NOT_DESTROYED`));
      const bad = await run(['audit', 'verify', '--log', own.url, '--destroy-grace', 'soon']);
      expect(bad.code).toBe(2);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      await own.close();
    }
  });

  test('parseTime takes Unix seconds or ISO 8601 and rejects the rest', () => {
    expect(parseTime('1767225600', 't')).toBe(T0);
    expect(parseTime('2026-01-01T00:00:00Z', 't')).toBe(T0);
    expect(() => parseTime('yesterday', '--now')).toThrow('--now must be Unix seconds or an ISO 8601 date, got "yesterday"');
    expect(() => parseTime('-5', '--now')).toThrow();
  });
});
