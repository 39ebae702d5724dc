/**
 * Crash chaos (issue 7 item 2): the cluster as separate processes, a stream
 * of warrants and decryption requests, and SIGKILLs of the coordinator or a
 * random custodian at random points, each followed by a restart; with
 * `fullDisks`, also that many spells of a full disk at a random process
 * (its database filled past its cap for 1–3 s, then freed). At the end:
 * every request completed and decrypted; everything the client got a 2xx for
 * is in the log; no entry is duplicated (no two identical leaves, one
 * decryption-request and one decryption-complete per request id, one approval
 * per custodian per warrant); every process not killed on purpose is still
 * running; and the auditor verifies the log clean.
 */
import { verifyLog } from '@custodes/auditor';
import { parseEnvelope } from '@custodes/shared/crypto';
import { api, fetchLeaves, makeWarrant, openedResults, requestEntry, sealMany, settledSize, waitFor } from '../fuzz/cluster';
import { checkLeaves, parseLeaves } from '../fuzz/integrity';
import { fillPast } from './fullDisk';
import { NAMES, robustCall, startProcessCluster } from './procs';
import type { ProcessCluster } from './procs';

export interface ChaosOptions {
  kills: number;
  /** Spells of a full disk, interleaved with the kills at random (default 0; then no database cap either). */
  fullDisks?: number;
  /** Each process's database cap when `fullDisks` > 0, MiB (default 64: far above what a long run stores; a spell fills up to it). */
  capMb?: number;
  /** Hard bound on the whole run (default 20 minutes). */
  minutes?: number;
  /** Warrant → request jobs in flight at once (default 3). */
  parallel?: number;
  /** Envelopes per request (default 3). */
  envelopes?: number;
  /** Keep the cluster's temporary home (data, service logs) for inspection; its path is said. */
  keep?: boolean;
  say?: (line: string) => void;
}

export interface ChaosReport {
  kills: number;
  killsBy: Record<string, number>;
  fullDisks: number;
  fullDisksBy: Record<string, number>;
  /** Processes that died without being killed on purpose. */
  crashed: string[];
  seconds: number;
  jobs: { started: number; completed: number; failed: string[] };
  acknowledged: { warrants: number; requests: number };
  lost: string[];
  integrity: string[];
  findings: string[];
  logSize: number;
  byType: Record<string, number>;
  retries: number;
  /** Of those, calls the coordinator refused 503 STORAGE_FULL (its disk full). */
  storageRefusals: number;
}

interface Job {
  warrantId: string;
  requestId?: string;
}

export function chaosPassed(r: ChaosReport): boolean {
  return (
    r.jobs.failed.length === 0 &&
    r.jobs.completed === r.jobs.started &&
    r.lost.length === 0 &&
    r.integrity.length === 0 &&
    r.findings.length === 0 &&
    r.crashed.length === 0
  );
}

