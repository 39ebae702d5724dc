/**
 * Mirror catch-up (docs/PROTOCOL.md §9.9): a coordinator log store of N entries
 * of ~200 B (a real genesis registry, a checkpoint signed by the log key and
 * cosigned by 3 of 5 custodians) served over loopback by the coordinator's
 * own read router (its C2SP tlog-tiles paths), copied by `custodes log
 * mirror`'s code into a fresh directory: every bundle fetched, every leaf
 * hashed, every hash tile compared and written, the signatures checked.
 * Then 10% more entries, copied incrementally. Figures are entries/s of
 * wall time (no ratio: nothing comparable runs in the same process).
 *
 *   npm run bench -- mirror [--entries N]      (default 200,000; --quick 20,000)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dealShares, hexToBytes } from '@custodes/shared/crypto';
import { cosignCheckpoint, parseCheckpoint, parseSignedNote } from '@custodes/shared/log';
import { canonicalBytes, ceremonyFiles } from '@custodes/shared/records';
import { TileClient } from '@custodes/auditor';
import { LogStore } from '../../../services/coordinator/src/log/index';
import { createLogServer } from '../../../services/coordinator/src/routes/logServer';
import { keyPair, noteKeyPair, signedGenesis } from '../cluster/in-process';
import { Mirror } from '../mirror/mirror';

const ORIGIN = 'bench.custodes.example/log';

export interface MirrorBenchResult {
  readonly entries: number;
  readonly catchUpPerSecond: number;
  readonly incrementalPerSecond: number;
}

export async function runMirrorBench(opts: { entries?: number; print?: (line: string) => void } = {}): Promise<MirrorBenchResult> {
  const entries = opts.entries ?? 200_000;
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  if (!Number.isSafeInteger(entries) || entries < 10) throw new RangeError('entries must be an integer ≥ 10');
  const dir = mkdtempSync(join(tmpdir(), 'custodes-bench-mirror-'));
  const log = noteKeyPair();
  const custodians = Array.from({ length: 5 }, noteKeyPair);
  const genesis = signedGenesis({
    origin: ORIGIN,
    log,
    publicKeySet: ceremonyFiles(dealShares(3, 5), 1).publicKeySet,
    threshold: 3,
    nodes: custodians.map((_, i) => ({ index: i + 1, url: `http://127.0.0.1:${9000 + i}` })),
    custodianKeys: custodians,
    court: keyPair(),
    investigators: [keyPair()],
    names: { custodian: (i) => `custodian-${i}`, court: 'Bench court', agency: 'Bench agency' },
    time: Math.floor(Date.now() / 1000),
  });
  const store = LogStore.open(join(dir, 'log.sqlite'), { origin: ORIGIN, noteSecretKey: log.noteSecretKey });
  const filler = randomBytes(150).toString('base64').slice(0, 150);
  const grow = (to: number) => {
    if (store.size() === 0) store.append([canonicalBytes(genesis)]);
    for (let at = store.size(); at < to; at += 1000) {
      store.append(Array.from({ length: Math.min(1000, to - at) }, (_, i) => new TextEncoder().encode(`{"n":${at + i},"pad":"${filler}","type":"bench"}`)));
    }
    const { note } = store.publishCheckpoint();
    const checkpoint = parseCheckpoint(parseSignedNote(note).text);
    const timestamp = Math.floor(Date.now() / 1000);
    store.addCosignatures(checkpoint.size, [1, 2, 3].map((i) => cosignCheckpoint(checkpoint, { name: `custodian-${i}`, secretKey: hexToBytes(custodians[i - 1]!.noteSecretKey, 32, 'noteSecretKey'), timestamp })));
  };
  const server = await createLogServer(store);
  try {
    print(`mirror bench: a log of ${entries.toLocaleString('en')} entries (~200 B) served by the coordinator's read router on loopback`);
    grow(entries);
    const out = join(dir, 'mirror');
    const source = new TileClient(`${server.url}/log/v1`);
    let t = performance.now();
    const first = await Mirror.open(out).sync(source);
    const catchUpMs = performance.now() - t;
    const more = Math.max(1, Math.floor(entries / 10));
    grow(entries + more);
    t = performance.now();
    const reopened = Mirror.open(out);
    const reopenMs = performance.now() - t;
    t = performance.now();
    const second = await reopened.sync(source);
    const incrementalMs = performance.now() - t;
    const result = {
      entries,
      catchUpPerSecond: (first.added / catchUpMs) * 1000,
      incrementalPerSecond: (second.added / incrementalMs) * 1000,
    };
    const rate = (n: number) => Math.round(n).toLocaleString('en');
    print(`  catch-up from empty: ${first.added.toLocaleString('en')} entries in ${(catchUpMs / 1000).toFixed(2)} s = ${rate(result.catchUpPerSecond)} entries/s (cosigned by ${first.cosigners.length})`);
    print(`  reopening re-verifies the ${first.size.toLocaleString('en')} entries held: ${(reopenMs / 1000).toFixed(2)} s = ${rate((first.size / reopenMs) * 1000)} entries/s`);
    print(`  incremental: +${second.added.toLocaleString('en')} entries in ${(incrementalMs / 1000).toFixed(2)} s = ${rate(result.incrementalPerSecond)} entries/s`);
    return result;
  } finally {
    await server.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
