/**
 * The partition run (`npm run hosts -- --partition`): a stream of requests
 * under one warrant; in the middle of it custodian 1 — one of the first t the
 * coordinator asks — is cut off from everyone for `cutSeconds` (its proxy
 * resets every connection to it, and the coordinator's proxy every
 * connection from it), then the link heals. Every request must complete
 * from the other custodians (docs/PROTOCOL.md §7.8), the cut custodian must
 * catch up and cosign again, nothing may be logged twice or lost, and the
 * auditor (`custodes audit verify` on its own host) must find nothing.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CLI, runIn } from './procs';
import type { Hosts } from './harness';

export interface PartitionReport {
  victim: string;
  cutSeconds: number;
  requests: number;
  completed: number;
  failed: { k: number; error?: string }[];
  /** Longest request, ms (the ones caught by the cut wait for the other custodians). */
  slowestMs: number;
  entries: number;
  byType: Record<string, number>;
  repeatedBytes: number;
  repeatedKeys: number;
  /** The cut custodian's last cosigned size: before the cut, at the end of the cut, after the catch-up; and the log's size at the end. */
  witness: { beforeCut: number | null; atHeal: number | null; after: number | null; logSize: number };
  /** Seconds from the heal until the published checkpoint carried every custodian's cosignature again. */
  catchUpSeconds: number | null;
  /** Seconds from the heal until the cut custodian cosigned a checkpoint beyond the one it had at the heal (it caught up with the cut's entries), or null if not within 60 s. */
  firstCosignSeconds: number | null;
  refusedByProxies: number;
  auditor: { exitCode: number | null; findings: string[]; summary: string };
  clean: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The size of the last checkpoint custodian `id` cosigned, read from its own
 * store (read-only; what its operator sees at `GET /v1/operator/witness`):
 * instant, and readable while its links are cut.
 */
function cosignedSize(hosts: Hosts, id: string): number | null {
  const db = new Database(join(hosts.dir, id, 'data', 'custodian.db'), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT size FROM witness WHERE id = 1').get() as { size: number } | undefined;
    return row?.size ?? null;
  } finally {
    db.close();
  }
}

