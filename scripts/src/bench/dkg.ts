/**
 * `npm run bench -- dkg`: the wall time of a ChillDKG key generation over the
 * log (docs/PROTOCOL.md §3.8) among 3-of-5 and 7-of-13 custodian nodes, as a
 * ratio to one warrant round trip measured in the same run.
 *
 * Each size runs on a fresh in-process cluster (scripts/src/cluster/in-process.ts:
 * a real coordinator and n real custodian nodes in this process, SQLite in
 * temporary directories, HTTP over loopback, the coordinator's default
 * cosigning delay). The DKG time is from the session start (after every
 * operator consented) to the coordinator's state `active`: commit, reveal,
 * aggregate and CertEq steps each logged and cosigned before anyone acts on
 * them, then the `epoch` entry; polled every 50 ms. The baseline is a warrant
 * round trip on the 3-of-5 cluster with its DKG key (submit → approved by 5 →
 * 10 envelopes decrypted → results), median of `rounds` after one warm-up,
 * each on a settled log: the same trip as P3, in-process like the DKG.
 */
import pino from 'pino';
import { decodePoint, hexToBytes } from '@custodes/shared/crypto';
import { requestJson } from '@custodes/shared/service';
import { runDkg, startRealCluster } from '../cluster/in-process';
import type { RealCluster } from '../cluster/in-process';
import { DEMO_POLICY } from '../cluster/bootstrap';
import { runRequest, sealBenchEnvelopes, submitWarrant, waitApprovals } from './cluster';
import type { WarrantTarget } from './cluster';

type Write = (line: string) => void;
const stdout: Write = (line) => process.stdout.write(line + '\n');
const DAY = 86_400;

export interface DkgBenchOptions {
  /** Sizes as [t, n]; default 3-of-5 and 7-of-13. */
  sizes?: readonly (readonly [number, number])[];
  /** Measured warrant round trips (after one warm-up). */
  rounds?: number;
  write?: Write;
}

export interface DkgBenchResult {
  readonly roundTripMs: number;
  readonly dkg: readonly { readonly t: number; readonly n: number; readonly ms: number; readonly ratio: number }[];
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

function startCluster(t: number, n: number): Promise<RealCluster> {
  return startRealCluster({
    origin: `custodes.bench/dkg-${t}-of-${n}`,
    tempPrefix: `bench-dkg-${t}-${n}`,
    threshold: t,
    total: n,
    dkg: true,
    names: { custodian: (i) => `custodian-${i}`, court: 'Bench Court', agency: 'Bench Agency' },
    nodeInit: () => ({ dev: true, policy: DEMO_POLICY }),
    custodian: { logLevel: 'silent' },
    coordinator: { logger: pino({ level: 'silent' }) },
  });
}

/** The DKG's wall time, ms: session start to `active`. Consent first (an operator's act, not timed). */
async function timedDkg(cluster: RealCluster): Promise<number> {
  const t0 = performance.now();
  const state = await runDkg(cluster);
  const ms = performance.now() - t0;
  if (state.status !== 'active') throw new Error(`bench dkg: the session ended ${state.status}${state.status === 'aborted' ? ` (${state.reason})` : ''}`);
  return ms;
}

/** The published checkpoint covers the whole log (no background cosigning left over from the last round). */
export async function settle(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { size } = await requestJson<{ size: number }>(`${url}/health`, { timeoutMs: 10_000 });
    const note = await requestJson<string>(`${url}/log/v1/checkpoint`, { expectText: true, timeoutMs: 10_000 });
    if (Number(note.split('\n')[1]) === size) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function target(cluster: RealCluster): WarrantTarget {
  const firstDay = Math.floor(Date.now() / 1000 / DAY) * DAY - 40 * DAY;
  return {
    coordinator: cluster.coordinatorUrl,
    token: cluster.tokens[0]!,
    groupKey: decodePoint(hexToBytes(cluster.groupKey, 33)),
    epoch: 1,
    window: { notBefore: firstDay, notAfter: firstDay + 30 * DAY - 1 },
    court: () => cluster.court,
    investigator: () => cluster.investigators[0]!,
  };
}

export async function warrantRoundTrip(c: WarrantTarget, approvals: number): Promise<number> {
  const t0 = performance.now();
  const warrantId = await submitWarrant(c, 10);
  await waitApprovals(c, warrantId, approvals);
  await runRequest(c, warrantId, sealBenchEnvelopes(c, 10));
  return performance.now() - t0;
}

export async function runDkgBench(opts: DkgBenchOptions = {}): Promise<DkgBenchResult> {
  const sizes = opts.sizes ?? [[3, 5], [7, 13]];
  const rounds = opts.rounds ?? 3;
  const write = opts.write ?? stdout;
  const dkgMs: { t: number; n: number; ms: number }[] = [];
  let roundTripMs = 0;
  for (const [t, n] of sizes) {
    const cluster = await startCluster(t, n);
    try {
      const ms = await timedDkg(cluster);
      dkgMs.push({ t, n, ms });
      write(`DKG ${t}-of-${n}: ${ms.toFixed(0)} ms (session start → epoch active; in-process cluster of ${n} nodes)`);
      if (roundTripMs === 0) {
        const c = target(cluster);
        await warrantRoundTrip(c, n); // warm-up
        const trips: number[] = [];
        for (let r = 0; r < rounds; r++) {
          await settle(c.coordinator);
          trips.push(await warrantRoundTrip(c, n));
        }
        roundTripMs = median(trips);
        write(`warrant round trip on that ${t}-of-${n} cluster with its DKG key (submit → approved by ${n} → 10 envelopes back): ${roundTripMs.toFixed(0)} ms, median of ${rounds} (${trips.map((x) => x.toFixed(0)).join(', ')} ms)`);
      }
    } finally {
      await cluster.close();
    }
  }
  const dkg = dkgMs.map((d) => ({ ...d, ratio: d.ms / roundTripMs }));
  for (const d of dkg) write(`  DKG ${d.t}-of-${d.n} / warrant round trip: ${d.ratio.toFixed(1)}×`);
  return { roundTripMs, dkg };
}
