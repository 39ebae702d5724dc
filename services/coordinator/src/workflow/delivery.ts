/**
 * Delivery of full warrants to custodians (DESIGN.md §5 step 2): a persisted
 * outbox, retried in the background until every custodian has each warrant.
 * 409 WARRANT_NOT_LOGGED means the custodian's replica lags: run a cosigning
 * round (which makes it fetch the log) and retry.
 */
import { HttpError } from '@custodes/shared/service';
import { SignedWarrantSchema } from '@custodes/shared/records';
import type { Logger } from 'pino';
import type { Repository } from '../repo/repository';
import type { Cosigner } from './cosigner';
import { deliverWarrant, mapLimit } from './custodians';

export interface DeliveryDeps {
  repo: Repository;
  cosigner: Cosigner;
  custodianUrl: (index: number) => string;
  timeoutMs: number;
  concurrency: number;
  logger: Logger;
}

const MAX_BACKOFF_MS = 10_000;

export class Delivery {
  readonly #d: DeliveryDeps;
  #running: Promise<void> | null = null;
  #again = false;
  #timer: NodeJS.Timeout | null = null;
  #failures = 0;
  #closed = false;

  constructor(deps: DeliveryDeps) {
    this.#d = deps;
  }

  /** Starts a pass now (or right after the running one). */
  kick(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#running = this.#pass()
      .catch((err: unknown) => {
        if (!this.#closed) this.#d.logger.error({ err: String(err) }, 'warrant delivery pass failed');
      })
      .finally(() => {
        this.#running = null;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
  }

  /** Stops scheduling; resolves when the running pass (if any) ends. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  async #pass(): Promise<void> {
    const { repo, logger } = this.#d;
    const pending = repo.pendingDeliveries();
    if (pending.length === 0) return;
    let lagging = false;
    const results = await mapLimit(pending, this.#d.concurrency, async (item) => {
      const w = repo.warrant(item.warrantId);
      if (!w) throw new Error(`outbox names unknown warrant ${item.warrantId}`);
      const warrant = SignedWarrantSchema.parse(JSON.parse(w.warrantJson));
      try {
        await deliverWarrant(this.#d.custodianUrl(item.custodian), warrant, w.salt, this.#d.timeoutMs);
        if (this.#closed) return false;
        repo.markDelivery(item.warrantId, item.custodian, 'delivered', null);
        logger.info({ warrantId: item.warrantId, custodian: item.custodian }, 'warrant delivered');
        return true;
      } catch (err) {
        if (this.#closed) return false;
        if (err instanceof HttpError && err.code === 'WARRANT_NOT_LOGGED') {
          lagging = true;
          repo.markDelivery(item.warrantId, item.custodian, 'pending', err.code);
        } else if (err instanceof HttpError && err.status >= 400 && err.status < 500 && err.status !== 429 && err.status !== 503) {
          // The custodian checked the warrant and refused it: retrying cannot help.
          repo.markDelivery(item.warrantId, item.custodian, 'rejected', err.code);
          logger.error({ warrantId: item.warrantId, custodian: item.custodian, code: err.code }, 'custodian refused the warrant');
        } else {
          repo.markDelivery(item.warrantId, item.custodian, 'pending', err instanceof HttpError ? err.code : 'UNREACHABLE');
        }
        return false;
      }
    });
    if (this.#closed) return;
    if (lagging) await this.#d.cosigner.round().catch(() => undefined);
    const delivered = results.filter((r) => r.status === 'fulfilled' && r.value).length;
    if (delivered === pending.length) {
      this.#failures = 0;
      return;
    }
    // Something is left: retry with backoff (sooner when only a cosigning round was missing).
    this.#failures = lagging ? 0 : this.#failures + 1;
    const delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** this.#failures);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.kick();
    }, delay);
  }
}
