/**
 * A throwaway 3-of-5 cluster for the end-to-end benchmarks (P1, P3): the
 * `npm start` bootstrap (scripts/src/cluster) in a temporary CUSTODES_HOME, the
 * coordinator and five custodians as separate processes on a random free port
 * base, and the investigator's side of the flow (warrant, approval, request,
 * results). `close()` stops every child and deletes the directory, also on
 * Ctrl-C.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hexToBytes, openSealedResult, parseEnvelope, resultContext, sealEnvelope } from '@custodes/shared/crypto';
import type { Envelope, GroupPoint } from '@custodes/shared/crypto';
import { newSalt, parsePublicKeySet } from '@custodes/shared/records';
import { requestJson } from '@custodes/shared/service';
import { buildRequestEntry } from '../commands/investigator';
import { readJson, readKeyFile } from '../io';
import { bootstrap, DEMO_POLICY } from '../cluster/bootstrap';
import { runClusterDkg } from '../cluster/dkg';
import { CUSTODIANS, layout, ports } from '../cluster/layout';
import type { Layout } from '../cluster/layout';
import { startChild, stopAll, waitHealthy } from '../cluster/processes';
import { signedDemoWarrant } from '../cluster/warrant';
import type { Child } from '../cluster/processes';

const DAY = 86_400;
export const SUBJECT = 'acct:bench@example.org';

/**
 * What a benchmark warrant round trip needs of a cluster (this file's process
 * cluster, or the in-process DKG cluster of dkg.ts): the coordinator, an
 * investigator's token and key, the court's key, the epoch key.
 */
export interface WarrantTarget {
  readonly coordinator: string;
  readonly token: string;
  readonly groupKey: GroupPoint;
  readonly epoch: number;
  /** The scope every benchmark warrant gets: one subject, `messages`, 30 days. */
  readonly window: { notBefore: number; notAfter: number };
  court(): { secretKey: string; publicKey: string };
  investigator(): { secretKey: string; publicKey: string };
}

export interface BenchCluster extends WarrantTarget {
  readonly layout: Layout;
  readonly custodians: string[];
  /** Where the children's `--cpu-prof` files go (when profiling). */
  readonly profileDir: string | null;
  /** CPU time (user + system, ms) each service process has used so far, by name; from /proc (Linux), else empty. */
  cpuMs(): Map<string, number>;
  /**
   * Each service's main thread, and this process's (`driver`), from
   * /proc/<pid>/schedstat (Linux; else empty): ms on a core, and ms runnable
   * but waiting for one. Nanosecond counters, unlike `cpuMs`'s 10 ms ticks.
   */
  schedMs(): Map<string, { run: number; wait: number }>;
  close(): Promise<void>;
}

/** True iff 127.0.0.1:port can be bound now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function freePortBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    let ok = true;
    for (let p = base; p <= base + CUSTODIANS && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error('bench: no free block of 6 loopback ports');
}

export interface StartOptions {
  /** Write a V8 CPU profile per service process into `<home>/profiles` (kept: the path is printed). */
  profile?: boolean;
  say?: (line: string) => void;
}

