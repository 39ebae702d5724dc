/**
 * `npm run bench -- wan --rtt 100`: a warrant round trip across real hosts
 * (scripts/src/hosts/harness.ts: a network namespace per organisation, TLS,
 * a delay proxy in front of every service), each phase's wall time divided by
 * the RTT next to the number of sequential round trips the code makes in that
 * phase (counted in docs/PROTOCOL.md §5.1, Round trips per phase).
 *
 * Trips: the first on fresh services (their code runs for the first time);
 * then pairs of warm trips, one with the proxies at RTT 0 and one at the RTT,
 * so that (wall at RTT − wall at 0) ÷ RTT counts the round trips actually
 * waited for, processing time cancelling out; last, one trip after 6 s idle,
 * longer than Node's default keep-alive timeout (5 s; the services keep idle
 * connections 10 min, shared/src/service/http.ts), so that it shows whether
 * the connections on its path are still open. The investigator's
 * connection to the coordinator is open before each trip's clock starts (a
 * long-lived client).
 */
import { buildHosts, describeHosts } from '../hosts/harness';
import type { Hosts } from '../hosts/harness';
import { netnsUnavailable } from '../hosts/netns';
import type { RoundTrip } from '../hosts/investigatorFlow';

export interface WanTrip extends RoundTrip {
  pauseMs: number;
}

/** Phases, from the investigator's marks; `counted` is docs/PROTOCOL.md §5.1 (Round trips per phase), with kept-alive connections. */
const PHASES: { name: string; from: keyof RoundTrip['marks'] | null; to: keyof RoundTrip['marks']; counted: number; target?: number }[] = [
  { name: 'submit → approved (status seen)', from: null, to: 'approved', counted: 2, target: 3 },
  { name: 'approved → request logged (202)', from: 'approved', to: 'requested', counted: 1 },
  { name: '202 → complete, with the results (long-poll answer)', from: 'requested', to: 'complete', counted: 1 },
  { name: 'complete → results opened', from: 'complete', to: 'plaintexts', counted: 0 },
  { name: 'approved → plaintexts at the investigator', from: 'approved', to: 'plaintexts', counted: 2, target: 4 },
  { name: 'whole round trip', from: null, to: 'plaintexts', counted: 4, target: 8 },
];

/** Settles the log, then runs round trips (`trips`: idle pauses before each) in one investigator process. */
export async function runWanTrips(hosts: Hosts, opts: { envelopes: number; trips: { pauseMs: number }[]; say?: (l: string) => void }): Promise<WanTrip[]> {
  const custodians = hosts.hosts.filter((h) => h.role === 'custodian').length;
  const files = { coordinator: hosts.coordinatorUrl, ...hosts.investigator };
  return hosts.drive<WanTrip[]>('roundtrip', { files, envelopes: opts.envelopes, trips: opts.trips, witnesses: custodians, warm: true });
}

/** One round trip (the harness's default run). */
export async function runWanTrip(hosts: Hosts, opts: { envelopes: number; say?: (l: string) => void }): Promise<WanTrip[]> {
  opts.say?.(`one warrant round trip of ${opts.envelopes} envelopes from the investigator's host`);
  return runWanTrips(hosts, { ...opts, trips: [{ pauseMs: 0 }] });
}

const phaseMs = (t: WanTrip, p: (typeof PHASES)[number]) => t.marks[p.to] - (p.from ? t.marks[p.from] : 0);
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The phase table of single trips: wall ms and wall / RTT per trip, the round trips counted in the code, the target. */
export function phaseTable(trips: readonly WanTrip[], rttMs: number, labels?: readonly string[]): string {
  const names = labels ?? trips.map((_, k) => `trip ${k + 1}`);
  const head = `| phase | ${names.map((l) => `${l}: ms (÷ RTT)`).join(' | ')} | round trips in the code | target |`;
  const rule = `|---|${names.map(() => '---|').join('')}---|---|`;
  const rows = PHASES.map((p) => {
    const cells = trips.map((t) => `${phaseMs(t, p).toFixed(0)} (${(phaseMs(t, p) / rttMs).toFixed(2)})`);
    return `| ${p.name} | ${cells.join(' | ')} | ${p.counted} | ${p.target !== undefined ? `≤ ${p.target}` : ''} |`;
  });
  return [`\nRTT ${rttMs} ms; plaintexts opened per trip: ${trips.map((t) => t.opened).join(', ')}`, head, rule, ...rows, ''].join('\n') + '\n';
}

