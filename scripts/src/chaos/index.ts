/**
 * `npm run chaos -- --kills N [--full-disks D] [--minutes M] [--parallel P] [--keep]`:
 * SIGKILL and restart cluster processes, and with D > 0 fill a process's
 * storage for a moment D times, under a stream of warrants and requests
 * (scripts/src/chaos/chaos.ts). `--keep` leaves the temporary home (data and
 * service logs) for inspection. Exit code 0 when every check held.
 */
import { intArg } from '../fuzz/args';
import { chaosPassed, formatChaosReport, runChaos } from './chaos';

async function main(): Promise<number> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const report = await runChaos({ kills: intArg('kills', 100), fullDisks: intArg('full-disks', 0), minutes: intArg('minutes', 20), parallel: intArg('parallel', 3), envelopes: intArg('envelopes', 3), keep: process.argv.includes('--keep'), say });
  say(formatChaosReport(report));
  return chaosPassed(report) ? 0 : 1;
}

process.exitCode = await main();