/** Bootstraps and starts the cluster; on any failure everything started is cleaned up. */
export async function startBenchCluster(opts: StartOptions = {}): Promise<BenchCluster> {
  const say = opts.say ?? (() => undefined);
  const home = mkdtempSync(join(tmpdir(), 'custodes-bench-'));
  const l = layout(home);
  const children: Child[] = [];
  let closed = false;
  const profileDir = opts.profile ? mkdtempSync(join(tmpdir(), 'custodes-bench-profiles-')) : null;
  const close = async () => {
    if (closed) return;
    closed = true;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopAll(children);
    rmSync(home, { recursive: true, force: true });
  };
  const onSignal = () => void close().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const p = ports(await freePortBase());
    await bootstrap(l, p, () => undefined);
    const coordinator = `http://127.0.0.1:${p.coordinator}`;
    const env = { ...process.env };
    if (profileDir) {
      const preload = new URL('./cpu-profile.mjs', import.meta.url).href;
      process.env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --import ${preload}`.trim();
      process.env.CUSTODES_CPU_PROF_DIR = profileDir;
    }
    try {
      children.push(startChild('coordinator', ['coordinator', 'start', '--data', l.coordinator, '--port', String(p.coordinator)], coordinator, l.logs));
      for (let i = 1; i <= CUSTODIANS; i++) {
        const port = p.custodians[i - 1]!;
        children.push(startChild(`custodian-${i}`, ['custodian', 'start', '--data', l.custodian(i), '--coordinator', coordinator, '--port', String(port)], `http://127.0.0.1:${port}`, l.logs));
      }
    } finally {
      if (profileDir) {
        if (env.NODE_OPTIONS === undefined) delete process.env.NODE_OPTIONS;
        else process.env.NODE_OPTIONS = env.NODE_OPTIONS;
        delete process.env.CUSTODES_CPU_PROF_DIR;
      }
    }
    await Promise.all(children.map((c) => waitHealthy(c, 60_000)));
    say(`cluster: coordinator ${coordinator}, custodians on the next ${CUSTODIANS} ports, home ${home}`);
    // No dealer (docs/PROTOCOL.md §3.8): the five custodians make the key, as `npm start` does.
    await runClusterDkg(l, coordinator, p.custodians, () => undefined);
    const keys = parsePublicKeySet(readJson(join(l.keys, 'public.json'), 'public key set'));
    const now = Math.floor(Date.now() / 1000);
    const firstDay = Math.floor(now / DAY) * DAY - 40 * DAY;
    return {
      layout: l,
      coordinator,
      custodians: children.slice(1).map((c) => c.url),
      token: readFileSync(l.investigatorToken, 'utf8').trim(),
      groupKey: keys.groupKey,
      epoch: keys.epoch,
      window: { notBefore: firstDay, notAfter: firstDay + 30 * DAY - 1 },
      court: () => readKeyFile(l.courtKey),
      investigator: () => readKeyFile(l.investigatorKey),
      profileDir,
      cpuMs: () => processCpuMs(children),
      schedMs: () => schedMs([...children.map((c) => [c.name, c.process.pid] as const), ['driver', process.pid] as const]),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of each child from /proc/<pid>/stat, in ms (empty where /proc is missing). */
function processCpuMs(children: readonly Child[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of children) {
    try {
      const stat = readFileSync(`/proc/${c.process.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14 and 15 of proc(5) (utime, stime) are at 11 and 12 after the command name.
      out.set(c.name, ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND);
    } catch {
      // not Linux, or the child is gone: no figure
    }
  }
  return out;
}

/** Fields 1 and 2 of /proc/<pid>/schedstat (ns on a core, ns waiting on a run queue), in ms; processes without it are left out. */
function schedMs(processes: readonly (readonly [string, number | undefined])[]): Map<string, { run: number; wait: number }> {
  const out = new Map<string, { run: number; wait: number }>();
  for (const [name, pid] of processes) {
    try {
      const [run, wait] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ').map(Number);
      if (Number.isFinite(run) && Number.isFinite(wait)) out.set(name, { run: run! / 1e6, wait: wait! / 1e6 });
    } catch {
      // not Linux, or the process is gone: no figure
    }
  }
  return out;
}

/** `count` envelopes in the benchmark scope, each with a 256-byte plaintext (like a wrapped data key + records). */
export function sealBenchEnvelopes(c: WarrantTarget, count: number): Envelope[] {
  const plaintext = new Uint8Array(256).fill(0x61);
  return Array.from({ length: count }, (_, k) =>
    sealEnvelope(plaintext, c.groupKey, c.epoch, { subject: SUBJECT, category: 'messages', time: c.window.notBefore + 60 * k }),
  );
}

const api = <T>(c: { coordinator: string; token: string }, path: string, body?: unknown): Promise<T> =>
  requestJson<T>(`${c.coordinator}/${path}`, { token: c.token, retries: 2, timeoutMs: 120_000, ...(body === undefined ? {} : { body }) });

/** Submits a warrant for the benchmark scope; returns its id. `maxEnvelopes` > the demo policy's needs operators (see approveAll). */
export async function submitWarrant(c: WarrantTarget, maxEnvelopes: number): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const signed = signedDemoWarrant({
    court: c.court(),
    investigator: c.investigator(),
    scope: { subjects: [SUBJECT], categories: ['messages'], notBefore: c.window.notBefore, notAfter: c.window.notAfter },
    maxEnvelopes,
    caseNumber: `BENCH-${now}`,
    legalAuthority: 'Benchmark Act §1',
    offense: 'benchmark',
  });
  await api(c, 'v1/warrants', { warrant: signed, salt: newSalt() });
  return signed.id;
}

/** True iff the demo policy auto-approves a benchmark warrant with this cap. */
export function autoApproved(maxEnvelopes: number): boolean {
  return maxEnvelopes <= DEMO_POLICY.maxEnvelopes;
}

/** Each custodian's operator approves the warrant (for caps beyond the demo policy); retries until delivered. */
export async function approveAll(c: BenchCluster, warrantId: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await Promise.all(
    c.custodians.map(async (url, k) => {
      for (;;) {
        try {
          await requestJson(`${url}/v1/operator/warrants/${warrantId}/approve`, { token: readFileSync(c.layout.operatorToken(k + 1), 'utf8').trim(), body: { reason: 'benchmark' }, retries: 0, timeoutMs: 10_000 });
          return;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }),
  );
}

/** Follows the warrant (long-poll, `?wait=`) until `approvals` custodians approved it (or it is no longer pending). */
export async function waitApprovals(c: WarrantTarget, warrantId: string, approvals: number, pollMs = 10, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let since = '';
  while (Date.now() < deadline) {
    const s = await api<{ status: string; approvals: number; denials: number }>(c, `v1/warrants/${warrantId}?wait=5000${since}`);
    if (s.status !== 'pending' && s.status !== 'approved') throw new Error(`bench: warrant ended ${s.status}`);
    if (s.status === 'approved' && s.approvals >= approvals) return;
    const next = `&status=${s.status}&approvals=${s.approvals}&denials=${s.denials}`;
    if (next === since) await new Promise((r) => setTimeout(r, pollMs)); // nothing new: the server did not wait
    since = next;
  }
  throw new Error(`bench: warrant not approved by ${approvals} custodians within ${timeoutMs / 1000} s`);
}

export interface RequestTimeline {
  /** ms from the start of the request to: envelopes accepted, submit acknowledged, each state first seen, results fetched. */
  readonly marks: { name: string; ms: number }[];
  readonly totalMs: number;
  readonly decrypted: number;
  /** The request's window on the monotonic clock, µs (V8 profiles use the same clock). */
  readonly monotonicUs: { from: number; to: number };
}

export const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Sends a request — up to 500 envelopes in one call (mark `submitted`), more
 * by opening a draft, uploading 500 a batch (`envelopes accepted`) and
 * submitting (`submitted`) — then polls to completion and fetches the results.
 */
export async function runRequest(
  c: WarrantTarget,
  warrantId: string,
  envelopes: readonly Envelope[],
  pollMs = 10,
  /** Called as each mark is taken (e.g. to read the processes' CPU then). */
  onMark?: (name: string) => void,
): Promise<RequestTimeline> {
  const investigator = c.investigator();
  const t0 = performance.now();
  const from = monotonicUs();
  const marks: { name: string; ms: number }[] = [];
  const mark = (name: string) => {
    marks.push({ name, ms: performance.now() - t0 });
    onMark?.(name);
  };
  let requestId: string;
  if (envelopes.length <= 500) {
    requestId = randomUUID();
    const ids = [...new Set(envelopes.map((e) => parseEnvelope(e).id))];
    const entry = buildRequestEntry(requestId, warrantId, ids, investigator, [c.epoch]);
    await api(c, 'v1/requests', { warrantId, requestId, envelopes, entry });
  } else {
    requestId = (await api<{ requestId: string }>(c, 'v1/requests', { warrantId })).requestId;
    const accepted = new Set<string>();
    for (let i = 0; i < envelopes.length; i += 500) {
      const r = await api<{ accepted: string[]; rejected: unknown[] }>(c, `v1/requests/${requestId}/envelopes`, { envelopes: envelopes.slice(i, i + 500) });
      if (r.rejected.length) throw new Error(`bench: ${r.rejected.length} envelopes rejected: ${JSON.stringify(r.rejected.slice(0, 2))}`);
      for (const id of r.accepted) accepted.add(id);
    }
    mark('envelopes accepted');
    const entry = buildRequestEntry(requestId, warrantId, [...accepted], investigator, [c.epoch]);
    await api(c, `v1/requests/${requestId}/submit`, { entry });
  }
  mark('submitted');
  const deadline = Date.now() + 30 * 60_000;
  let last = '';
  for (;;) {
    // Long-poll: answers as soon as the state differs from the one last seen.
    const s = await api<{ state: string; error?: { code: string; message: string } }>(c, `v1/requests/${requestId}?wait=5000${last ? `&state=${last}` : ''}`);
    const changed = s.state !== last;
    if (changed) {
      last = s.state;
      if (s.state !== 'logged') mark(s.state);
    }
    if (s.state === 'complete') break;
    if (s.state === 'failed') throw new Error(`bench: request failed: ${s.error?.code}: ${s.error?.message}`);
    if (Date.now() > deadline) throw new Error('bench: request did not finish in 30 minutes');
    if (!changed) await new Promise((r) => setTimeout(r, pollMs)); // nothing new: the server did not wait
  }
  const res = await api<{ results: { envelopeId: string; sealed: unknown }[]; failed: unknown[] }>(c, `v1/requests/${requestId}/results`);
  mark('results fetched');
  const totalMs = performance.now() - t0;
  const to = monotonicUs();
  if (res.results.length !== envelopes.length) throw new Error(`bench: ${res.results.length} of ${envelopes.length} envelopes opened`);
  // Each result is sealed to the investigator (docs/PROTOCOL.md §3.7); checked after the clock stops, as before.
  const secretKey = hexToBytes(investigator.secretKey, 32);
  for (const r of res.results) {
    if (!openSealedResult(r.sealed, secretKey, resultContext(requestId, r.envelopeId))) throw new Error(`bench: result ${r.envelopeId} does not open`);
  }
  return { marks, totalMs, decrypted: res.results.length, monotonicUs: { from, to } };
}

/** A coarse kind for a profile frame, so the split of the time reads at a glance. */
function category(fn: string, file: string): string {
  if (file.startsWith('wasm://')) return 'libsecp256k1 (wasm)';
  if (file.includes('@noble/secp256k1')) return 'noble';
  if (fn === '(garbage collector)') return 'gc';
  if (file.includes('better-sqlite3') || /sqlite|prepare|run|all|get/.test(fn) && file === '') return 'sqlite';
  if (file.includes('zod')) return 'zod';
  if (file.includes('canonicalize') || /JSON|stringify|parse/.test(fn)) return 'json/jcs';
  if (file.startsWith('node:internal/crypto') || /digest|update|hkdf|Hash|Cipher/.test(fn)) return 'hash/aead';
  if (file.includes('express') || file.includes('body-parser') || file.includes('undici') || /^node:(internal\/)?(http|net|stream|_http)/.test(file) || /writev|writeBuffer|writeUtf8String/.test(fn)) return 'http';
  if (file.includes('pino') || file.includes('sonic-boom')) return 'logging';
  if (file.startsWith('shared/') || file.startsWith('services/')) return 'custodes js';
  return 'other';
}

/** Self time per function over the CPU profiles in `dir`, per process (for `--profile`). */
export function summariseProfiles(dir: string, windows?: ReadonlyArray<{ from: number; to: number }>, top = 10): string[] {
  interface Node {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    hitCount?: number;
  }
  interface Profile {
    nodes: Node[];
    samples?: number[];
    timeDeltas?: number[];
    startTime: number;
    endTime: number;
  }
  const out: string[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.cpuprofile'))) {
    const path = join(dir, f);
    const p = JSON.parse(readFileSync(path, 'utf8')) as Profile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const self = new Map<string, number>();
    const samples = p.samples ?? [];
    const deltas = p.timeDeltas ?? [];
    const categories = new Map<string, number>();
    let total = 0;
    let idle = 0;
    let t = p.startTime;
    for (let k = 0; k < samples.length; k++) {
      t += deltas[k] ?? 0;
      const n = byId.get(samples[k]!);
      const dt = (deltas[k + 1] ?? 0) / 1000;
      if (!n || (windows && !windows.some((w) => t >= w.from && t <= w.to))) continue;
      const fn = n.callFrame.functionName || '(anonymous)';
      if (fn === '(idle)' || fn === '(program)') {
        idle += dt;
        continue;
      }
      const file = n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^.*\/work\/main\//, '').replace(/^file:\/\//, '');
      const key = `${fn} ${file}:${n.callFrame.lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + dt);
      const cat = category(fn, file);
      categories.set(cat, (categories.get(cat) ?? 0) + dt);
      total += dt;
    }
    const pct = (ms: number) => `${((100 * ms) / Math.max(total, 1e-9)).toFixed(1)}%`;
    out.push(`${f.replace('.cpuprofile', '')}: ${total.toFixed(0)} ms on CPU, ${idle.toFixed(0)} ms idle${windows ? ` (during ${windows.length === 1 ? 'the request' : `${windows.length} windows`})` : ''}`);
    out.push(`  by kind: ${[...categories].sort((a, b) => b[1] - a[1]).map(([c, ms]) => `${c} ${pct(ms)}`).join(', ')}`);
    for (const [k, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`  ${ms.toFixed(0).padStart(7)} ms ${pct(ms).padStart(6)}  ${k}`);
  }
  return out;
}
