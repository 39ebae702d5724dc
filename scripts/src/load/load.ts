/**
 * Load (issue 7 item 4): W concurrent warrants × E envelopes each through the
 * cluster as separate processes (scripts/src/chaos/procs.ts). Every request
 * must complete and decrypt to its plaintexts. Reports wall time,
 * envelopes/s, and each process's memory: VmRSS sampled every 250 ms and
 * VmHWM (the kernel's peak) at the end. No timing assertions: the figures are
 * for people; the only memory check is a generous bound per process.
 */
import { verifyLog } from '@custodes/auditor';
import { parseEnvelope } from '@custodes/shared/crypto';
import type { Envelope } from '@custodes/shared/crypto';
import { api, makeWarrant, openedResults, requestEntry, sealMany, settledSize, fetchLeaves, waitFor } from '../fuzz/cluster';
import { checkLeaves } from '../fuzz/integrity';
import { robustCall, startProcessCluster } from '../chaos/procs';
import type { ProcessCluster } from '../chaos/procs';

export interface LoadOptions {
  warrants?: number;
  envelopes?: number;
  /** A process whose peak RSS passes this many MB fails the bound (default 1024). */
  boundMb?: number;
  say?: (line: string) => void;
}

export interface LoadReport {
  warrants: number;
  envelopesPerRequest: number;
  completed: number;
  failed: string[];
  decrypted: number;
  sealSeconds: number;
  wallSeconds: number;
  envelopesPerSecond: number;
  /** Per process: kernel peak (VmHWM), highest sampled VmRSS, and VmRSS at the end, in MB. */
  memory: Record<string, { peakMb: number; sampledPeakMb: number; endMb: number }>;
  boundMb: number;
  bounded: boolean;
  logSize: number;
  findings: string[];
  integrity: string[];
}

