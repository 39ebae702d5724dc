/**
 * The local cluster as separate processes for chaos and load runs: a fresh
 * CUSTODES_HOME in a temporary directory, a random free port base, the data
 * directories built offline by scripts/src/cluster/bootstrap.ts, and the
 * coordinator and five custodians spawned with scripts/src/cluster/processes.ts.
 * Any process can be SIGKILLed and restarted on its own data.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runClusterDkg } from '../cluster/dkg';
import { bootstrap } from '../cluster/bootstrap';
import { CUSTODIANS, layout, ports } from '../cluster/layout';
import type { Layout, Ports } from '../cluster/layout';
import { startChild, stopAll, waitHealthy } from '../cluster/processes';
import type { Child } from '../cluster/processes';
import { readKeyFile } from '../io';
import type { KeyPair } from '../fuzz/cluster';

async function portFree(port: number): Promise<boolean> {
  const srv = createServer();
  return new Promise((resolve) => {
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A random base whose six consecutive loopback ports are free right now, below
 * Linux's ephemeral range (32768+), so that no outgoing connection takes a
 * port while its process is down between a kill and a restart.
 */
export async function randomPortBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 12_000 + Math.floor(Math.random() * 20_000);
    let ok = true;
    for (let k = 0; k <= CUSTODIANS && ok; k++) ok = await portFree(base + k);
    if (ok) return base;
  }
  throw new Error('no free port range found');
}

/** The last lines of a process's log, for error messages. */
export function logTail(l: Layout, name: string, lines = 5): string {
  try {
    return readFileSync(join(l.logs, `${name}.log`), 'utf8').trim().split('\n').slice(-lines).join('\n  ');
  } catch {
    return '(no log)';
  }
}

export interface ProcessCluster {
  layout: Layout;
  ports: Ports;
  coordinatorUrl: string;
  /** 'coordinator', 'custodian-1' … 'custodian-5'. */
  children: Map<string, Child>;
  court: KeyPair;
  investigator: KeyPair;
  token: string;
  groupKey: string;
  epoch: number;
  /** The SQLite file a process keeps its state in. */
  databaseFile(name: string): string;
  /** SIGKILLs a process and waits for it to exit. */
  kill(name: string): Promise<void>;
  /** Starts a process again on its data and waits until it is healthy. */
  restart(name: string): Promise<void>;
  /** Peak resident set (VmHWM) and current (VmRSS) of each running process, in kB. */
  memory(): Record<string, { hwmKb: number; rssKb: number }>;
  /** SIGTERM every process (SIGKILL after a grace period) and remove the temporary home. */
  stop(): Promise<void>;
}

export const NAMES = ['coordinator', ...Array.from({ length: CUSTODIANS }, (_, k) => `custodian-${k + 1}`)];

export async function startProcessCluster(opts: { say?: (line: string) => void; keep?: boolean; maxDbMb?: number } = {}): Promise<ProcessCluster> {
  const say = opts.say ?? (() => {});
  const root = mkdtempSync(join(tmpdir(), 'custodes-chaos-'));
  const l = layout(root);
  const p = ports(await randomPortBase());
  await bootstrap(l, p, (line) => say(`  ${line}`));
  const coordinatorUrl = `http://127.0.0.1:${p.coordinator}`;
  const cap = opts.maxDbMb === undefined ? [] : ['--max-db-mb', String(opts.maxDbMb)];
  const spawnOne = (name: string): Child => {
    if (name === 'coordinator') return startChild(name, ['coordinator', 'start', '--data', l.coordinator, '--port', String(p.coordinator), ...cap], coordinatorUrl, l.logs);
    const i = Number(name.split('-')[1]);
    const port = p.custodians[i - 1]!;
    return startChild(name, ['custodian', 'start', '--data', l.custodian(i), '--coordinator', coordinatorUrl, '--port', String(port), ...cap], `http://127.0.0.1:${port}`, l.logs);
  };
  const children = new Map<string, Child>();
  for (const n of NAMES) children.set(n, spawnOne(n));
  const stop = async () => {
    await stopAll([...children.values()]);
    if (!opts.keep) rmSync(root, { recursive: true, force: true });
  };
  try {
    await Promise.all([...children.values()].map((c) => waitHealthy(c)));
  } catch (err) {
    const tails = NAMES.map((n) => `${n}: ${logTail(l, n)}`).join('\n');
    await stop();
    throw new Error(`${(err as Error).message}\n${tails}`);
  }
  try {
    // No dealer (docs/PROTOCOL.md §3.8): the key is made by the five custodians, as `npm start` makes it.
    await runClusterDkg(l, coordinatorUrl, p.custodians, (line) => say(line));
  } catch (err) {
    await stop();
    throw err;
  }
  const pub = JSON.parse(readFileSync(join(l.keys, 'public.json'), 'utf8')) as { groupKey: string; epoch: number };
  return {
    layout: l,
    ports: p,
    coordinatorUrl,
    children,
    databaseFile: (name) => (name === 'coordinator' ? join(l.coordinator, 'coordinator.db') : join(l.custodian(Number(name.split('-')[1])), 'custodian.db')),
    court: readKeyFile(l.courtKey),
    investigator: readKeyFile(l.investigatorKey),
    token: readFileSync(l.investigatorToken, 'utf8').trim(),
    groupKey: pub.groupKey,
    epoch: pub.epoch,
    async kill(name) {
      const c = children.get(name)!;
      if (c.process.exitCode !== null || c.process.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        c.process.once('exit', () => resolve());
        c.process.kill('SIGKILL');
      });
    },
    async restart(name) {
      const c = spawnOne(name);
      children.set(name, c);
      try {
        await waitHealthy(c, 60_000);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n  ${logTail(l, name)}`);
      }
    },
    memory() {
      const out: Record<string, { hwmKb: number; rssKb: number }> = {};
      for (const [name, c] of children) {
        if (!c.process.pid || c.process.exitCode !== null) continue;
        try {
          const status = readFileSync(`/proc/${c.process.pid}/status`, 'utf8');
          const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
          const rss = /VmRSS:\s+(\d+) kB/.exec(status);
          out[name] = { hwmKb: Number(hwm?.[1] ?? 0), rssKb: Number(rss?.[1] ?? 0) };
        } catch {
          // the process exited between the check and the read
        }
      }
      return out;
    },
    stop,
  };
}

// ## A client that outlives the processes it talks to

export interface Reply {
  status: number;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers from the services, read by field
  json: any;
}

/**
 * Sends one call, retrying on network errors, timeouts, 429 and 5xx until it
 * gets another answer or the deadline passes. Every call retried this way must
 * be idempotent (docs/PROTOCOL.md §7.1: they are, keyed by warrant or request id).
 */
export async function robustCall(url: string, method: string, path: string, body: unknown, token: string | undefined, deadline: number, onRetry?: (why: string) => void): Promise<Reply> {
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    let why: string;
    try {
      const headers: Record<string, string> = {};
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), signal: AbortSignal.timeout(20_000) });
      const text = await res.text();
      if (res.status !== 429 && res.status < 500) {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        return { status: res.status, text, json };
      }
      why = `${res.status} ${text.slice(0, 200)}`;
    } catch (err) {
      why = (err as Error).message;
    }
    onRetry?.(why);
    if (Date.now() + delay > deadline) throw new Error(`${method} ${path}: no answer before the deadline (last: ${why})`);
    await new Promise((r) => setTimeout(r, delay));
  }
}
