/**
 * `npm run hosts [-- options]`: builds the hosts (harness.ts; the key made by
 * the DKG among the custodian hosts), prints what it built, runs one warrant
 * round trip across them (or, with --partition, the
 * partition run of partition.ts), and removes everything again — also after
 * a failure and on Ctrl-C.
 *
 *   --custodians <n>   custodians (default 5; t = ⌊n/2⌋ + 1)
 *   --rtt <ms>         round trip added by the proxies (default 100: 50 ms each way)
 *   --partition        cut one custodian off for --cut-seconds in a stream of requests
 *   --cut-seconds <s>  length of the cut (default 30)
 *   --hold             keep the hosts up after the run until Ctrl-C
 *   --prefix <name>    namespace and link prefix (default cdhost)
 */
import { parseArgs } from 'node:util';
import { buildHosts, describeHosts } from './harness';
import type { Hosts } from './harness';
import { netnsUnavailable } from './netns';
import { runPartition, formatPartitionReport } from './partition';
import { phaseTable, runWanTrip } from '../bench/wan';

function positive(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^[0-9]{1,6}$/.test(text) || Number(text) <= 0) throw new Error(`--${name} must be a positive integer, got '${text}'`);
  return Number(text);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      custodians: { type: 'string' },
      rtt: { type: 'string' },
      partition: { type: 'boolean' },
      'cut-seconds': { type: 'string' },
      hold: { type: 'boolean' },
      prefix: { type: 'string' },
    },
    strict: true,
  });
  const custodians = positive(values.custodians, 'custodians', 5);
  const rtt = positive(values.rtt, 'rtt', 100);
  const cutSeconds = positive(values['cut-seconds'], 'cut-seconds', 30);
  const why = netnsUnavailable();
  if (why) throw new Error(`cannot build hosts: ${why}`);

  const say = (line: string) => process.stdout.write(`hosts: ${line}\n`);
  let hosts: Hosts | null = null;
  let cleanup: (() => Promise<void>) | null = null;
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\nhosts: ${signal}: removing the hosts\n`);
    // The cleanup exists from the first namespace on, so an interrupted build is removed too.
    void (cleanup?.() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  try {
    hosts = await buildHosts({ custodians, oneWayMs: rtt / 2, say, onCleanup: (c) => (cleanup = c), ...(values.prefix ? { prefix: values.prefix } : {}) });
    process.stdout.write(`${describeHosts(hosts, rtt / 2)}\n`);
    if (values.partition) {
      const report = await runPartition(hosts, { cutSeconds, say });
      process.stdout.write(formatPartitionReport(report));
      if (!report.clean) process.exitCode = 1;
    } else {
      const trip = await runWanTrip(hosts, { envelopes: 10, say });
      process.stdout.write(phaseTable(trip, rtt));
    }
    if (values.hold && !stopping) {
      say('holding the hosts up; Ctrl-C removes them');
      await new Promise<void>(() => undefined);
    }
  } finally {
    if (!stopping) {
      say('removing the hosts');
      await hosts?.close();
    }
  }
  return process.exitCode === 1 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`hosts: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
