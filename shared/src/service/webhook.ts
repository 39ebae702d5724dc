/**
 * Signed webhooks with a durable outbox (docs/PROTOCOL.md §9.7).
 *
 * Signature (HMAC-SHA256 with a secret the operator configures on both sides):
 *   Custodes-Webhook-Id:        the event id (also the body's `id`)
 *   Custodes-Webhook-Timestamp: Unix seconds of this attempt
 *   Custodes-Webhook-Signature: v1=hex(HMAC-SHA256(secret, id ‖ "." ‖ timestamp ‖ "." ‖ body))
 * A receiver recomputes it over the exact body bytes, compares in constant
 * time, refuses a timestamp more than `toleranceSeconds` from its clock
 * (replays), and keeps the ids it has accepted: delivery is at-least-once, so
 * an event may arrive again (its 2xx was lost), always with the same id.
 *
 * Outbox: an event is a row of `webhook_outbox` (own migration table,
 * `webhook_migrations`, so it can live in any service's database) before it
 * is sent; a sending pass posts due rows oldest first, and a failed post (no
 * 2xx in time) is tried again after a backoff that doubles from `retryBaseMs`
 * to `retryMaxMs`. Rows survive a restart; a delivered row is kept with its
 * time. `dedupKey` makes an emit idempotent (the same happening, noticed
 * twice, is one event).
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { DB } from './db';
import { migrate } from './migrations';

// ## Signing (docs/PROTOCOL.md §9.7)

export const WEBHOOK_HEADERS = {
  id: 'custodes-webhook-id',
  timestamp: 'custodes-webhook-timestamp',
  signature: 'custodes-webhook-signature',
} as const;

/** Secrets shorter than this are refused: an HMAC key should be as long as its output. */
export const MIN_WEBHOOK_SECRET_BYTES = 32;

function checkSecret(secret: unknown): string {
  if (typeof secret !== 'string') throw new TypeError('webhook secret must be a string');
  if (Buffer.byteLength(secret, 'utf8') < MIN_WEBHOOK_SECRET_BYTES) throw new RangeError(`webhook secret must be at least ${MIN_WEBHOOK_SECRET_BYTES} bytes`);
  return secret;
}

/** hex(HMAC-SHA256(secret, id ‖ "." ‖ timestamp ‖ "." ‖ body)). */
function mac(secret: string, id: string, timestamp: number, body: string | Uint8Array): Buffer {
  return createHmac('sha256', secret).update(`${id}.${timestamp}.`, 'utf8').update(body).digest();
}

/** The three headers for one attempt at posting `body` (the exact bytes sent). */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): Record<string, string> {
  checkSecret(secret);
  if (typeof id !== 'string' || id.length === 0 || id.length > 128) throw new RangeError('webhook id must be 1–128 characters');
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new RangeError('timestamp must be Unix seconds');
  return {
    [WEBHOOK_HEADERS.id]: id,
    [WEBHOOK_HEADERS.timestamp]: String(timestamp),
    [WEBHOOK_HEADERS.signature]: `v1=${mac(secret, id, timestamp, body).toString('hex')}`,
  };
}

export type WebhookVerdict = { ok: true; id: string; timestamp: number } | { ok: false; reason: 'MISSING_HEADER' | 'BAD_TIMESTAMP' | 'STALE' | 'BAD_SIGNATURE' };

/**
 * Checks a received webhook (for receivers). `headers` as Node gives them
 * (lower-case names); `body` the exact bytes received. Returns a verdict,
 * never throws for what the sender sent (attacker-controlled); throws only
 * for a bad secret or clock argument (the caller's bug).
 */
export function verifyWebhook(
  secret: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: string | Uint8Array,
  nowSeconds: number = Math.floor(Date.now() / 1000),
  toleranceSeconds = 300,
): WebhookVerdict {
  checkSecret(secret);
  if (!Number.isSafeInteger(nowSeconds)) throw new TypeError('nowSeconds must be an integer');
  const one = (name: string): string | undefined => {
    const v = headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  const id = one(WEBHOOK_HEADERS.id);
  const ts = one(WEBHOOK_HEADERS.timestamp);
  const sig = one(WEBHOOK_HEADERS.signature);
  if (!id || !ts || !sig) return { ok: false, reason: 'MISSING_HEADER' };
  if (!/^(?:0|[1-9][0-9]{0,15})$/.test(ts)) return { ok: false, reason: 'BAD_TIMESTAMP' };
  const timestamp = Number(ts);
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, reason: 'STALE' };
  const m = /^v1=([0-9a-f]{64})$/.exec(sig);
  if (!m) return { ok: false, reason: 'BAD_SIGNATURE' };
  const given = Buffer.from(m[1]!, 'hex');
  if (!timingSafeEqual(given, mac(secret, id, timestamp, body))) return { ok: false, reason: 'BAD_SIGNATURE' };
  return { ok: true, id, timestamp };
}

