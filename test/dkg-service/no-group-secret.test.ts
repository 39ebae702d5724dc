/**
 * No service code path can compute the group secret (docs/PROTOCOL.md §3.8, "No
 * group secret anywhere"). The dealer (`dealShares`, `ceremonyFiles`) is the
 * only code that ever draws a group secret; this test reads every source file
 * of services/ and scripts/src/ and allows it only in the offline tools named
 * below. The ChillDKG outputs a service may touch carry one participant's own
 * share at most: only the custodian's DKG module recovers one (its own, with
 * its own host key), and the coordinator's code never names a secret share.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'public') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (/\.(ts|js|mjs)$/.test(name)) out.push(path);
  }
  return out;
}

const files = [...sources(join(ROOT, 'services')), ...sources(join(ROOT, 'scripts', 'src'))].map((p) => ({ path: relative(ROOT, p), text: readFileSync(p, 'utf8') }));

/** Offline tools for tests and vectors, never run by a service nor by `npm start`. */
const DEALER_ALLOWED = new Set([
  'scripts/src/commands/keys.ts', // `custodes ceremony`, marked so in --help and the README
  'scripts/src/demo.ts', // `custodes demo`: the primitives narrated, no services
  'scripts/src/bench/crypto.ts', // the crypto benchmark
  'scripts/src/bench/mirror.ts', // the mirror benchmark: a synthetic log of a dealer epoch, no services
  'scripts/src/cluster/in-process.ts', // tests' dealer clusters (a DKG cluster with `dkg: true`)
]);

describe('no service code path can compute the group secret', () => {
  it('reads a real tree', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files.some((f) => f.path === 'services/custodian/src/dkg.ts')).toBe(true);
  });

  it('the dealer is used only by the offline tools', () => {
    const users = files.filter((f) => /\b(dealShares|ceremonyFiles)\b/.test(f.text)).map((f) => f.path);
    expect(users.filter((p) => !DEALER_ALLOWED.has(p))).toEqual([]);
    expect(users.filter((p) => p.startsWith('services/'))).toEqual([]);
  });

  it('npm start and the cluster processes it runs use no dealer', () => {
    for (const p of ['scripts/src/start.ts', 'scripts/src/cluster/bootstrap.ts', 'scripts/src/cluster/dkg.ts', 'scripts/src/cluster/seed.ts']) {
      expect(files.find((f) => f.path === p)!.text, p).not.toMatch(/\b(dealShares|ceremonyFiles|shares?File)\b/);
    }
  });

  it('`npm run hosts` makes its key by the DKG: no dealer, no share file handed to a host', () => {
    const hosts = files.filter((f) => f.path.startsWith('scripts/src/hosts/'));
    expect(hosts.map((f) => f.path)).toContain('scripts/src/hosts/harness.ts');
    for (const f of hosts) expect(f.text, f.path).not.toMatch(/\b(dealShares|ceremonyFiles|runCeremony|shares?File)\b|'--share'/);
  });

  it('only the custodian recovers a share, its own; the coordinator never names a secret share', () => {
    const recoverers = files.filter((f) => /\bparticipantRecover\b|\bparticipantFinalize\b/.test(f.text)).map((f) => f.path);
    expect(recoverers).toEqual(['services/custodian/src/dkg.ts']);
    const coordinator = files.filter((f) => f.path.startsWith('services/coordinator/'));
    for (const f of coordinator) expect(f.text, f.path).not.toMatch(/\bsecshare\b|\bvault\b|\bshare\(/);
  });
});
