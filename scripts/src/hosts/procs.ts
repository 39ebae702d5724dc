/**
 * Processes inside a host's network namespace: `ip netns exec <ns> node
 * --import tsx …`. `ip netns exec` replaces itself with the command, so the
 * pid the harness holds is node's own and a signal reaches it directly.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root: `--import tsx` resolves from it. */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
/** The `custodes` command line. */
export const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));

export interface NsRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function nodeArgs(ns: string, script: string, args: readonly string[]): string[] {
  return ['netns', 'exec', ns, process.execPath, '--import', 'tsx', script, ...args];
}

/**
 * Runs a node script in `ns` to its end (at most `timeoutMs`), feeding it
 * `input` on stdin (secrets go there, never in argv, which `ps` shows).
 */
export function runIn(ns: string, script: string, args: readonly string[], opts: { env: NodeJS.ProcessEnv; input?: string; timeoutMs?: number }): Promise<NsRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', nodeArgs(ns, script, args), { cwd: REPO, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Like runIn, but a non-zero exit is an error naming the command and the first line of its stderr. */
export async function mustRun(ns: string, script: string, args: readonly string[], opts: { env: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; what: string }): Promise<string> {
  const r = await runIn(ns, script, args, opts);
  if (r.code !== 0) throw new Error(`${opts.what} failed (exit ${r.code}): ${r.stderr.trim().split('\n')[0] ?? ''}`);
  return r.stdout;
}

/** A long-running process in `ns`, its stdout and stderr appended to `logFile`. */
export function spawnIn(ns: string, script: string, args: readonly string[], opts: { env: NodeJS.ProcessEnv; logFile: string; stdin?: 'pipe' | 'ignore' }): ChildProcess {
  const out = openSync(opts.logFile, 'a');
  try {
    return spawn('ip', nodeArgs(ns, script, args), { cwd: REPO, env: opts.env, stdio: [opts.stdin ?? 'ignore', out, out] });
  } finally {
    closeSync(out);
  }
}

/** Waits until `logFile` has a line matching `re` (the process printed it), the process exits, or `timeoutMs` passes. */
export async function waitForLine(child: ChildProcess, logFile: string, re: RegExp, timeoutMs: number, what: string): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; Date.now() < deadline; delay = Math.min(500, delay * 2)) {
    const text = readFileSync(logFile, 'utf8');
    const m = re.exec(text);
    if (m) return m[0];
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before it was ready; the end of ${logFile}:\n${text.trimEnd().split('\n').slice(-5).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, delay));
  }
  throw new Error(`${what} was not ready within ${timeoutMs / 1000} s (${logFile})`);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
export function stop(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
