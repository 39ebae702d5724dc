/**
 * `npm run fuzz -- --requests N [--concurrency C] [--seed S]`: the junk-input
 * fuzzer against a real in-process cluster (scripts/src/fuzz/fuzz.ts). Exit
 * code 0 when nothing was found, 1 otherwise.
 */
import { intArg } from './args';
import { formatFuzzReport, fuzzPassed, runFuzz } from './fuzz';

async function main(): Promise<number> {
  const requests = intArg('requests', 100_000);
  const concurrency = intArg('concurrency', 16);
  const seed = intArg('seed', Math.floor(Math.random() * 2 ** 31));
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const report = await runFuzz({
    requests,
    concurrency,
    seed,
    say,
    progressEvery: Math.max(1000, Math.floor(requests / 20)),
    onProgress: (done, total, rate) => say(`  ${done}/${total} requests (${rate.toFixed(0)}/s)`),
  });
  say(formatFuzzReport(report));
  return fuzzPassed(report) ? 0 : 1;
}

process.exitCode = await main();
