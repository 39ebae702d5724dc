/**
 * `npm run load [-- --warrants W --envelopes E]`: W concurrent warrants × E
 * envelopes through the cluster as separate processes (scripts/src/load/load.ts);
 * prints wall time, envelopes/s and peak memory per process.
 */
import { intArg } from '../fuzz/args';
import { formatLoadReport, loadPassed, runLoad } from './load';

async function main(): Promise<number> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const report = await runLoad({ warrants: intArg('warrants', 50), envelopes: intArg('envelopes', 100), boundMb: intArg('bound-mb', 1024), say });
  say(formatLoadReport(report));
  return loadPassed(report) ? 0 : 1;
}

process.exitCode = await main();