async function oneRequest(c: ProcessCluster, envelopes: Envelope[], plaintexts: string[], deadline: number): Promise<number> {
  const url = c.coordinatorUrl;
  const w = makeWarrant(c.court, c.investigator, { maxEnvelopes: Math.max(envelopes.length, 1) });
  const intake = await robustCall(url, 'POST', '/v1/warrants', w, c.token, deadline);
  if (intake.status !== 201 && intake.status !== 200) throw new Error(`warrant intake ${intake.status} ${intake.text}`);
  for (;;) {
    const s = await robustCall(url, 'GET', `/v1/warrants/${w.warrant.id}`, undefined, c.token, deadline);
    if (s.json?.status === 'approved') break;
    if (s.json?.status !== 'pending') throw new Error(`warrant ${s.status} ${s.text}`);
    if (Date.now() > deadline) throw new Error('warrant not approved before the deadline');
    await new Promise((r) => setTimeout(r, 1000));
  }
  const open = await robustCall(url, 'POST', '/v1/requests', { warrantId: w.warrant.id }, c.token, deadline);
  if (open.status !== 201) throw new Error(`open ${open.status} ${open.text}`);
  const requestId = open.json.requestId as string;
  for (let i = 0; i < envelopes.length; i += 500) {
    const batch = await robustCall(url, 'POST', `/v1/requests/${requestId}/envelopes`, { envelopes: envelopes.slice(i, i + 500) }, c.token, deadline);
    if (batch.status !== 200 || batch.json.rejected.length) throw new Error(`envelopes ${batch.status} ${batch.text.slice(0, 300)}`);
  }
  const submit = await robustCall(url, 'POST', `/v1/requests/${requestId}/submit`, { entry: requestEntry(c.investigator, requestId, w.warrant.id, envelopes) }, c.token, deadline);
  if (submit.status !== 202) throw new Error(`submit ${submit.status} ${submit.text}`);
  for (;;) {
    const s = await robustCall(url, 'GET', `/v1/requests/${requestId}`, undefined, c.token, deadline);
    if (s.json?.state === 'complete') break;
    if (s.json?.state === 'failed' || s.status !== 200) throw new Error(`request ${requestId} ${s.status} ${s.text}`);
    if (Date.now() > deadline) throw new Error(`request ${requestId} not complete before the deadline`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  const res = await robustCall(url, 'GET', `/v1/requests/${requestId}/results`, undefined, c.token, deadline);
  if (res.status !== 200) throw new Error(`results ${res.status} ${res.text.slice(0, 200)}`);
  const got = openedResults(res.json.results, requestId, c.investigator);
  envelopes.forEach((e, k) => {
    if (got.get(parseEnvelope(e).id) !== plaintexts[k]) throw new Error(`request ${requestId}: envelope ${k} did not decrypt`);
  });
  return got.size;
}

export async function runLoad(options: LoadOptions = {}): Promise<LoadReport> {
  const say = options.say ?? (() => {});
  const W = options.warrants ?? 50;
  const E = options.envelopes ?? 100;
  const boundMb = options.boundMb ?? 1024;
  say('bootstrapping a cluster in a temporary CUSTODES_HOME and starting 6 processes');
  const c = await startProcessCluster({ say });
  const sampled: Record<string, number> = {};
  const sampler = setInterval(() => {
    for (const [name, m] of Object.entries(c.memory())) sampled[name] = Math.max(sampled[name] ?? 0, m.rssKb);
  }, 250);
  try {
    const t0 = Date.now();
    const sets = Array.from({ length: W }, (_, k) => sealMany(c.groupKey, E, `load ${k}`, c.epoch));
    const sealSeconds = (Date.now() - t0) / 1000;
    say(`sealed ${W} × ${E} envelopes in ${sealSeconds.toFixed(1)} s (the provider's work; not in the wall time)`);
    const started = Date.now();
    const deadline = started + 20 * 60_000;
    let completed = 0;
    let decrypted = 0;
    const failed: string[] = [];
    await Promise.all(
      sets.map(async (s, k) => {
        try {
          const n = await oneRequest(c, s.envelopes, s.plaintexts, deadline);
          decrypted += n;
          completed++;
          if (completed % 10 === 0 || completed === W) say(`  ${completed}/${W} requests complete after ${((Date.now() - started) / 1000).toFixed(1)} s`);
        } catch (err) {
          failed.push(`request ${k}: ${(err as Error).message}`);
        }
      }),
    );
    const wallSeconds = (Date.now() - started) / 1000;
    const end = c.memory();
    for (const [name, m] of Object.entries(end)) sampled[name] = Math.max(sampled[name] ?? 0, m.rssKb);
    const memory: LoadReport['memory'] = {};
    for (const [name, m] of Object.entries(end)) memory[name] = { peakMb: m.hwmKb / 1024, sampledPeakMb: (sampled[name] ?? 0) / 1024, endMb: m.rssKb / 1024 };
    const bounded = Object.values(memory).every((m) => m.peakMb <= boundMb);

    say('checking the log');
    const size = await settledSize(c.coordinatorUrl, 120_000);
    await waitFor(
      'a quorum of cosignatures on the final checkpoint',
      async () => ((await api(c.coordinatorUrl, 'GET', '/log/v1/checkpoint')).text.split('\n— ').length - 1 >= 4 ? true : undefined),
      60_000,
    );
    const integrity = checkLeaves(await fetchLeaves(c.coordinatorUrl, size)).problems;
    const verified = await verifyLog({ logUrl: c.coordinatorUrl });
    return {
      warrants: W,
      envelopesPerRequest: E,
      completed,
      failed,
      decrypted,
      sealSeconds,
      wallSeconds,
      envelopesPerSecond: decrypted / wallSeconds,
      memory,
      boundMb,
      bounded,
      logSize: size,
      findings: verified.findings.map((f) => JSON.stringify(f)),
      integrity,
    };
  } finally {
    clearInterval(sampler);
    await c.stop();
  }
}

export function loadPassed(r: LoadReport): boolean {
  return r.completed === r.warrants && r.failed.length === 0 && r.decrypted === r.warrants * r.envelopesPerRequest && r.bounded && r.findings.length === 0 && r.integrity.length === 0;
}

export function formatLoadReport(r: LoadReport): string {
  const mb = (x: number) => `${x.toFixed(0)} MB`;
  return [
    `load: ${r.warrants} concurrent warrants × ${r.envelopesPerRequest} envelopes: ${r.completed} requests complete, ${r.failed.length} failed, ${r.decrypted} envelopes decrypted`,
    ...r.failed.slice(0, 10).map((f) => `  ${f}`),
    `wall time ${r.wallSeconds.toFixed(1)} s (warrant intake → approvals → requests → results), ${r.envelopesPerSecond.toFixed(1)} envelopes/s end to end`,
    `memory per process (peak VmHWM / highest sampled VmRSS / VmRSS at the end):`,
    ...Object.entries(r.memory).map(([n, m]) => `  ${n.padEnd(12)} ${mb(m.peakMb).padStart(7)} / ${mb(m.sampledPeakMb).padStart(7)} / ${mb(m.endMb).padStart(7)}`),
    `memory bound (${r.boundMb} MB per process): ${r.bounded ? 'held' : 'EXCEEDED'}`,
    `log: ${r.logSize} entries; auditor findings ${r.findings.length}; integrity problems ${r.integrity.length}`,
    ...[...r.findings, ...r.integrity].slice(0, 10).map((f) => `  ${f}`),
    loadPassed(r) ? 'PASS' : 'FAIL',
  ].join('\n');
}
