/**
 * `npm run bench [-- suite…] [--quick]`: runs the named benchmark suites (all
 * when none is named). Figures are ratios against a baseline measured in the
 * same run, never absolute pass/fail thresholds (the machines are small and noisy).
 *
 *   crypto   protocol operations vs one arbitrary-point multiplication
 *   log, p2  the log store at 1M entries vs raw SQLite inserts (log = p2)
 *   p1       end-to-end envelopes/s on a 3-of-5 cluster vs a naive single-key escrow
 *   p3       a warrant round trip vs one loopback HTTP round trip
 *   mirror   `custodes log mirror` catching up with a coordinator's log of N entries (default 200,000), in entries/s
 *   dkg      the wall time of a 3-of-5 and a 7-of-13 DKG over the log vs one warrant round trip (in-process
 *            clusters; --rounds N round trips, default 3; not in the default set)
 *   reshare  the wall time of a 3-of-5 → 4-of-7 reshare over the log (two custodians join) vs one warrant round trip
 *            (in-process; --rounds N round trips, default 3; not in the default set)
 *   stall    the longest event-loop stall at a custodian during a 10,000-envelope release (not in the default run)
 *   wan      a warrant round trip across hosts with a WAN round trip (--rtt ms, default 100; --rounds pairs
 *            of warm trips at RTT 0 and at the RTT, default 2), in RTTs
 *            per phase next to the round trips the code makes; needs root (not in the default set)
 *
 * Options: --quick (smaller sizes: 20,000 log entries, 100 envelopes, 3 rounds),
 * --entries N (log), --envelopes N (p1; stall, default 10,000), --rounds N (p3), --profile (p1, p3: CPU
 * profiles of the service processes during the request).
 */
import { backendName } from '../../../shared/src/crypto/backend';

const args = process.argv.slice(2);
const quick = args.includes('--quick');

function option(name: string, quickValue: number, fullValue: number): number {
  const i = args.indexOf(name);
  if (i < 0) return quick ? quickValue : fullValue;
  const v = Number(args[i + 1]);
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} needs a positive integer`);
  return v;
}

const logSuite = async () => (await import('./p2')).runP2({ entries: option('--entries', 20_000, 1_000_000) });

const suites: Record<string, () => Promise<unknown>> = {
  crypto: async () => (await import('./crypto')).runCryptoBench(quick ? { iterations: 10, batches: 3 } : {}),
  log: logSuite,
  p2: logSuite,
  p1: async () => (await import('./e2e')).runP1({ envelopes: option('--envelopes', 100, 500), profile: args.includes('--profile') }),
  p3: async () => (await import('./e2e')).runP3({ rounds: option('--rounds', 3, 5), profile: args.includes('--profile') }),
  dkg: async () => (await import('./dkg')).runDkgBench({ rounds: option('--rounds', 3, 3) }),
  reshare: async () => (await import('./reshare')).runReshareBench({ rounds: option('--rounds', 3, 3) }),
  stall: async () => (await import('./stall')).runStall({ envelopes: option('--envelopes', 1000, 10_000) }),
  mirror: async () => (await import('./mirror')).runMirrorBench({ entries: option('--entries', 20_000, 200_000) }),
  wan: async () => (await import('./wan')).runWan({ rtt: option('--rtt', 100, 100), custodians: option('--custodians', 5, 5), pairs: option('--rounds', 1, 2) }),
};
/** What `npm run bench` runs: every suite once (p2 is the log suite; mirror shares --entries with it). */
const ALL = ['crypto', 'p1', 'p2', 'p3', 'mirror'];
const FLAGS_WITH_VALUE = new Set(['--entries', '--envelopes', '--rounds', '--rtt', '--custodians']);

const named = args.filter((a, i) => !a.startsWith('--') && !FLAGS_WITH_VALUE.has(args[i - 1] ?? ''));
const unknown = named.filter((a) => !suites[a]);
if (unknown.length) {
  process.stderr.write(`bench: unknown suite ${unknown.join(', ')}; known: ${Object.keys(suites).join(', ')}\n`);
  process.exitCode = 2;
} else {
  const chosen = [...new Set((named.length ? named : ALL).map((n) => (n === 'log' ? 'p2' : n)))];
  process.stdout.write(`bench: ${chosen.join(', ')}${quick ? ' (--quick)' : ''} on Node ${process.version}, group backend ${backendName()}, ${new Date().toISOString()}\n`);
  for (const name of chosen) {
    process.stdout.write(`\n== ${name} ==\n`);
    const t = performance.now();
    try {
      await suites[name]!();
    } catch (err) {
      process.stderr.write(`bench ${name}: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
    process.stdout.write(`(${name}: ${((performance.now() - t) / 1000).toFixed(1)} s)\n`);
  }
}