/**
 * The same warm trip at RTT 0 and at `rttMs`: (wall at RTT − wall at 0) / RTT
 * is the number of round trips the trip actually waited for, processing
 * time cancelling out; next to it, the count from the code.
 */
export function slopeTable(atRtt: readonly WanTrip[], atZero: readonly WanTrip[], rttMs: number): string {
  const head = `| phase | at RTT ${rttMs} ms: ms (÷ RTT) | at RTT 0: ms | (RTT − 0) ÷ RTT: round trips waited | round trips in the code | target |`;
  const rows = PHASES.map((p) => {
    const a = mean(atRtt.map((t) => phaseMs(t, p)));
    const z = mean(atZero.map((t) => phaseMs(t, p)));
    return `| ${p.name} | ${a.toFixed(0)} (${(a / rttMs).toFixed(2)}) | ${z.toFixed(0)} | **${((a - z) / rttMs).toFixed(2)}** | ${p.counted} | ${p.target !== undefined ? `≤ ${p.target}` : ''} |`;
  });
  return [`\nwarm trips, mean of ${atRtt.length} at RTT ${rttMs} ms and ${atZero.length} at RTT 0 (alternating)`, head, '|---|---|---|---|---|---|', ...rows, ''].join('\n') + '\n';
}

/** Connections each proxy accepted so far (each one a TCP connection and a TLS handshake). */
async function connectionCounts(hosts: Hosts): Promise<string> {
  const parts: string[] = [];
  for (const h of hosts.hosts) if (h.proxy) parts.push(`${h.id} ${(await h.proxy.stats()).connections}`);
  return parts.join(', ');
}

export async function runWan(opts: { rtt: number; custodians: number; pairs?: number }): Promise<void> {
  const why = netnsUnavailable();
  if (why) throw new Error(`the wan bench builds network namespaces: ${why}`);
  if (opts.rtt % 2 !== 0) throw new RangeError('--rtt must be even (each proxy adds half of it per direction)');
  const say = (l: string) => process.stdout.write(`wan: ${l}\n`);
  let cleanup: (() => Promise<void>) | null = null;
  const onSignal = () => void (cleanup?.() ?? Promise.resolve()).finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const hosts = await buildHosts({ custodians: opts.custodians, oneWayMs: opts.rtt / 2, say, logLevel: 'warn', onCleanup: (c) => (cleanup = c) });
  try {
    process.stdout.write(`${describeHosts(hosts, opts.rtt / 2)}\n`);
    const before = await connectionCounts(hosts);
    say('first trip (services fresh: their code runs for the first time)');
    const [first] = await runWanTrips(hosts, { envelopes: 10, trips: [{ pauseMs: 0 }] });
    const atRtt: WanTrip[] = [];
    const atZero: WanTrip[] = [];
    let idle: WanTrip | undefined;
    const pairs = opts.pairs ?? 2;
    for (let k = 0; k < pairs; k++) {
      say(`pair ${k + 1}/${pairs}: a trip at RTT 0, then one at RTT ${opts.rtt}${k === pairs - 1 ? ', then one more after 6 s idle' : ''}`);
      await hosts.setDelay(0);
      atZero.push(...(await runWanTrips(hosts, { envelopes: 10, trips: [{ pauseMs: 0 }] })));
      await hosts.setDelay(opts.rtt / 2);
      const trips = await runWanTrips(hosts, { envelopes: 10, trips: k === pairs - 1 ? [{ pauseMs: 0 }, { pauseMs: 6000 }] : [{ pauseMs: 0 }] });
      atRtt.push(trips[0]!);
      idle = trips[1] ?? idle;
    }
    process.stdout.write(phaseTable([first!, ...atRtt, ...(idle ? [idle] : [])], opts.rtt, ['first trip', ...atRtt.map((_, k) => `warm ${k + 1}`), ...(idle ? ['after 6 s idle'] : [])]));
    process.stdout.write(slopeTable(atRtt, atZero, opts.rtt));
    process.stdout.write(`connections accepted per proxy (each a TCP connection and a TLS handshake), before the trips: ${before}; after: ${await connectionCounts(hosts)}\n`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await hosts.close();
  }
}
