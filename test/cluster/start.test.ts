/**
 * `npm start` from nothing: it creates the data directory, starts the
 * coordinator and five custodians as processes, and the demo decrypts exactly
 * the in-scope records; a second start reuses the data; logs hold no subject
 * identifiers, plaintexts or tokens.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const START = fileURLToPath(new URL('../../scripts/src/start.ts', import.meta.url));

function npmStart(home: string, portBase: number) {
  // Exactly what `npm start` runs (package.json).
  return spawnSync(process.execPath, ['--import', 'tsx', START], {
    env: { ...process.env, CUSTODES_HOME: home, CUSTODES_PORT_BASE: String(portBase), CUSTODES_EXIT_AFTER_DEMO: '1', VITEST: '' },
    timeout: 240_000,
    encoding: 'utf8',
  });
}

describe('npm start (local cluster)', { timeout: 600_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'custodes-home-'));
  const portBase = 20_000 + Math.floor(Math.random() * 40_000);

  it('sets up, runs the demo and decrypts exactly the in-scope records', () => {
    const r = npmStart(home, portBase);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/The cluster is up/);
    expect(r.stdout).toMatch(/7 in scope, 77 refused/);
    // Issue #17: the key is made by a 3-of-5 DKG among the five custodians over the log, with no dealer:
    // no share file anywhere, and public.json is what the logged epoch entry proves.
    expect(r.stdout).toMatch(/Distributed key generation \(ChillDKG over the log\), epoch 1, 3-of-5: no dealer/);
    expect(r.stdout).toMatch(/epoch 1 active, group key [0-9a-f]{16}…/);
    expect(readdirSync(join(home, 'keys'))).toEqual(['public.json']);
    // Issue #21: every page's URL, and a transparency report behind /report/ (not NO_REPORT).
    expect(r.stdout).toContain(`http://127.0.0.1:${portBase}/explorer/`);
    expect(r.stdout).toContain(`http://127.0.0.1:${portBase}/report/`);
    for (let i = 1; i <= 5; i++) expect(r.stdout).toContain(`http://127.0.0.1:${portBase + i}/console/`);
    expect(JSON.parse(readFileSync(join(home, 'report', 'report.json'), 'utf8')).format).toBe('custodes.transparency-report.v1');
    expect(r.stdout).toContain(`--token-file ${join(home, 'tokens', 'custodian-1.token')}`);
    const records = readFileSync(join(home, 'demo', 'results', 'records.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    // The warrant covers alice's messages on days 8–14: 7 days × 2 records.
    expect(records).toHaveLength(14);
    for (const rec of records) {
      expect(rec.subject).toBe('acct:alice@example.org');
      expect(rec.category).toBe('messages');
      expect(rec.body).toMatch(/on day (8|9|1[0-4])$/);
    }
    const logs = readdirSync(join(home, 'logs')).map((f) => readFileSync(join(home, 'logs', f), 'utf8')).join('\n');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toMatch(/alice|bob@|carol@/);
    expect(logs).not.toContain(readFileSync(join(home, 'investigator.token'), 'utf8').trim());
    expect(logs).not.toMatch(/messages #\d of/);
  });

  it('a start whose ports are taken (the cluster already running) stops at once with one line and starts nothing', async () => {
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(portBase + 2, '127.0.0.1', r));
    try {
      const r = npmStart(home, portBase);
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(
        `start: port ${portBase + 2} on 127.0.0.1 is in use: is this cluster already running (another \`npm start\`)? Stop it, or choose other ports with CUSTODES_PORT_BASE and another CUSTODES_HOME.`,
      );
      expect(r.stdout).not.toMatch(/Starting the coordinator/);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });

  it('a second start reuses the data and does not seed again', () => {
    const r = npmStart(home, portBase);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/Reusing/);
    expect(r.stdout).not.toMatch(/The provider seals its corpus/);
    expect(r.stdout).toMatch(/The cluster is up/);
  });
});
