/**
 * The node's webhooks (docs/PROTOCOL.md §9.7): events derived from what the
 * node has already stored, so none is lost between a change and its event.
 * A change scan reads the review and release-log rows after its cursor and
 * emits, in one transaction with moving the cursor:
 *
 * - `warrant.awaiting-review` for a warrant queued for a person (not one the
 *   policy approved at once): warrant id, agency, court, when received, when
 *   it expires;
 * - `release.served` (request, warrant, count) and `release.refused`
 *   (request, warrant, refusal code) from the release log;
 *
 * and `storage.trouble` (the STORAGE_* code) when a call could not be stored,
 * at most one per code a minute. Never a subject, a scope, a plaintext, a
 * token or a key. The scan runs after every answered request and at start.
 */
import type { SignedWarrant } from '@custodes/shared/records';
import type { WebhookSender } from '@custodes/shared/service';
import type { Logger } from './logger';
import type { PolicyVerdict } from './policy';
import type { Store } from './store';

export interface WebhookConfig {
  url: string;
  /** HMAC-SHA256 key shared with the receiver, ≥ 32 bytes (docs/PROTOCOL.md §9.7). */
  secret: string;
  /** First retry delay, ms (default 1000), doubling up to `retryMaxMs` (default 5 minutes). */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

export class Notifier {
  readonly #store: Store;
  readonly #sender: WebhookSender;
  readonly #log: Logger;
  #scheduled = false;
  /** The minute of the last storage event per code: one a minute even when none can be stored. */
  readonly #storageMinute = new Map<string, number>();

  constructor(store: Store, sender: WebhookSender, log: Logger) {
    this.#store = store;
    this.#sender = sender;
    this.#log = log;
  }

  /** A scan on the next turn of the event loop (many requests, one scan). */
  scanSoon(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.scan();
    });
  }

  /** Turns new rows into events, then starts a sending pass. A failure is logged; the rows wait for the next scan. */
  scan(): void {
    try {
      this.#store.tx(() => {
        this.#reviews();
        this.#releases();
      });
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'webhook scan failed; the next one retries');
    }
    void this.#sender.kick();
  }

  #reviews(): void {
    const from = this.#sender.cursor('reviews', () => this.#store.lastReview());
    let last = from;
    for (const r of this.#store.reviewsAfter(from)) {
      last = r.seq;
      if ((JSON.parse(r.policy) as PolicyVerdict).auto) continue;
      const w = JSON.parse(r.warrant) as SignedWarrant;
      this.#sender.emit(
        'warrant.awaiting-review',
        { warrantId: r.warrantId, agency: w.agency, court: w.court, receivedAt: r.receivedAt, expiresAt: w.expiresAt },
        r.receivedAt,
        `review:${r.warrantId}`,
      );
    }
    if (last !== from) this.#sender.advance('reviews', last);
  }

  #releases(): void {
    const from = this.#sender.cursor('release_log', () => this.#store.lastReleaseLog());
    let last = from;
    for (const r of this.#store.releaseLogAfter(from)) {
      last = r.id;
      if (r.outcome === 'served') {
        this.#sender.emit('release.served', { requestId: r.requestId, warrantId: r.warrantId, count: r.count }, r.time, `release-log:${r.id}`);
      } else if (r.outcome === 'refused') {
        this.#sender.emit('release.refused', { requestId: r.requestId, warrantId: r.warrantId, code: r.code }, r.time, `release-log:${r.id}`);
      }
    }
    if (last !== from) this.#sender.advance('release_log', last);
  }

  /** A call could not be stored (docs/PROTOCOL.md §9.1): one event per code a minute, sent unstored if the outbox cannot take it. */
  storageTrouble(code: string, nowSeconds: number): void {
    const minute = Math.floor(nowSeconds / 60);
    if (this.#storageMinute.get(code) === minute) return;
    this.#storageMinute.set(code, minute);
    const data = { code };
    try {
      this.#sender.emit('storage.trouble', data, nowSeconds, `storage:${code}:${minute}`);
      void this.#sender.kick();
    } catch {
      void this.#sender.sendNow('storage.trouble', data, nowSeconds);
    }
  }

  close(): Promise<void> {
    return this.#sender.close();
  }
}
