/**
 * Random ChillDKG sessions (3-of-5, 4-of-7, and the edges 1-of-1 and 2-of-2),
 * run both here and by the BIP's Python reference (through our driver,
 * chilldkg_driver.py) on the same host secret keys and randomness; every
 * message and output must be the same bytes: pmsg1, cmsg1, the investigation
 * messages, pmsg2, the certificate, threshold key, public and secret shares,
 * recovery data and what recovery gives back. One session has a participant
 * sending a bad encrypted share: both must blame the same participant.
 *
 * The reference is ../shared/reference/chilldkg/python from the repository
 * root (CI keeps a copy there). Without it or python3 ≥ 3.11, the test fails
 * under CI=true and is skipped, with the reason printed, elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { codeOfBipError } from './helpers';
import { randomSession, runSession } from './session';
import type { SessionInput, SessionResult } from './session';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const referenceDir = fileURLToPath(new URL('../../../shared/reference/chilldkg/python', import.meta.url));
const driver = fileURLToPath(new URL('./chilldkg_driver.py', import.meta.url));

function unavailable(): string | null {
  if (!existsSync(`${referenceDir}/chilldkg_ref/chilldkg.py`)) {
    return `the BIP's Python reference is not at ${referenceDir} (expected beside the repository ${repoRoot})`;
  }
  // The reference uses typing.Self (Python 3.11+).
  const v = spawnSync('python3', ['-c', 'import sys; print(sys.version.split()[0]); sys.exit(sys.version_info < (3, 11))'], { encoding: 'utf8' });
  if (v.error) return `python3 does not run: ${v.error.message}`;
  if (v.status !== 0) return `python3 ${v.stdout.trim()} is older than 3.11, which the reference needs ${v.stderr}`.trim();
  return null;
}

const sessions: SessionInput[] = [
  randomSession(3, 5),
  randomSession(3, 5),
  randomSession(4, 7),
  randomSession(4, 7),
  randomSession(1, 1),
  randomSession(2, 2),
  randomSession(3, 5, { from: 3, to: 1 }),
];

const reason = unavailable();
const inCi = process.env.CI === 'true';

describe('ChillDKG against the BIP Python reference', () => {
  if (reason !== null && !inCi) {
    console.log(`python-crosscheck skipped: ${reason}`);
    it.skip(`skipped: ${reason}`, () => {});
    return;
  }
  if (reason !== null) {
    it('needs the Python reference under CI', () => {
      throw new Error(`CI=true but the cross-check cannot run: ${reason}`);
    });
    return;
  }

  let python: SessionResult[] = [];
  beforeAll(() => {
    const run = spawnSync('python3', [driver, referenceDir], {
      input: JSON.stringify({ sessions }),
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      timeout: 280_000,
    });
    if (run.error || run.status !== 0) throw new Error(`chilldkg_driver.py failed: ${run.error?.message ?? run.stderr}`);
    python = (JSON.parse(run.stdout) as { results: SessionResult[] }).results;
    expect(python).toHaveLength(sessions.length);
  }, 300_000);

  sessions.forEach((input, k) => {
    const n = input.hostseckeys.length;
    const label = `${input.t}-of-${n}${input.cheat ? ` with participant ${input.cheat.from} cheating` : ''} (#${k})`;
    it(`${label}: same bytes everywhere`, () => {
      const ts = runSession(input);
      const py = python[k]!;
      // On failure, these inputs reproduce the session.
      const context = `inputs: ${JSON.stringify(input)}`;
      if (input.cheat) {
        expect(py.investigations, context).toBeDefined();
        const pyBlame = Object.fromEntries(
          Object.entries(py.investigations as unknown as Record<string, { type: string; participant: number | null; message: string }>).map(
            ([i, e]) => [i, { code: codeOfBipError(e.type), participant: e.participant ?? undefined, message: e.message }],
          ),
        );
        expect(ts.investigations, context).toEqual(pyBlame);
        // Exactly the victim investigated, and it blamed exactly the cheater.
        expect(Object.keys(ts.investigations ?? {}), context).toEqual([String(input.cheat.to)]);
        expect(ts.investigations?.[String(input.cheat.to)]?.participant).toBe(input.cheat.from);
        const { investigations: _ts, ...tsRest } = ts;
        const { investigations: _py, ...pyRest } = py;
        expect(tsRest, context).toEqual(pyRest);
        return;
      }
      expect(ts, context).toEqual(py);
      expect(ts.participantOutputs?.map((o) => o.secshare)).toEqual(ts.recovered?.map((o) => o.secshare));
    });
  });
});
