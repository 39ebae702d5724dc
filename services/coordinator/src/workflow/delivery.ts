/**
 * Delivery of full warrants to custodians (docs/PROTOCOL.md §5 step 2): a persisted
 * outbox, retried in the background until every custodian has each warrant.
 * A custodian takes a warrant only once it has cosigned a checkpoint that
 * contains it (its replica then holds the cover sheet), so the delivery
 * carries that checkpoint (Cosigner.carry): one exchange cosigns, delivers,
 * and brings back the custodian's decision if its policy made one at once,
 * which is logged from here (its outbox would post it a few seconds later).
 * 409 WARRANT_NOT_LOGGED means the custodian's replica lags: run a cosigning
 * round and retry.
 */
import { HttpError } from '@custodes/shared/service';
import { SignedWarrantSchema } from '@custodes/shared/records';
import type { ApprovalEntry } from '@custodes/shared/records';
import type { GroupCommit } from '../repo/groupCommit';
import type { Logger } from 'pino';
import type { DeliveryRow, Repository, WarrantRow } from '../repo/repository';
import type { Cosigner } from './cosigner';
import { deliverWarrant, mapLimit } from './custodians';

export interface DeliveryDeps {
  repo: Repository;
  /** Logs a custodian's signed decision brought back by a delivery (as `POST /v1/records` would), inside the caller's transaction. */
  logApproval: (entry: ApprovalEntry) => void;
  /** The coordinator's group commit: a decision is logged with the delivery's outcome and the cosignature of the same answer. */
  commits: GroupCommit;
  cosigner: Cosigner;
  custodianUrl: (index: number) => string;
  timeoutMs: number;
  /** CoordinatorConfig.insecureHttp: plain http to custodians off loopback allowed. */
  insecureHttp?: boolean;
  concurrency: number;
  logger: Logger;
}

const MAX_BACKOFF_MS = 10_000;
/** Delivery outcomes are written together this long after the first (see #mark). */
const MARK_DELAY_MS = 50;

export class Delivery {
  readonly #d: DeliveryDeps;
  /** Running passes (close waits for them). */
  readonly #passes = new Set<Promise<void>>();
  /** `warrantId:custodian` of deliveries being attempted now: a pass skips them. */
  readonly #inFlight = new Set<string>();
  #timer: NodeJS.Timeout | null = null;
  #failures = 0;
  #flushTimer: NodeJS.Timeout | null = null;
  /** Outcomes waiting for the next batched write (#mark). */
  readonly #unsaved: { warrantId: string; custodian: number; state: DeliveryRow['state']; error: string | null; resolve: () => void; reject: (err: unknown) => void }[] = [];
  #closed = false;

  constructor(deps: DeliveryDeps) {
    this.#d = deps;
    // A custodian can take a warrant once it has cosigned a checkpoint with it: deliver then, to that one.
    deps.cosigner.onCosigned(() => this.kick());
  }