export async function runPartition(hosts: Hosts, opts: { cutSeconds: number; say?: (l: string) => void; requests?: number; gapMs?: number; cutAfterMs?: number }): Promise<PartitionReport> {
  const say = opts.say ?? (() => undefined);
  const custodians = hosts.hosts.filter((h) => h.role === 'custodian');
  const victim = hosts.host('c1');
  const coord = hosts.host('coord');
  const gapMs = opts.gapMs ?? 2000;
  const cutAfterMs = opts.cutAfterMs ?? 8000;
  // Requests before, during and after the cut.
  const requests = opts.requests ?? Math.ceil((cutAfterMs + opts.cutSeconds * 1000 + 12_000) / gapMs);
  const files = { coordinator: hosts.coordinatorUrl, ...hosts.investigator };

  await hosts.drive('settle', { coordinator: hosts.coordinatorUrl, witnesses: custodians.length, timeoutMs: 60_000 });
  // The public view of the same, over the network from the auditor's host (GET /witness/v1/checkpoint).
  const witness = async () => (await hosts.drive<{ size: number | null }>('witness', { url: victim.url }, 'aud')).size;
  say(`stream of ${requests} requests (2 envelopes each, one every ${gapMs / 1000} s); custodian ${victim.id} is cut ${cutAfterMs / 1000} s in, for ${opts.cutSeconds} s`);
  const stream = hosts.drive<{ outcomes: { k: number; ok: boolean; ms: number; error?: string }[] }>('stream', { files, requests, envelopes: 2, gapMs }, 'inv', { timeoutMs: 600_000 });
  let streamDone = false;
  void stream.finally(() => (streamDone = true)).catch(() => undefined);

  await sleep(cutAfterMs);
  if (streamDone) throw new Error('the stream ended before the cut; give it more requests');
  const beforeCut = cosignedSize(hosts, victim.id);
  await victim.proxy!.cut();
  await coord.proxy!.cut(victim.ip);
  say(`cut: ${victim.id} (${victim.ip}) unreachable, and the coordinator refuses its connections`);
  await sleep(opts.cutSeconds * 1000);
  const atHeal = cosignedSize(hosts, victim.id);
  const refused = (await victim.proxy!.heal()).refused + (await coord.proxy!.heal()).refused;
  const healedAt = Date.now();
  say(`healed after ${opts.cutSeconds} s (${refused} connections refused meanwhile); waiting for the stream and the catch-up`);
  // The cut custodian's first cosignature after the heal covers every entry logged during the cut.
  let firstCosignSeconds: number | null = null;
  for (const until = healedAt + 60_000; Date.now() < until; await sleep(100)) {
    if ((cosignedSize(hosts, victim.id) ?? 0) > (atHeal ?? 0)) {
      firstCosignSeconds = Math.round((Date.now() - healedAt) / 100) / 10;
      break;
    }
  }

  const { outcomes } = await stream;
  const settled = await hosts.drive<{ settled: boolean; size: number }>('settle', { coordinator: hosts.coordinatorUrl, witnesses: custodians.length, timeoutMs: 120_000 });
  const catchUpSeconds = settled.settled ? Math.round((Date.now() - healedAt) / 100) / 10 : null;
  const after = await witness();
  const log = await hosts.drive<{ size: number; byType: Record<string, number>; repeatedBytes: number; repeatedKeys: number }>('log', { coordinator: hosts.coordinatorUrl }, 'aud');

  const audit = await runIn(hosts.host('aud').ns, CLI, ['audit', 'verify', '--log', hosts.coordinatorUrl], { env: hosts.env, timeoutMs: 120_000 });
  const findings = audit.stdout.split('\n').filter((l) => l.trim());
  const summary = audit.stderr.trim().split('\n').pop() ?? '';

  const completed = outcomes.filter((o) => o.ok).length;
  const report: PartitionReport = {
    victim: `${victim.id} (${victim.ip})`,
    cutSeconds: opts.cutSeconds,
    requests,
    completed,
    failed: outcomes.filter((o) => !o.ok).map((o) => ({ k: o.k, ...(o.error ? { error: o.error } : {}) })),
    slowestMs: Math.max(...outcomes.map((o) => o.ms)),
    entries: log.size,
    byType: log.byType,
    repeatedBytes: log.repeatedBytes,
    repeatedKeys: log.repeatedKeys,
    witness: { beforeCut, atHeal, after, logSize: log.size },
    catchUpSeconds,
    firstCosignSeconds,
    refusedByProxies: refused,
    auditor: { exitCode: audit.code, findings, summary },
    clean: false,
  };
  report.clean =
    completed === requests &&
    log.repeatedBytes === 0 &&
    log.repeatedKeys === 0 &&
    (log.byType['decryption-request'] ?? 0) === requests &&
    (log.byType['decryption-complete'] ?? 0) === requests &&
    settled.settled &&
    after !== null &&
    after >= settled.size &&
    audit.code === 0;
  return report;
}

export function formatPartitionReport(r: PartitionReport): string {
  const lines = [
    '',
    `partition report: ${r.victim} cut for ${r.cutSeconds} s`,
    `  requests ${r.requests}, completed ${r.completed}, failed ${r.failed.length}${r.failed.length ? ` (${r.failed.map((f) => `#${f.k}: ${f.error ?? '?'}`).join('; ')})` : ''}; slowest ${(r.slowestMs / 1000).toFixed(1)} s`,
    `  log entries ${r.entries}: ${Object.entries(r.byType).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `  duplicates: ${r.repeatedBytes} repeated leaves, ${r.repeatedKeys} repeated (request | request,custodian | warrant,custodian) keys`,
    `  cut custodian's witness size (last checkpoint it cosigned): before the cut ${r.witness.beforeCut}, at the end of the cut ${r.witness.atHeal}, after (GET /witness/v1/checkpoint) ${r.witness.after} (log ${r.witness.logSize}); first cosignature after the heal ${r.firstCosignSeconds === null ? 'NOT within 60 s' : `${r.firstCosignSeconds} s after it`}; stream ended and every cosignature back ${r.catchUpSeconds === null ? 'NOT within 120 s' : `${r.catchUpSeconds} s after the heal`}`,
    `  connections refused by the proxies during the cut: ${r.refusedByProxies}`,
    `  auditor (custodes audit verify, on its own host): exit ${r.auditor.exitCode}; ${r.auditor.summary}${r.auditor.findings.length ? `\n    ${r.auditor.findings.join('\n    ')}` : ''}`,
    `  ${r.clean ? 'CLEAN: every request completed, nothing repeated, the custodian caught up, no findings' : 'NOT CLEAN'}`,
    '',
  ];
  return lines.join('\n');
}
