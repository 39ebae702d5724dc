/**
 * The harness's handle on one delay proxy process (proxyMain.ts) in a host's
 * namespace: start it, cut and heal its link, read its counters.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ProxyStats } from './delayProxy';
import { REPO, stop } from './procs';

const MAIN = fileURLToPath(new URL('./proxyMain.ts', import.meta.url));

export class ProxyHandle {
  readonly #child: ChildProcess;
  readonly #answers: ((line: string) => void)[] = [];
  readonly #lines: string[] = [];

  private constructor(child: ChildProcess) {
    this.#child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const next = this.#answers.shift();
      if (next) next(line);
      else this.#lines.push(line);
    });
  }

  /** Starts a proxy in `ns` from `listen` (ip:port) to `target` (ip:port), delaying each direction by `oneWayMs`. */
  static async start(ns: string, listen: string, target: string, oneWayMs: number): Promise<ProxyHandle> {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', MAIN, '--listen', listen, '--target', target, '--one-way-ms', String(oneWayMs)], {
      cwd: REPO,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const p = new ProxyHandle(child);
    const first = await p.#next(60_000);
    if (!first.includes('"listening"')) throw new Error(`delay proxy in ${ns} did not start: ${first}`);
    return p;
  }

  #next(timeoutMs = 10_000): Promise<string> {
    const queued = this.#lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('delay proxy did not answer')), timeoutMs);
      const onExit = () => reject(new Error(`delay proxy exited (${this.#child.exitCode ?? this.#child.signalCode})`));
      this.#child.once('exit', onExit);
      this.#answers.push((line) => {
        clearTimeout(timer);
        this.#child.off('exit', onExit);
        resolve(line);
      });
    });
  }

  async #command(line: string): Promise<ProxyStats> {
    this.#child.stdin!.write(`${line}\n`);
    const answer = JSON.parse(await this.#next()) as { ok: boolean; stats?: ProxyStats; error?: string };
    if (!answer.ok || !answer.stats) throw new Error(`delay proxy refused '${line}': ${answer.error ?? 'no answer'}`);
    return answer.stats;
  }

  /** Cuts the link to `peer` (an IP), or to everyone. */
  cut(peer?: string): Promise<ProxyStats> {
    return this.#command(peer ? `cut ${peer}` : 'cut');
  }

  /** Sets the delay of each direction, ms, for bytes read from now on. */
  setDelay(oneWayMs: number): Promise<ProxyStats> {
    if (!Number.isInteger(oneWayMs) || oneWayMs < 0 || oneWayMs > 10_000) throw new RangeError(`oneWayMs must be an integer in [0, 10000], got ${oneWayMs}`);
    return this.#command(`delay ${oneWayMs}`);
  }

  heal(): Promise<ProxyStats> {
    return this.#command('heal');
  }

  stats(): Promise<ProxyStats> {
    return this.#command('stats');
  }

  close(): Promise<void> {
    this.#child.stdin!.end();
    return stop(this.#child, 3000);
  }
}