  /** Starts a pass now over every pending delivery not already being attempted. */
  kick(): void {
    if (this.#closed) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const run: Promise<void> = this.#pass()
      .catch((err: unknown) => {
        if (!this.#closed) this.#d.logger.error({ err: String(err) }, 'warrant delivery pass failed');
      })
      .finally(() => this.#passes.delete(run));
    this.#passes.add(run);
  }

  /** Stops scheduling; resolves when the running passes (if any) end. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#flush(); // outcomes already known are kept
    await Promise.allSettled([...this.#passes]);
  }

  /**
   * Records a delivery's outcome. Outcomes within MARK_DELAY_MS share one
   * transaction (one fsync, not one per custodian, off the busy moment); the
   * delivery stays in flight until it is written. Nothing waits for these
   * rows but the next pass: an outcome lost in a crash only means one more
   * (idempotent) delivery after the restart.
   */
  #mark(warrantId: string, custodian: number, state: DeliveryRow['state'], error: string | null): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#unsaved.push({ warrantId, custodian, state, error, resolve, reject });
      if (this.#unsaved.length === 1) this.#flushTimer = setTimeout(() => this.#flush(), MARK_DELAY_MS);
    });
  }

  #flush(): void {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    const batch = this.#unsaved.splice(0);
    if (batch.length === 0) return;
    try {
      this.#d.repo.transaction(() => {
        for (const m of batch) this.#d.repo.markDelivery(m.warrantId, m.custodian, m.state, m.error);
      });
    } catch (err) {
      for (const m of batch) m.reject(err);
      return;
    }
    for (const m of batch) m.resolve();
  }

  async #pass(): Promise<void> {
    const { repo, logger, cosigner } = this.#d;
    const items: { item: DeliveryRow; warrant: WarrantRow }[] = [];
    for (const item of repo.pendingDeliveries()) {
      const key = `${item.warrantId}:${item.custodian}`;
      if (this.#inFlight.has(key)) continue;
      const w = repo.warrant(item.warrantId);
      if (!w) throw new Error(`outbox names unknown warrant ${item.warrantId}`);
      // Its replica lacks the warrant until it cosigns a checkpoint with it; onCosigned kicks again then.
      if (cosigner.catchingUp(item.custodian, w.logIndex + 1)) continue;
      this.#inFlight.add(key);
      items.push({ item, warrant: w });
    }
    if (items.length === 0) return;
    let lagging = false;
    let left = 0;
    try {
      const settled = await mapLimit(items, this.#d.concurrency, async ({ item, warrant: w }) => {
        const warrant = SignedWarrantSchema.parse(JSON.parse(w.warrantJson));
        try {
          const url = this.#d.custodianUrl(item.custodian);
          const answer = await cosigner.carry(item.custodian, w.logIndex + 1, async (checkpoint) => {
            const a = await deliverWarrant(url, warrant, w.salt, this.#d.timeoutMs, checkpoint, this.#d.insecureHttp);
            return { result: a, cosignature: a.cosignature };
          });
          if (this.#closed) return;
          const approval = answer.approval;
          if (approval && approval.custodian === item.custodian && approval.warrantId === item.warrantId) {
            try {
              await this.#d.commits.run(() => {
                repo.markDelivery(item.warrantId, item.custodian, 'delivered', null);
                this.#d.logApproval(approval);
              });
            } catch (err) {
              // Not lost: the custodian's outbox posts it unless it sees it logged.
              logger.warn({ warrantId: item.warrantId, custodian: item.custodian, err: String(err) }, 'logging a delivered decision failed');
              await this.#mark(item.warrantId, item.custodian, 'delivered', null);
            }
          } else await this.#mark(item.warrantId, item.custodian, 'delivered', null);
          logger.info({ warrantId: item.warrantId, custodian: item.custodian }, 'warrant delivered');
        } catch (err) {
          if (this.#closed) return;
          if (err instanceof HttpError && err.code === 'WARRANT_NOT_LOGGED') {
            lagging = true;
            left++;
            await this.#mark(item.warrantId, item.custodian, 'pending', err.code);
          } else if (err instanceof HttpError && err.status >= 400 && err.status < 500 && err.status !== 429 && err.status !== 503) {
            // The custodian checked the warrant and refused it: retrying cannot help.
            await this.#mark(item.warrantId, item.custodian, 'rejected', err.code);
            logger.error({ warrantId: item.warrantId, custodian: item.custodian, code: err.code }, 'custodian refused the warrant');
          } else {
            left++;
            await this.#mark(item.warrantId, item.custodian, 'pending', err instanceof HttpError ? err.code : 'UNREACHABLE');
          }
        }
      });
      // An outcome that could not be stored (e.g. STORAGE_FULL) leaves its row pending: try again later.
      for (const r of settled) {
        if (r.status === 'fulfilled') continue;
        left++;
        if (!this.#closed) logger.error({ err: String(r.reason) }, 'a warrant delivery could not be recorded; retrying later');
      }
    } finally {
      for (const { item } of items) this.#inFlight.delete(`${item.warrantId}:${item.custodian}`);
    }
    if (this.#closed) return;
    if (lagging) await cosigner.round().catch(() => undefined);
    if (left === 0) {
      this.#failures = 0;
      return;
    }
    // Something is left: retry with backoff (sooner when only a cosigning round was missing).
    this.#failures = lagging ? 0 : this.#failures + 1;
    const delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** this.#failures);
    if (this.#timer || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.kick();
    }, delay);
  }
}
