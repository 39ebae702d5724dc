/**
 * Cost of the protocol's crypto operations (docs/PROTOCOL.md §3.2–§3.4), each given in
 * µs per operation and as a multiple of one secp256k1 arbitrary-point
 * multiplication measured in the same run, so figures compare across machines.
 *
 * Method: warm up every operation, then run `batches` rounds; each round times a
 * batch of `iterations` calls of every operation in turn (interleaved, so drift
 * hits all alike) and the figure is the median over rounds. No assertions: this
 * reports, it does not judge.
 *
 * Standalone: `npx tsx scripts/src/bench/crypto.ts [--iterations N] [--batches B]`.
 */
import { pathToFileURL } from 'node:url';
import {
  combineAndOpen,
  createPartial,
  dealShares,
  mulBase,
  parseEnvelope,
  randomScalar,
  sealEnvelope,
  verifyBinding,
  verifyPartial,
} from '@custodes/shared/crypto';
import type { Envelope, Label, ParsedEnvelope, Partial } from '@custodes/shared/crypto';
import { ceremonyFiles, parsePublicKeySet, parseShareFile } from '@custodes/shared/records';

export interface CryptoBenchOptions {
  /** Calls per operation per batch (default 40). */
  iterations?: number;
  /** Timed batches; the median is reported (default 5). */
  batches?: number;
  /** Where the table goes (default stdout). */
  write?: (line: string) => void;
}

export interface CryptoBenchRow {
  operation: string;
  microsPerOp: number;
  /** microsPerOp divided by the baseline multiplication's. */
  ratio: number;
}

interface Operation {
  name: string;
  /** Runs the operation once on the k-th prepared input. */
  run: (k: number) => unknown;
}

const BASELINE = 'baseline: Point.multiply (random point × random scalar)';
const POOL = 8; // distinct inputs per operation, used round-robin
const LABEL: Label = { subject: 'acct:bench@example.org', category: 'messages', time: 1764115200 };

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** A 3-of-5 epoch, a pool of sealed envelopes and custodians 1–3's partials for each. */
function prepare(): Operation[] {
  const files = ceremonyFiles(dealShares(3, 5), 1);
  const keys = parsePublicKeySet(files.publicKeySet);
  const shares = files.shares.slice(0, 3).map((s) => parseShareFile(s));
  const plaintext = new Uint8Array(256).fill(0x61);
  const envelopes: Envelope[] = [];
  const parsed: ParsedEnvelope[] = [];
  const partials: Partial[][] = [];
  for (let k = 0; k < POOL; k++) {
    const envelope = sealEnvelope(plaintext, keys.groupKey, 1, { ...LABEL, time: LABEL.time + k });
    const env = parseEnvelope(JSON.parse(JSON.stringify(envelope)));
    envelopes.push(envelope);
    parsed.push(env);
    partials.push(shares.map((s) => createPartial(s.share, s.index, env)));
  }
  const X1 = keys.verificationShares.get(1)!;
  const points = Array.from({ length: POOL }, () => mulBase(randomScalar()));
  const scalars = Array.from({ length: POOL }, () => randomScalar());
  const at = <T>(pool: readonly T[], k: number): T => pool[k % POOL]!;

  return [
    { name: BASELINE, run: (k) => at(points, k).multiply(at(scalars, k)) },
    { name: 'seal (§3.2, 256-byte plaintext)', run: (k) => sealEnvelope(plaintext, keys.groupKey, 1, { ...LABEL, time: k }) },
    {
      name: 'binding check (parseEnvelope + verifyBinding)',
      run: (k) => {
        if (!verifyBinding(parseEnvelope(at(envelopes, k)))) throw new Error('bench: binding failed');
      },
    },
    { name: 'partial with DLEQ proof (§3.3)', run: (k) => createPartial(shares[0]!.share, 1, at(parsed, k)) },
    {
      name: 'verify partial (§3.3)',
      run: (k) => {
        if (!verifyPartial(at(partials, k)[0], X1, at(parsed, k))) throw new Error('bench: partial failed');
      },
    },
    {
      name: 'combine t=3, fast path (§3.4)',
      run: (k) => combineAndOpen(at(parsed, k), at(partials, k), 3, keys.verificationShares),
    },
  ];
}

function timeBatch(op: Operation, iterations: number, offset: number): number {
  const start = process.hrtime.bigint();
  for (let k = 0; k < iterations; k++) op.run(offset + k);
  return Number(process.hrtime.bigint() - start) / 1000 / iterations;
}

/** Runs the suite and prints the table (`npm run bench crypto`). */
export async function runCryptoBench(opts: CryptoBenchOptions = {}): Promise<void> {
  await measureCryptoBench(opts);
}

/** Runs the suite, prints the table and returns its rows (baseline first). */
export async function measureCryptoBench(opts: CryptoBenchOptions = {}): Promise<CryptoBenchRow[]> {
  const iterations = opts.iterations ?? 40;
  const batches = opts.batches ?? 5;
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError('iterations must be a positive integer');
  if (!Number.isInteger(batches) || batches < 1) throw new RangeError('batches must be a positive integer');
  const write = opts.write ?? ((line: string) => process.stdout.write(line + '\n'));

  const ops = prepare();
  // Warm up: let the JIT settle and noble build its base-point tables.
  for (const op of ops) timeBatch(op, Math.max(10, iterations >> 2), 0);
  const samples = new Map<string, number[]>(ops.map((op) => [op.name, []]));
  for (let b = 0; b < batches; b++) {
    for (const op of ops) samples.get(op.name)!.push(timeBatch(op, iterations, b * iterations));
    await new Promise((resolve) => setImmediate(resolve)); // stay responsive when embedded
  }
  const base = median(samples.get(BASELINE)!);
  const rows = ops.map((op) => {
    const micros = median(samples.get(op.name)!);
    return { operation: op.name, microsPerOp: micros, ratio: micros / base };
  });

  const width = Math.max(...rows.map((r) => r.operation.length));
  write(`crypto: ${batches} batches × ${iterations} ops, median per op; ratio = cost / one arbitrary-point multiplication`);
  write(`${'operation'.padEnd(width)}  ${'µs/op'.padStart(9)}  ${'ratio'.padStart(7)}`);
  for (const r of rows) {
    write(`${r.operation.padEnd(width)}  ${r.microsPerOp.toFixed(0).padStart(9)}  ${(r.ratio.toFixed(2) + '×').padStart(7)}`);
  }
  return rows;
}

function flag(args: string[], name: string): number | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  await runCryptoBench({ iterations: flag(args, '--iterations'), batches: flag(args, '--batches') });
}
