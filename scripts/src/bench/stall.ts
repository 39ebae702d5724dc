/**
 * `npm run bench -- stall [--envelopes N]`: the longest event-loop stall at a
 * custodian while it releases one large request (default 10 000 envelopes),
 * measured from outside: each custodian's `GET /health` is called back to back
 * from the moment the request is submitted until it is complete, and the
 * slowest answer is the longest the node could not answer anything (witness
 * calls, deliveries, /health; services/custodian/src/slices.ts). Printed with
 * the request's release phase, as a ratio (no pass/fail threshold: the
 * machines are small and noisy).
 */
import { requestJson } from '@custodes/shared/service';
import { approveAll, autoApproved, runRequest, sealBenchEnvelopes, startBenchCluster, submitWarrant, waitApprovals } from './cluster';

export interface StallOptions {
  envelopes?: number;
  write?: (line: string) => void;
}

export interface StallResult {
  envelopes: number;
  /** Per custodian URL: the slowest /health answer during the request, ms, and how many were answered. */
  custodians: { url: string; maxMs: number; answers: number }[];
  /** From `releasing` to `complete`, ms. */
  releaseMs: number;
}

/** Pause between probes, ms: at most 40 a second, well under a custodian's per-IP rate limit (6000/min), which the coordinator's own calls share. */
const PROBE_GAP_MS = 25;

/** Calls `${url}/health` every PROBE_GAP_MS until `stop()`; the slowest answer, ms. */
async function probe(url: string, stop: () => boolean): Promise<{ url: string; maxMs: number; answers: number }> {
  let maxMs = 0;
  let answers = 0;
  while (!stop()) {
    const t = performance.now();
    try {
      await requestJson(`${url}/health`, { timeoutMs: 600_000 });
    } catch (err) {
      // A refused probe says nothing about the event loop; back off and go on.
      if ((err as { code?: unknown }).code !== 'RATE_LIMITED') throw err;
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    maxMs = Math.max(maxMs, performance.now() - t);
    answers++;
    await new Promise((r) => setTimeout(r, PROBE_GAP_MS));
  }
  return { url, maxMs, answers };
}

export async function runStall(opts: StallOptions = {}): Promise<StallResult> {
  const n = opts.envelopes ?? 10_000;
  const write = opts.write ?? ((line: string) => void process.stdout.write(line + '\n'));
  if (!Number.isInteger(n) || n < 1) throw new RangeError('envelopes must be a positive integer');
  const c = await startBenchCluster({ say: write });
  try {
    write(`sealing ${n} envelopes…`);
    const envelopes = sealBenchEnvelopes(c, n);
    const warrantId = await submitWarrant(c, n);
    if (!autoApproved(n)) await approveAll(c, warrantId);
    await waitApprovals(c, warrantId, 5);
    let probing = false;
    let probes: Promise<{ url: string; maxMs: number; answers: number }[]> = Promise.resolve([]);
    const timeline = await runRequest(c, warrantId, envelopes, 10, (mark) => {
      if (mark === 'submitted') {
        probing = true;
        probes = Promise.all(c.custodians.map((url) => probe(url, () => !probing)));
      }
      if (mark === 'complete') probing = false;
    });
    probing = false;
    const custodians = await probes;
    const at = (name: string) => timeline.marks.find((m) => m.name === name)?.ms ?? NaN;
    const releaseMs = at('complete') - at('releasing');
    const worst = Math.max(...custodians.map((x) => x.maxMs));
    write(`stall: ${n} envelopes in one request (3-of-5; the coordinator asks t = 3 custodians for partials)`);
    write(`  release phase (releasing → complete): ${(releaseMs / 1000).toFixed(1)} s; request in all ${(timeline.totalMs / 1000).toFixed(1)} s`);
    for (const x of custodians) write(`  ${x.url}: longest /health answer ${x.maxMs.toFixed(0)} ms (${x.answers} answers)`);
    write(`  longest stall at a custodian: ${worst.toFixed(0)} ms = ${((100 * worst) / releaseMs).toFixed(2)} % of the release phase`);
    return { envelopes: n, custodians, releaseMs };
  } finally {
    await c.close();
  }
}
