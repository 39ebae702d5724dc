/**
 * Records this node sends the coordinator (`POST /v1/records`): persisted before
 * the first attempt, retried with backoff until acknowledged, resumed at start.
 */
import { HttpError, requestJson } from '@custodes/shared/service';
import type { Logger } from './logger';
import type { Store } from './store';

const MAX_BACKOFF_MS = 30_000;

export class Outbox {
  #running: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  #failures = 0;
  #again = false;

  constructor(
    private readonly store: Store,
    private readonly coordinatorUrl: string,
    private readonly log: Logger,
    /** How long kickLater waits (CustodianConfig.outboxGraceMs). */
    private readonly graceMs: number,
  ) {}

  /** Starts (or restarts) a sending pass; returns when the pass ends. */
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
    })().finally(() => {
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
  kickLater(): void {
    if (this.#closed || this.#timer) return; // a pass is due anyway
    this.#timer = setTimeout(() => void this.kick(), this.graceMs);
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
    for (const row of this.store.pendingOutbox()) {
      if (this.#closed) return;
      try {
        const res = await requestJson<{ index?: unknown }>(`${this.coordinatorUrl}/v1/records`, {
          body: { entry: JSON.parse(row.entry) as unknown },
          timeoutMs: 10_000,
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
      const delay = Math.min(MAX_BACKOFF_MS, 200 * 2 ** Math.min(this.#failures, 8));
      this.#timer = setTimeout(() => void this.kick(), delay);
      this.#timer.unref();
    } else if (!failed) this.#failures = 0;
  }
}
