/**
 * Log store benchmark (docs/PROTOCOL.md §4.3): grows a fresh SQLite log to N entries
 * of ~200 bytes in batches (one transaction each), then measures the median
 * inclusion and consistency proof time at N and the bytes on disk per entry.
 *
 *   npx tsx scripts/src/bench/log.ts --entries 1000000 [--batch 1000]
 *
 * Targets: ≥ 10,000 appends/s, proofs < 1 ms median, ≤ 2× raw leaf bytes on disk.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { leafHash, verifyConsistency, verifyInclusion } from '@custodes/shared/log';
import { LogStore } from '../../../services/coordinator/src/log/index';

interface LogBenchOptions {
  /** Tree size to grow to (default 1,000,000). */
  readonly entries?: number;
  /** Leaves per append transaction (default 1000). */
  readonly batch?: number;
  /** Bytes per leaf (default 200). */
  readonly leafBytes?: number;
  /** Proofs timed per kind (default 2000). */
  readonly samples?: number;
  /** Where progress and figures go (default stdout). */
  readonly print?: (line: string) => void;
}

interface LogBenchResult {
  readonly entries: number;
  /** Wall clock, fsyncs included. */
  readonly appendsPerSecond: number;
  /** On this process's CPU time: what the machine sustains when not shared. */
  readonly appendsPerCpuSecond: number;
  readonly publishMs: number;
  readonly inclusionMedianMs: number;
  readonly consistencyMedianMs: number;
  /** Finding a leaf's index by its hash (the `?hash=` lookup). */
  readonly hashLookupMedianMs: number;
  readonly bytesOnDisk: number;
  readonly bytesPerEntry: number;
  readonly rawBytesPerEntry: number;
  readonly diskRatio: number;
}

const ORIGIN = 'custodes.bench/log';