/** One warrant and one request through the cluster, riding out restarts. */
async function job(c: ProcessCluster, envelopesPer: number, deadline: number, acks: { warrants: Set<string>; requests: Set<string> }, onRetry: (why: string) => void, record: Job): Promise<void> {
  const url = c.coordinatorUrl;
  const w = makeWarrant(c.court, c.investigator, { maxEnvelopes: 200 });
  record.warrantId = w.warrant.id;
  const intake = await robustCall(url, 'POST', '/v1/warrants', w, c.token, deadline, onRetry);
  if (intake.status !== 201 && intake.status !== 200) throw new Error(`warrant intake ${intake.status} ${intake.text}`);
  acks.warrants.add(w.warrant.id);
  // Wait for every custodian's approval (up to 60 s after quorum): the coordinator asks only logged approvers
  // and fails a request with NOT_ENOUGH_CUSTODIANS when fewer than t of them answer by its partials deadline
  // (partialsDeadlineMs, docs/PROTOCOL.md §7.8), so with exactly t approvals an approver killed for longer than
  // that would fail the request by design, not by a crash.
  let approvedAt = 0;
  for (;;) {
    const s = await robustCall(url, 'GET', `/v1/warrants/${w.warrant.id}`, undefined, c.token, deadline, onRetry);
    if (s.json?.status === 'approved') {
      approvedAt ||= Date.now();
      if (s.json.approvals >= 5 || Date.now() - approvedAt > 60_000) break;
      await new Promise((r) => setTimeout(r, 300));
      continue;
    }
    if (s.json?.status !== 'pending') throw new Error(`warrant ${w.warrant.id} ${s.status} ${s.text}`);
    if (Date.now() > deadline) throw new Error(`warrant ${w.warrant.id} not approved before the deadline`);
    await new Promise((r) => setTimeout(r, 300));
  }
  const { envelopes, plaintexts } = sealMany(c.groupKey, envelopesPer, 'chaos', c.epoch);
  const open = await robustCall(url, 'POST', '/v1/requests', { warrantId: w.warrant.id }, c.token, deadline, onRetry);
  if (open.status !== 201) throw new Error(`open request ${open.status} ${open.text}`);
  const requestId = open.json.requestId as string;
  record.requestId = requestId;
  const batch = await robustCall(url, 'POST', `/v1/requests/${requestId}/envelopes`, { envelopes }, c.token, deadline, onRetry);
  if (batch.status !== 200 || batch.json.rejected.length) throw new Error(`envelopes ${batch.status} ${batch.text.slice(0, 300)}`);
  const entry = requestEntry(c.investigator, requestId, w.warrant.id, envelopes);
  const submit = await robustCall(url, 'POST', `/v1/requests/${requestId}/submit`, { entry }, c.token, deadline, onRetry);
  if (submit.status !== 202) throw new Error(`submit ${submit.status} ${submit.text}`);
  acks.requests.add(requestId);
  for (;;) {
    const s = await robustCall(url, 'GET', `/v1/requests/${requestId}`, undefined, c.token, deadline, onRetry);
    if (s.json?.state === 'complete') break;
    if (s.json?.state === 'failed' || s.status !== 200) throw new Error(`request ${requestId} ${s.status} ${s.text}`);
    if (Date.now() > deadline) throw new Error(`request ${requestId} not complete before the deadline (${s.text})`);
    await new Promise((r) => setTimeout(r, 300));
  }
  const res = await robustCall(url, 'GET', `/v1/requests/${requestId}/results`, undefined, c.token, deadline, onRetry);
  if (res.status !== 200) throw new Error(`results ${res.status} ${res.text}`);
  const got = openedResults(res.json.results, requestId, c.investigator);
  envelopes.forEach((e, k) => {
    if (got.get(parseEnvelope(e).id) !== plaintexts[k]) throw new Error(`request ${requestId}: envelope ${k} did not decrypt`);
  });
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const say = options.say ?? (() => {});
  const started = Date.now();
  const deadline = started + (options.minutes ?? 20) * 60_000;
  const parallel = options.parallel ?? 3;
  const envelopesPer = options.envelopes ?? 3;
  const fullDisks = options.fullDisks ?? 0;
  const capMb = options.capMb ?? 64;
  say('bootstrapping a cluster in a temporary CUSTODES_HOME and starting 6 processes');
  const c = await startProcessCluster({ keep: options.keep, say, ...(fullDisks > 0 ? { maxDbMb: capMb } : {}) });
  if (options.keep) say(`keeping ${c.layout.root} (data and service logs) after the run`);
  say(`cluster up: coordinator ${c.coordinatorUrl}, custodians on ports ${c.ports.custodians.join(', ')}`);
  try {
    const acks = { warrants: new Set<string>(), requests: new Set<string>() };
    const failed: string[] = [];
    const jobs: Job[] = [];
    let completed = 0;
    let retries = 0;
    let storageRefusals = 0;
    let killing = true;
    // The stream of work: `parallel` lanes, each running one job after another while the killer runs.
    const lane = async () => {
      while (killing && Date.now() < deadline) {
        const record: Job = { warrantId: '' };
        jobs.push(record);
        try {
          await job(c, envelopesPer, deadline, acks, (why) => {
            retries++;
            if (why.includes('STORAGE_FULL')) storageRefusals++;
          }, record);
          completed++;
        } catch (err) {
          failed.push(`${record.warrantId}/${record.requestId ?? '-'}: ${(err as Error).message}`);
        }
      }
    };
    const lanes = Array.from({ length: parallel }, lane);
    const killsBy: Record<string, number> = {};
    const fullDisksBy: Record<string, number> = {};
    let kills = 0;
    let spells = 0;
    const progress = () => `jobs ${completed} complete, ${failed.length} failed, ${jobs.length - completed - failed.length} in flight; ${acks.warrants.size} warrants and ${acks.requests.size} requests acknowledged`;
    while ((kills < options.kills || spells < fullDisks) && Date.now() < deadline - 60_000) {
      await new Promise((r) => setTimeout(r, 200 + Math.random() * 1800));
      const name = Math.random() < 0.35 ? 'coordinator' : NAMES[1 + Math.floor(Math.random() * (NAMES.length - 1))]!;
      const t0 = Date.now();
      // Kills and spells in random order, each in proportion to what is left of it.
      if (Math.random() * (options.kills - kills + fullDisks - spells) < options.kills - kills) {
        await c.kill(name);
        await c.restart(name);
        kills++;
        killsBy[name] = (killsBy[name] ?? 0) + 1;
        say(`kill ${kills}/${options.kills}: ${name} SIGKILLed and back in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${progress()}`);
      } else {
        const filler = fillPast(c.databaseFile(name), capMb * 1024 * 1024);
        try {
          await new Promise((r) => setTimeout(r, 1000 + Math.random() * 2000));
          filler.free();
        } finally {
          filler.close();
        }
        spells++;
        fullDisksBy[name] = (fullDisksBy[name] ?? 0) + 1;
        say(`full disk ${spells}/${fullDisks}: ${name}'s storage full for ${((Date.now() - t0) / 1000).toFixed(1)} s, then freed; ${progress()}`);
      }
    }
    killing = false;
    say('killing stopped; letting every job in flight finish');
    await Promise.all(lanes);

    say('checking the log');
    const size = await settledSize(c.coordinatorUrl, 120_000);
    await waitFor(
      'a quorum of cosignatures on the final checkpoint',
      async () => {
        const cp = await api(c.coordinatorUrl, 'GET', '/log/v1/checkpoint');
        return cp.text.split('\n— ').length - 1 >= 4 ? true : undefined;
      },
      60_000,
    );
    const leaves = await fetchLeaves(c.coordinatorUrl, size);
    const integrity = checkLeaves(leaves);
    const entries = parseLeaves(leaves);
    const logged = {
      warrants: new Set(entries.filter((e) => e.type === 'warrant').map((e) => String(e.warrantId))),
      requests: new Set(entries.filter((e) => e.type === 'decryption-request').map((e) => String(e.requestId))),
      completes: new Set(entries.filter((e) => e.type === 'decryption-complete').map((e) => String(e.requestId))),
    };
    const lost: string[] = [];
    for (const w of acks.warrants) if (!logged.warrants.has(w)) lost.push(`warrant ${w} acknowledged but not in the log`);
    for (const r of acks.requests) {
      if (!logged.requests.has(r)) lost.push(`request ${r} acknowledged but not in the log`);
      if (!logged.completes.has(r)) lost.push(`request ${r} has no decryption-complete entry`);
    }
    // Killed processes were restarted; any other that is gone died by itself.
    const crashed = [...c.children].filter(([, child]) => child.process.exitCode !== null || child.process.signalCode !== null).map(([name, child]) => `${name} exited (${child.process.signalCode ?? child.process.exitCode})`);
    const verified = await verifyLog({ logUrl: c.coordinatorUrl });
    const findings = verified.findings.map((f) => JSON.stringify(f));
    if (verified.size !== size) findings.push(`auditor verified ${verified.size} of ${size} entries`);
    return {
      kills,
      killsBy,
      fullDisks: spells,
      fullDisksBy,
      crashed,
      seconds: (Date.now() - started) / 1000,
      jobs: { started: jobs.length, completed, failed },
      acknowledged: { warrants: acks.warrants.size, requests: acks.requests.size },
      lost,
      integrity: integrity.problems,
      findings,
      logSize: size,
      byType: integrity.byType,
      retries,
      storageRefusals,
    };
  } finally {
    await c.stop();
  }
}

