/**
 * A small worker_threads pool for the coordinator's per-envelope crypto:
 * screening at intake and combination (cryptoTasks.ts). Why: both phases run
 * in the coordinator alone while the custodians wait, so on one core they are
 * the serial part of a request's wall time (BENCHMARKS.md, P1); the pool
 * spreads them over the machine's cores and keeps the event loop free.
 *
 * Results never depend on the pool: the tasks are pure functions; a batch it
 * does not take (not ready, too small, closed) is the caller's to run
 * in-thread, and a chunk a worker fails (crashed, threw) runs in-thread here
 * through the same function.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { runTask } from './cryptoTasks';
import type { Task, Verdicts } from './cryptoTasks';

interface Pending {
  id: number;
  task: Task;
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  dead: boolean;
  current: Pending | null;
}

export interface CryptoPoolOptions {
  /** Worker threads (≥ 1). */
  size: number;
  /** Batches smaller than this run in-thread: messaging costs more than it saves (default 32). */
  minBatch?: number;
  /** How long `ready()` waits for the workers to load (default 60 000 ms). */
  startTimeoutMs?: number;
  logger: Logger;
}

const WORKER_URL = new URL('./cryptoWorker.mjs', import.meta.url);

export class CryptoPool {
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  readonly #minBatch: number;
  readonly #logger: Logger;
  readonly #started: Promise<void>;
  #nextId = 0;
  #closed = false;

  constructor(opts: CryptoPoolOptions) {
    if (!Number.isInteger(opts.size) || opts.size < 1) throw new RangeError('size must be a positive integer');
    this.#minBatch = opts.minBatch ?? 32;
    this.#logger = opts.logger;
    const loaded: Promise<void>[] = [];
    for (let k = 0; k < opts.size; k++) loaded.push(this.#spawn());
    const timeout = new Promise<void>((r) => setTimeout(r, opts.startTimeoutMs ?? 60_000).unref());
    this.#started = Promise.race([Promise.all(loaded).then(() => undefined), timeout]);
  }

  /** Resolves once every worker has loaded or failed (or the start timeout passed); the number ready. */
  async ready(): Promise<number> {
    await this.#started;
    return this.#live().length;
  }

  /**
   * Runs `task` over its items in chunks on the workers, with the result
   * `runTask(task)` would give; null when the pool does not take it (closed,
   * no worker ready, or fewer items than `minBatch`): the caller runs it in-thread.
   */
  async tryRun<T extends Task>(task: T): Promise<Verdicts<T> | null> {
    const live = this.#live().length;
    const n = task.items.length;
    if (this.#closed || live === 0 || n < this.#minBatch) return null;
    // A few chunks per worker, so one slow chunk does not leave a core idle at the end.
    const size = Math.max(8, Math.ceil(n / (live * 4)));
    const chunks: T[] = [];
    for (let k = 0; k < n; k += size) chunks.push({ ...task, items: task.items.slice(k, k + size) } as T);
    const parts = await Promise.all(chunks.map((c) => this.#submit(c).catch(() => runTask(c))));
    return parts.flat() as Verdicts<T>;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const err = new Error('crypto pool closed');
    for (const p of this.#queue.splice(0)) p.reject(err);
    await Promise.all(this.#slots.map((s) => s.worker.terminate().catch(() => undefined)));
  }

  #live(): Slot[] {
    return this.#slots.filter((s) => s.ready && !s.dead);
  }

  #spawn(): Promise<void> {
    // execArgv []: the worker loads TypeScript through tsx itself (cryptoWorker.mjs)
    // and must not inherit the parent's preloads (`--import tsx`, profilers).
    const worker = new Worker(WORKER_URL, { execArgv: [] });
    worker.unref();
    const slot: Slot = { worker, ready: false, dead: false, current: null };
    this.#slots.push(slot);
    return new Promise<void>((loaded) => {
      worker.on('message', (msg: { ready?: true; id?: number; ok?: boolean; result?: unknown; error?: string }) => {
        if (msg.ready) {
          slot.ready = true;
          loaded();
        } else {
          const p = slot.current;
          slot.current = null;
          if (p && p.id === msg.id) {
            if (msg.ok) p.resolve(msg.result);
            else p.reject(new Error(msg.error ?? 'worker task failed'));
          }
        }
        this.#pump();
      });
      const down = (why: string) => {
        if (slot.dead) return;
        slot.dead = true;
        loaded();
        if (!this.#closed) this.#logger.warn({ why }, 'crypto pool worker stopped; its work runs in-thread');
        slot.current?.reject(new Error(why));
        slot.current = null;
        this.#pump(); // with no worker left, the queue falls back in-thread
      };
      worker.on('error', (err) => down(String(err)));
      worker.on('exit', (code) => down(`exited with code ${code}`));
    });
  }

  #submit(task: Task): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, task, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    for (const slot of this.#slots) {
      if (!slot.ready || slot.dead || slot.current) continue;
      const p = this.#queue.shift();
      if (!p) return;
      slot.current = p;
      slot.worker.postMessage({ id: p.id, task: p.task });
    }
    if (this.#queue.length && this.#live().length === 0) {
      for (const p of this.#queue.splice(0)) p.reject(new Error('no crypto pool worker ready'));
    }
  }
}