// ## The outbox (SQLite)

const WEBHOOK_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE webhook_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    dedup_key TEXT UNIQUE,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    last_error TEXT,
    delivered_at INTEGER
  );
  CREATE INDEX webhook_outbox_due ON webhook_outbox (next_at, seq) WHERE delivered_at IS NULL;
  -- How far a service has turned its own tables into events (its change scan).
  CREATE TABLE webhook_cursors (name TEXT PRIMARY KEY, position INTEGER NOT NULL);
  `,
];

/** A webhook event as sent: no plaintexts, subject identifiers, tokens or keys (§9.7). */
export interface WebhookEvent {
  id: string;
  type: string;
  /** Unix seconds when the event happened. */
  time: number;
  source: Record<string, string | number>;
  data: Record<string, string | number | boolean | null>;
}

export interface WebhookOptions {
  url: string;
  secret: string;
  /** Who sends, in every event's `source` (e.g. `{ service: 'custodian', custodian: 1 }`). */
  source: Record<string, string | number>;
  /** First retry delay, ms (default 1000); doubles per failed attempt. */
  retryBaseMs?: number;
  /** Longest retry delay, ms (default 300 000). */
  retryMaxMs?: number;
  /** Per-attempt timeout, ms (default 10 000). */
  timeoutMs?: number;
  /** Milliseconds since the epoch. */
  nowMs?: () => number;
  /** Trouble reaching the receiver (never the secret or a body). */
  onError?: (message: string, eventId: string) => void;
}

interface Row {
  seq: number;
  id: string;
  body: string;
  attempts: number;
}

function checkUrl(url: unknown): string {
  if (typeof url !== 'string') throw new TypeError('webhook url must be a string');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RangeError('webhook url must be an absolute http(s) URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new RangeError('webhook url must be an absolute http(s) URL');
  return parsed.href;
}

export class WebhookSender {
  readonly #db: DB;
  readonly #url: string;
  readonly #secret: string;
  readonly #source: Record<string, string | number>;
  readonly #base: number;
  readonly #max: number;
  readonly #timeout: number;
  readonly #now: () => number;
  readonly #onError: (message: string, eventId: string) => void;
  readonly #sql;
  #running: Promise<void> | null = null;
  #again = false;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  /** Opens the outbox in `db` (creating its table) and sends what a previous run left undelivered. */
  constructor(db: DB, options: WebhookOptions) {
    this.#url = checkUrl(options.url);
    this.#secret = checkSecret(options.secret);
    this.#source = options.source;
    this.#base = options.retryBaseMs ?? 1000;
    this.#max = options.retryMaxMs ?? 300_000;
    this.#timeout = options.timeoutMs ?? 10_000;
    this.#now = options.nowMs ?? Date.now;
    this.#onError = options.onError ?? (() => {});
    this.#db = db;
    migrate(db, 'webhook_migrations', WEBHOOK_MIGRATIONS);
    // A new run is the retry for what an earlier run left undelivered: it is
    // due now, not when that run's backoff would have ended (a one-shot run,
    // `audit watch --once`, ends before any backoff does).
    db.prepare('UPDATE webhook_outbox SET next_at = ? WHERE delivered_at IS NULL AND next_at > ?').run(this.#now(), this.#now());
    this.#sql = {
      // A new event is due no sooner than the undelivered ones before it (oldest first, also during a backoff).
      insert: db.prepare(`INSERT OR IGNORE INTO webhook_outbox (id, dedup_key, body, created_at, next_at)
        VALUES (?, ?, ?, ?, MAX(?, COALESCE((SELECT MAX(next_at) FROM webhook_outbox WHERE delivered_at IS NULL), 0)))`),
      due: db.prepare('SELECT seq, id, body, attempts FROM webhook_outbox WHERE delivered_at IS NULL AND next_at <= ? ORDER BY next_at, seq LIMIT 100'),
      nextDue: db.prepare('SELECT MIN(next_at) FROM webhook_outbox WHERE delivered_at IS NULL').pluck(),
      delivered: db.prepare('UPDATE webhook_outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE seq = ?'),
      failed: db.prepare('UPDATE webhook_outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE seq = ?'),
      // The events behind a failed one wait for its retry, so they still go out in order.
      holdAll: db.prepare('UPDATE webhook_outbox SET next_at = MAX(next_at, ?) WHERE delivered_at IS NULL'),
      idOfKey: db.prepare('SELECT id FROM webhook_outbox WHERE dedup_key = ?').pluck(),
      pending: db.prepare('SELECT COUNT(*) FROM webhook_outbox WHERE delivered_at IS NULL').pluck(),
      cursor: db.prepare('SELECT position FROM webhook_cursors WHERE name = ?').pluck(),
      setCursor: db.prepare('INSERT INTO webhook_cursors (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position'),
    };
  }

  /**
   * The position of the change scan `name`; the first time, `initial()` (so
   * that enabling webhooks on a running node does not replay its history).
   */
  cursor(name: string, initial: () => number): number {
    const at = this.#sql.cursor.get(name) as number | undefined;
    if (at !== undefined) return at;
    const start = initial();
    this.#sql.setCursor.run(name, start);
    return start;
  }

  /** Moves the change scan `name` to `position`; in the transaction that emitted its events. */
  advance(name: string, position: number): void {
    this.#sql.setCursor.run(name, position);
  }

  /**
   * One attempt, not stored: for an event about the storage itself, when the
   * outbox cannot take it (a full disk). May be lost; never throws.
   */
  async sendNow(type: string, data: WebhookEvent['data'], time: number): Promise<boolean> {
    const event: WebhookEvent = { id: randomUUID(), type, time, source: this.#source, data };
    return (await this.#post({ seq: 0, id: event.id, body: JSON.stringify(event), attempts: 0 })) === null;
  }

  /**
   * Stores an event for delivery and starts a pass; returns its id (the
   * existing one's if `dedupKey` was emitted before). Must be called inside
   * the caller's transaction when the event must commit with a change; then
   * call `kick()` after the commit.
   */
  emit(type: string, data: WebhookEvent['data'], time: number, dedupKey?: string): string {
    const event: WebhookEvent = { id: randomUUID(), type, time, source: this.#source, data };
    const r = this.#sql.insert.run(event.id, dedupKey ?? null, JSON.stringify(event), this.#now(), this.#now());
    if (r.changes === 0 && dedupKey !== undefined) {
      return (this.#sql.idOfKey.get(dedupKey) as string | undefined) ?? event.id;
    }
    return event.id;
  }

  /** Events not delivered yet. */
  pending(): number {
    return this.#sql.pending.get() as number;
  }

  /** Starts (or repeats) a sending pass; resolves when it ends; never rejects. */
  kick(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.#pass();
      } while (this.#again && !this.#closed);
    })()
      .catch((err: unknown) => this.#onError(`webhook pass failed: ${(err as Error).message}`, ''))
      .finally(() => {
        this.#running = null;
        this.#arm();
      });
    return this.#running;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** A pass when the earliest undelivered event is due. */
  #arm(): void {
    if (this.#closed) return;
    const next = this.#sql.nextDue.get() as number | null;
    if (next === null) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.kick();
    }, Math.max(0, next - this.#now()));
    this.#timer.unref();
  }

  async #pass(): Promise<void> {
    for (;;) {
      const rows = this.#sql.due.all(this.#now()) as Row[];
      if (rows.length === 0) return;
      for (const row of rows) {
        if (this.#closed) return;
        const error = await this.#post(row);
        // Recorded even while closing (close() waits for this pass before its database closes): a
        // delivery the receiver accepted must not be sent again after a restart.
        if (error === null) {
          this.#sql.delivered.run(this.#now(), row.seq);
          continue;
        }
        const delay = Math.min(this.#max, this.#base * 2 ** Math.min(row.attempts, 30));
        const retryAt = this.#now() + delay;
        this.#db.transaction(() => {
          this.#sql.failed.run(retryAt, error.slice(0, 300), row.seq);
          this.#sql.holdAll.run(retryAt);
        })();
        this.#onError(`webhook delivery failed (${error}); retry in ${delay} ms`, row.id);
        return; // the receiver is in trouble: the rest waits for the retry, in order
      }
    }
  }

  /** One attempt; null on a 2xx, else why not. */
  async #post(row: Row): Promise<string | null> {
    const headers = { 'content-type': 'application/json', ...signWebhook(this.#secret, row.id, Math.floor(this.#now() / 1000), row.body) };
    try {
      const res = await fetch(this.#url, { method: 'POST', headers, body: row.body, redirect: 'error', signal: AbortSignal.timeout(this.#timeout) });
      await res.arrayBuffer().catch(() => undefined); // drain: keep-alive
      return res.ok ? null : `HTTP ${res.status}`;
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return cause ?? (err as Error).name;
    }
  }
}