export function formatChaosReport(r: ChaosReport): string {
  return [
    `kills: ${r.kills} (${Object.entries(r.killsBy).map(([n, k]) => `${n} ${k}`).join(', ')}) in ${r.seconds.toFixed(0)} s`,
    ...(r.fullDisks ? [`full disks: ${r.fullDisks} (${Object.entries(r.fullDisksBy).map(([n, k]) => `${n} ${k}`).join(', ')})`] : []),
    `processes that died by themselves: ${r.crashed.length}`,
    ...r.crashed.map((x) => `  ${x}`),
    `jobs (warrant → request → results): ${r.jobs.started} started, ${r.jobs.completed} complete, ${r.jobs.failed.length} failed; client retries through restarts: ${r.retries}${r.fullDisks ? ` (${r.storageRefusals} of them 503 STORAGE_FULL)` : ''}`,
    ...r.jobs.failed.slice(0, 10).map((f) => `  failed: ${f}`),
    `acknowledged: ${r.acknowledged.warrants} warrants, ${r.acknowledged.requests} requests; lost: ${r.lost.length}`,
    ...r.lost.slice(0, 10).map((f) => `  ${f}`),
    `log: ${r.logSize} entries (${Object.entries(r.byType).map(([t, n]) => `${t} ${n}`).join(', ')}); duplicates/integrity problems: ${r.integrity.length}; auditor findings: ${r.findings.length}`,
    ...[...r.integrity, ...r.findings].slice(0, 20).map((f) => `  ${f}`),
    chaosPassed(r) ? 'PASS' : 'FAIL',
  ].join('\n');
}