/** A distinct ~leafBytes leaf: JSON-like text with an index and filler, as log entries are. */
function makeLeaf(index: number, leafBytes: number, filler: string): Uint8Array {
  const head = `{"type":"bench","index":${index},"pad":"`;
  const tail = '"}';
  const padLength = Math.max(0, leafBytes - head.length - tail.length);
  const offset = (index * 7) % (filler.length - padLength);
  return new TextEncoder().encode(head + filler.slice(offset, offset + padLength) + tail);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const randomBelow = (n: number): number => Math.floor(Math.random() * n);

async function runLogBench(opts: LogBenchOptions = {}): Promise<LogBenchResult> {
  const entries = opts.entries ?? 1_000_000;
  const batch = opts.batch ?? 1000;
  const leafBytes = opts.leafBytes ?? 200;
  const samples = opts.samples ?? 2000;
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  for (const [value, name] of [
    [entries, 'entries'],
    [batch, 'batch'],
    [leafBytes, 'leafBytes'],
    [samples, 'samples'],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 2) throw new RangeError(`${name} must be an integer ≥ 2, got ${value}`);
  }

  const dir = mkdtempSync(join(tmpdir(), 'custodes-bench-log-'));
  const file = join(dir, 'log.sqlite');
  const store = LogStore.open(file, { origin: ORIGIN, noteSecretKey: randomBytes(32) });
  try {
    print(`log bench: ${entries.toLocaleString('en')} entries of ${leafBytes} B, ${batch} per transaction, synchronous=FULL, ${file}`);
    const filler = randomBytes(4096).toString('base64');
    let rawBytes = 0;
    let appendMs = 0;
    let appendCpuMs = 0;
    let nextReport = entries / 10;
    for (let start = 0; start < entries; start += batch) {
      const leaves = Array.from({ length: Math.min(batch, entries - start) }, (_, i) => makeLeaf(start + i, leafBytes, filler));
      for (const leaf of leaves) rawBytes += leaf.length;
      const cpu = process.cpuUsage();
      const t = process.hrtime.bigint();
      store.append(leaves);
      appendMs += elapsedMs(t);
      const used = process.cpuUsage(cpu);
      appendCpuMs += (used.user + used.system) / 1000;
      const done = start + leaves.length;
      if (done >= nextReport || done === entries) {
        const rate = (ms: number): string => Math.round((done / ms) * 1000).toLocaleString('en').padStart(9);
        print(`  ${done.toLocaleString('en').padStart(12)} entries  ${rate(appendMs)} appends/s  (${rate(appendCpuMs)} per CPU second)`);
        nextReport += entries / 10;
      }
      // Let other work (and Ctrl-C) in between transactions.
      if ((done / batch) % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const appendsPerSecond = (entries / appendMs) * 1000;
    const appendsPerCpuSecond = (entries / appendCpuMs) * 1000;

    const t = process.hrtime.bigint();
    const checkpoint = store.publishCheckpoint();
    const publishMs = elapsedMs(t);

    // Proofs at N: random indices and old sizes, each checked once so the timing is of real proofs.
    const inclusion: number[] = [];
    const consistency: number[] = [];
    const lookups: number[] = [];
    for (let s = 0; s < samples; s++) {
      const index = randomBelow(entries);
      let t0 = process.hrtime.bigint();
      const proof = store.inclusionProof(index, entries);
      inclusion.push(elapsedMs(t0));
      const from = 1 + randomBelow(entries - 1);
      t0 = process.hrtime.bigint();
      const cproof = store.consistencyProof(from, entries);
      consistency.push(elapsedMs(t0));
      if (s < 200) {
        const wanted = randomBelow(entries);
        const hash = leafHash(makeLeaf(wanted, leafBytes, filler));
        t0 = process.hrtime.bigint();
        const found = store.indexOfLeafHash(hash);
        lookups.push(elapsedMs(t0));
        if (found !== wanted) throw new Error(`leaf ${wanted} found at ${found}`);
      }
      if (s < 20) {
        const ok =
          verifyInclusion(index, entries, leafHash(makeLeaf(index, leafBytes, filler)), proof, checkpoint.root) &&
          verifyConsistency(from, entries, cproof, store.treeHead(from).root, checkpoint.root);
        if (!ok) throw new Error(`a proof at index ${index} / from ${from} does not verify`);
      }
    }

    store.close(); // checkpoints and removes the WAL, so the file holds everything
    const bytesOnDisk = readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
    const result: LogBenchResult = {
      entries,
      appendsPerSecond,
      appendsPerCpuSecond,
      publishMs,
      inclusionMedianMs: median(inclusion),
      consistencyMedianMs: median(consistency),
      hashLookupMedianMs: median(lookups),
      bytesOnDisk,
      bytesPerEntry: bytesOnDisk / entries,
      rawBytesPerEntry: rawBytes / entries,
      diskRatio: bytesOnDisk / rawBytes,
    };
    const mark = (ok: boolean): string => (ok ? 'ok' : 'MISSED');
    print('');
    print(`  appends/s (to ${entries.toLocaleString('en')})   ${Math.round(result.appendsPerSecond).toLocaleString('en').padStart(10)}   target ≥ 10,000   ${mark(result.appendsPerSecond >= 10_000)}`);
    print(`  appends per CPU second     ${Math.round(result.appendsPerCpuSecond).toLocaleString('en').padStart(10)}   (load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores)`);
    print(`  inclusion proof, median    ${result.inclusionMedianMs.toFixed(3).padStart(10)} ms   target < 1 ms     ${mark(result.inclusionMedianMs < 1)}`);
    print(`  consistency proof, median  ${result.consistencyMedianMs.toFixed(3).padStart(10)} ms   target < 1 ms     ${mark(result.consistencyMedianMs < 1)}`);
    print(`  leaf-hash lookup, median   ${result.hashLookupMedianMs.toFixed(3).padStart(10)} ms   (${Math.ceil(entries / 4096)} index probes at most)`);
    print(`  bytes on disk per entry    ${result.bytesPerEntry.toFixed(1).padStart(10)}      raw leaf ${result.rawBytesPerEntry.toFixed(1)} B → ${result.diskRatio.toFixed(2)}×   target ≤ 2×   ${mark(result.diskRatio <= 2)}`);
    print(`  checkpoint publish         ${result.publishMs.toFixed(3).padStart(10)} ms   (${samples} proofs of each kind sampled)`);
    return result;
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function argValue(args: readonly string[], name: string): number | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const text = args[i + 1];
  if (text === undefined || !/^[1-9][0-9]*$/.test(text)) throw new RangeError(`${name} needs a positive integer`);
  return Number(text);
}

// Standalone: npx tsx scripts/src/bench/log.ts --entries 1000000
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  await runLogBench({ entries: argValue(args, '--entries'), batch: argValue(args, '--batch') });
}

export { runLogBench, type LogBenchOptions, type LogBenchResult };
