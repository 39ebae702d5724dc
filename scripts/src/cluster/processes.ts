/**
 * The cluster's child processes: the coordinator and each custodian run as
 * separate `custodes … start` processes on loopback, their logs in
 * `.custodes/logs/`. Stopping the cluster stops every child.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/custodes.js', import.meta.url));

export interface Child {
  name: string;
  url: string;
  process: ChildProcess;
  /** Its stdout and stderr. */
  logFile: string;
}

export function startChild(name: string, args: string[], url: string, logsDir: string): Child {
  mkdirSync(logsDir, { recursive: true });
  const logFile = join(logsDir, `${name}.log`);
  const out = openSync(logFile, 'a');
  // The IPC channel lets a child notice when the cluster process dies, however it dies (serve.ts).
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', out, out, 'ipc'], env: { ...process.env, CUSTODES_LOG_LEVEL: process.env.CUSTODES_LOG_LEVEL ?? 'info' } });
  return { name, url, process: child, logFile };
}

/**
 * The last lines of a child's log, for an error message: a caller that fails
 * to start a cluster may remove its directory (the bench does), log included.
 */
function logTail(child: Child, lines = 5): string {
  try {
    const text = readFileSync(child.logFile, 'utf8').trimEnd();
    return text ? `; the end of its log:\n${text.split('\n').slice(-lines).join('\n')}` : '; its log is empty';
  } catch {
    return '';
  }
}

/** Polls `url/health` until it answers 200, the child dies, or the deadline passes. */
export async function waitHealthy(child: Child, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 50;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) throw new Error(`${child.name} exited with code ${child.process.exitCode} (${child.logFile})${logTail(child)}`);
    try {
      const res = await fetch(`${child.url}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(500, delay * 2);
  }
  throw new Error(`${child.name} did not become healthy at ${child.url} within ${timeoutMs / 1000} s`);
}

/** SIGTERM every child, then SIGKILL whatever is left after a grace period. */
export async function stopAll(children: readonly Child[], graceMs = 5000): Promise<void> {
  const alive = children.filter((c) => c.process.exitCode === null && c.process.signalCode === null);
  await Promise.all(
    alive.map(
      (c) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => c.process.kill('SIGKILL'), graceMs);
          c.process.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          c.process.kill('SIGTERM');
        }),
    ),
  );
}

/** The first of `ports` on 127.0.0.1 that something is listening on already, or null. */
export async function firstPortInUse(ports: readonly number[]): Promise<number | null> {
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (!free) return port;
  }
  return null;
}
