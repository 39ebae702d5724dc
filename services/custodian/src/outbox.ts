/**
 * Records this node sends the coordinator (`POST /v1/records`): persisted before
 * the first attempt, retried with backoff until acknowledged, resumed at start.
 */
import { HttpError, requestJson } from '@custodes/shared/service';
import type { Logger } from './logger';
import type { Store } from './store';

const MAX_BACKOFF_MS = 30_000;

/** The outbox key of this node's retirement statement for `epoch` (retirement.ts; the replica acknowledges it, docs/PROTOCOL.md §3.10). */
export const retiredKey = (epoch: number): string => `retired:${epoch}`;

export class Outbox {
  #running: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  #failures = 0;
  #again = false;
  /**
   * Records the coordinator took from an answer (kickLater): not posted before
   * this time (ms), each its own grace period, so that a pass for one record
   * never posts another that has only just been made. In memory: after a
   * restart everything unacknowledged is posted, as it always was.
   */
  readonly #notBefore = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly coordinatorUrl: string,
    private readonly log: Logger,
    /** How long kickLater waits (CustodianConfig.outboxGraceMs). */
    private readonly graceMs: number,
    /** CustodianConfig.insecureHttp. */
    private readonly insecureHttp = false,
  ) {}

  /**
   * Starts (or restarts) a sending pass; returns when the pass ends. Never
   * rejects: a pass that fails (its own bookkeeping could not be stored, e.g.
   * STORAGE_FULL) is logged and tried again later; nothing is lost, the rows
   * stay unacknowledged.
   */
  kick(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#running) {
      this.#again = true; // a record may have arrived after this pass read the queue
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.#pass();
      } while (this.#again && !this.#closed);
    })()
      .catch((err: unknown) => {
        if (this.#closed) return;
        this.#failures++;
        const retryInMs = Math.min(MAX_BACKOFF_MS, 200 * 2 ** Math.min(this.#failures, 8));
        this.log.error({ err: String(err), retryInMs }, 'outbox pass failed; will retry');
        this.#arm(retryInMs);
      })
      .finally(() => {
        this.#running = null;
      });
    return this.#running;
  }

  /**
   * A pass after the grace period unless one starts before: for records the
   * coordinator took from an answer (releases; decisions answered to a
   * delivery with a checkpoint bundle), which the replica acknowledges once it
   * sees them logged (replica.ts); this pass posts only what is still missing.
   */
  kickLater(key: string): void {
    if (this.#closed) return;
    const now = Date.now();
    for (const [k, t] of this.#notBefore) if (t <= now) this.#notBefore.delete(k); // acknowledged or posted meanwhile
    this.#notBefore.set(key, now + this.graceMs);
    this.#arm(this.graceMs);
  }

  /** A pass in `ms` unless one is due sooner. */
  #arm(ms: number): void {
    if (this.#closed || this.#timer) return; // a pass is due anyway; it re-arms for what it leaves
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.kick();
    }, ms);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  async #pass(): Promise<void> {
    let failed = false;
    let deferred = Infinity;
    for (const row of this.store.pendingOutbox()) {
      if (this.#closed) return;
      const notBefore = this.#notBefore.get(row.key);
      if (notBefore !== undefined && notBefore > Date.now()) {
        deferred = Math.min(deferred, notBefore); // still in its grace period: the replica may acknowledge it
        continue;
      }
      this.#notBefore.delete(row.key);
      try {
        const res = await requestJson<{ index?: unknown }>(`${this.coordinatorUrl}/v1/records`, {
          body: { entry: JSON.parse(row.entry) as unknown },
          timeoutMs: 10_000,
          insecureHttp: this.insecureHttp,
        });
        if (this.#closed) return;
        this.store.ackOutbox(row.key, typeof res.index === 'number' ? res.index : null);
        this.log.info({ record: row.key, index: res.index }, 'record acknowledged by the coordinator');
      } catch (err) {
        if (this.#closed) return;
        failed = true;
        const message = err instanceof HttpError ? `${err.status} ${err.code}` : (err as Error).message;
        this.store.failOutbox(row.key, message);
        this.log.warn({ record: row.key, error: message }, 'posting a record failed; will retry');
      }
    }
    if (failed && !this.#closed) {
      this.#failures++;
      this.#arm(Math.min(MAX_BACKOFF_MS, 200 * 2 ** Math.min(this.#failures, 8)));
    } else if (!failed) this.#failures = 0;
    if (deferred < Infinity) this.#arm(Math.max(0, deferred - Date.now()));
  }
}
