/**
 * The coordinator's repository: SQL only, plain records in and out
 * (STYLE.md: route → domain → repository). Callers that change several rows
 * wrap the calls in `transaction`.
 */
import type { Statement } from 'better-sqlite3';
import type { SealedResult } from '@custodes/shared/crypto';
import type { DB, StorageMonitor } from '@custodes/shared/service';
import type { EnvelopeFailureCode } from '../rules/requestChecks';
import type { RequestFailureCode } from '../workflow/decryption';

export interface TokenRow {
  agency: string;
  investigator: string;
}

export interface WarrantRow {
  id: string;
  logIndex: number;
  commitment: string;
  agency: string;
  investigator: string;
  court: string;
  expiresAt: number;
  sealedUntil: number;
  maxEnvelopes: number;
  warrantJson: string;
  salt: string;
}

export interface DeliveryRow {
  warrantId: string;
  custodian: number;
  state: 'pending' | 'delivered' | 'rejected';
  attempts: number;
  lastError: string | null;
}

export type RequestState = 'draft' | 'logged' | 'cosigned' | 'releasing' | 'complete' | 'failed';

export interface RequestRow {
  id: string;
  warrantId: string;
  investigator: string;
  state: RequestState;
  envelopeCount: number;
  entryJson: string | null;
  logIndex: number | null;
  decrypted: number;
  failed: number;
  errorCode: RequestFailureCode | null;
  errorMessage: string | null;
  completedAt: number | null;
  purgeAt: number | null;
  purged: boolean;
  /** When it first went to releasing (Unix seconds), null before. */
  releasingSince: number | null;
}

export interface ResultRow {
  position: number;
  envelopeId: string;
  /** The plaintext sealed to the request's investigator (shared/src/crypto/sealed.ts); null if it failed. */
  sealed: SealedResult | null;
  failure: EnvelopeFailureCode | null;
}

interface RawRequest {
  id: string;
  warrant_id: string;
  investigator: string;
  state: RequestState;
  envelope_count: number;
  entry_json: string | null;
  log_index: number | null;
  decrypted: number;
  failed: number;
  /** Written only by failRequest. */
  error_code: RequestFailureCode | null;
  error_message: string | null;
  completed_at: number | null;
  purge_at: number | null;
  purged: number;
  releasing_since: number | null;
}

function toRequest(r: RawRequest): RequestRow {
  return {
    id: r.id,
    warrantId: r.warrant_id,
    investigator: r.investigator,
    state: r.state,
    envelopeCount: r.envelope_count,
    entryJson: r.entry_json,
    logIndex: r.log_index,
    decrypted: r.decrypted,
    failed: r.failed,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    completedAt: r.completed_at,
    purgeAt: r.purge_at,
    purged: r.purged === 1,
    releasingSince: r.releasing_since,
  };
}

export class Repository {
  readonly #db: DB;
  /** Called after a request's state is set (wakes long-polls; fresh log entries wake them via the ledger). */
  onRequestState: (() => void) | undefined;
  /** Statements by SQL text, prepared on first use (preparing costs more than most of these queries). */
  readonly #statements = new Map<string, Statement>();

  readonly #transaction: <T>(fn: () => T) => T;

  /** With `monitor`, every `transaction` reports its storage failures and committed changes (docs/PROTOCOL.md §9.5). */
  constructor(db: DB, monitor?: StorageMonitor) {
    this.#db = db;
    const transaction = <T>(fn: () => T): T => this.#db.transaction(fn)();
    this.#transaction = monitor ? monitor.observe(db, transaction) : transaction;
  }

  #prepare(sql: string): Statement {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  /** Runs `fn` in one SQLite transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.#transaction(fn);
  }

  // ## Entry keys (never log anything twice)

  entryIndex(key: string): number | undefined {
    const row = this.#prepare('SELECT log_index FROM entry_keys WHERE key = ?').get(key) as { log_index: number } | undefined;
    return row?.log_index;
  }

  putEntryKey(key: string, logIndex: number): void {
    this.#prepare('INSERT INTO entry_keys (key, log_index) VALUES (?, ?)').run(key, logIndex);
  }

  /**
   * Log indices of the entries keyed `prefix…`, ascending (the DKG sessions a
   * restart resumes, docs/PROTOCOL.md §3.8). Requires a non-empty ASCII
   * prefix: keys in [prefix, prefix with its last character incremented).
   */
  entryIndicesWithPrefix(prefix: string): number[] {
    if (prefix.length === 0) throw new RangeError('prefix must not be empty');
    const upper = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
    return this.#prepare('SELECT log_index FROM entry_keys WHERE key >= ? AND key < ? ORDER BY log_index').pluck().all(prefix, upper) as number[];
  }

  // ## Warrant index of the log (migration 5; docs/PROTOCOL.md §7.3, "Warrant search")

  putWarrantEntry(warrantId: string, logIndex: number): void {
    this.#prepare('INSERT OR IGNORE INTO warrant_entries (warrant_id, log_index) VALUES (?, ?)').run(warrantId, logIndex);
  }

  /** Log indices of `warrantId`'s entries in [0, size), ascending. */
  warrantEntries(warrantId: string, size: number): number[] {
    return this.#prepare('SELECT log_index FROM warrant_entries WHERE warrant_id = ? AND log_index < ? ORDER BY log_index')
      .pluck()
      .all(warrantId, size) as number[];
  }

  // ## Registry

  /** Log indices of every registry entry in [0, size), by sequence (genesis first). */
  registryIndices(size: number): number[] {
    return this.#prepare('SELECT log_index FROM registry WHERE log_index < ? ORDER BY sequence').pluck().all(size) as number[];
  }

  putRegistry(sequence: number, logIndex: number, entryJson: string): void {
    this.#prepare('INSERT INTO registry (sequence, log_index, entry_json) VALUES (?, ?, ?)').run(sequence, logIndex, entryJson);
  }

  /** The registry entry in force just before log index `logIndex` (the newest logged before it), as logged. */
  registryBefore(logIndex: number): string | undefined {
    return this.#prepare('SELECT entry_json FROM registry WHERE log_index < ? ORDER BY sequence DESC LIMIT 1').pluck().get(logIndex) as string | undefined;
  }

  latestRegistry(): { sequence: number; logIndex: number; entryJson: string } | undefined {
    const row = this.#prepare('SELECT sequence, log_index, entry_json FROM registry ORDER BY sequence DESC LIMIT 1').get() as
      | { sequence: number; log_index: number; entry_json: string }
      | undefined;
    return row && { sequence: row.sequence, logIndex: row.log_index, entryJson: row.entry_json };
  }

  // ## Tokens

  putToken(tokenHash: string, agency: string, investigator: string, createdAt: number): void {
    this.#prepare('INSERT INTO tokens (token_hash, agency, investigator, created_at) VALUES (?, ?, ?, ?)')
      .run(tokenHash, agency, investigator, createdAt);
  }

  token(tokenHash: string): TokenRow | undefined {
    return this.#prepare('SELECT agency, investigator FROM tokens WHERE token_hash = ?').get(tokenHash) as TokenRow | undefined;
  }

  // ## Warrants

  putWarrant(w: WarrantRow, receivedAt: number): void {
    this.#prepare(
        `INSERT INTO warrants (id, log_index, commitment, agency, investigator, court, expires_at, sealed_until,
           max_envelopes, warrant_json, salt, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(w.id, w.logIndex, w.commitment, w.agency, w.investigator, w.court, w.expiresAt, w.sealedUntil, w.maxEnvelopes, w.warrantJson, w.salt, receivedAt);
  }

  warrant(id: string): WarrantRow | undefined {
    const r = this.#prepare('SELECT * FROM warrants WHERE id = ?').get(id) as
      | {
          id: string;
          log_index: number;
          commitment: string;
          agency: string;
          investigator: string;
          court: string;
          expires_at: number;
          sealed_until: number;
          max_envelopes: number;
          warrant_json: string;
          salt: string;
        }
      | undefined;
    return (
      r && {
        id: r.id,
        logIndex: r.log_index,
        commitment: r.commitment,
        agency: r.agency,
        investigator: r.investigator,
        court: r.court,
        expiresAt: r.expires_at,
        sealedUntil: r.sealed_until,
        maxEnvelopes: r.max_envelopes,
        warrantJson: r.warrant_json,
        salt: r.salt,
      }
    );
  }

  // ## Deliveries (outbox)

  putDeliveries(warrantId: string, custodians: readonly number[]): void {
    const stmt = this.#prepare("INSERT OR IGNORE INTO deliveries (warrant_id, custodian, state) VALUES (?, ?, 'pending')");
    for (const c of custodians) stmt.run(warrantId, c);
  }

  pendingDeliveries(): DeliveryRow[] {
    // Served by the partial index deliveries_pending (migration 3): keep `state = 'pending'` literal.
    const rows = this.#prepare("SELECT warrant_id, custodian, state, attempts, last_error FROM deliveries WHERE state = 'pending' ORDER BY rowid")
      .all() as { warrant_id: string; custodian: number; state: DeliveryRow['state']; attempts: number; last_error: string | null }[];
    return rows.map((r) => ({ warrantId: r.warrant_id, custodian: r.custodian, state: r.state, attempts: r.attempts, lastError: r.last_error }));
  }

  deliveries(warrantId: string): DeliveryRow[] {
    const rows = this.#prepare('SELECT warrant_id, custodian, state, attempts, last_error FROM deliveries WHERE warrant_id = ? ORDER BY custodian')
      .all(warrantId) as { warrant_id: string; custodian: number; state: DeliveryRow['state']; attempts: number; last_error: string | null }[];
    return rows.map((r) => ({ warrantId: r.warrant_id, custodian: r.custodian, state: r.state, attempts: r.attempts, lastError: r.last_error }));
  }

  markDelivery(warrantId: string, custodian: number, state: DeliveryRow['state'], error: string | null): void {
    this.#prepare('UPDATE deliveries SET state = ?, attempts = attempts + 1, last_error = ? WHERE warrant_id = ? AND custodian = ?')
      .run(state, error, warrantId, custodian);
  }

  // ## Decisions and revocations

  decision(warrantId: string, custodian: number): { decision: 'approve' | 'deny'; logIndex: number } | undefined {
    const r = this.#prepare('SELECT decision, log_index FROM decisions WHERE warrant_id = ? AND custodian = ?').get(warrantId, custodian) as
      | { decision: 'approve' | 'deny'; log_index: number }
      | undefined;
    return r && { decision: r.decision, logIndex: r.log_index };
  }

  putDecision(warrantId: string, custodian: number, decision: 'approve' | 'deny', logIndex: number): void {
    this.#prepare('INSERT INTO decisions (warrant_id, custodian, decision, log_index) VALUES (?, ?, ?, ?)').run(warrantId, custodian, decision, logIndex);
  }

  decisions(warrantId: string): { custodian: number; decision: 'approve' | 'deny' }[] {
    return this.#prepare('SELECT custodian, decision FROM decisions WHERE warrant_id = ? ORDER BY custodian').all(warrantId) as {
      custodian: number;
      decision: 'approve' | 'deny';
    }[];
  }

  putRevocation(warrantId: string, logIndex: number): void {
    this.#prepare('INSERT INTO revocations (warrant_id, log_index) VALUES (?, ?)').run(warrantId, logIndex);
  }

  isRevoked(warrantId: string): boolean {
    return this.#prepare('SELECT 1 FROM revocations WHERE warrant_id = ?').get(warrantId) !== undefined;
  }

  // ## Witnesses

  witnessSize(custodian: number): number {
    const r = this.#prepare('SELECT size FROM witnesses WHERE custodian = ?').get(custodian) as { size: number } | undefined;
    return r?.size ?? 0;
  }

  setWitnessSize(custodian: number, size: number): void {
    this.#prepare('INSERT INTO witnesses (custodian, size) VALUES (?, ?) ON CONFLICT(custodian) DO UPDATE SET size = excluded.size')
      .run(custodian, size);
  }

  // ## Requests

  putRequest(id: string, warrantId: string, investigator: string, createdAt: number): void {
    this.#prepare("INSERT INTO requests (id, warrant_id, investigator, state, created_at) VALUES (?, ?, ?, 'draft', ?)")
      .run(id, warrantId, investigator, createdAt);
  }

  request(id: string): RequestRow | undefined {
    const r = this.#prepare('SELECT * FROM requests WHERE id = ?').get(id) as RawRequest | undefined;
    return r && toRequest(r);
  }

  unfinishedRequests(): RequestRow[] {
    const rows = this.#prepare("SELECT * FROM requests WHERE state IN ('logged', 'cosigned', 'releasing') ORDER BY created_at, id")
      .all() as RawRequest[];
    return rows.map(toRequest);
  }

  /** Envelopes already requested under `warrantId` by logged requests (the `maxEnvelopes` cap). */
  requestedEnvelopes(warrantId: string): number {
    // Served by the index requests_by_warrant (migration 3).
    const r = this.#prepare("SELECT COALESCE(SUM(envelope_count), 0) AS n FROM requests WHERE warrant_id = ? AND state <> 'draft'")
      .get(warrantId) as { n: number };
    return r.n;
  }

  /** To releasing; the first time also records when (a restart keeps that time: the partials deadline counts from it). */
  startReleasing(id: string, at: number): void {
    this.#prepare("UPDATE requests SET state = 'releasing', releasing_since = COALESCE(releasing_since, ?) WHERE id = ?").run(at, id);
    this.onRequestState?.();
  }

  markRequestLogged(id: string, entryJson: string, logIndex: number): void {
    this.#prepare("UPDATE requests SET state = 'logged', entry_json = ?, log_index = ? WHERE id = ?").run(entryJson, logIndex, id);
  }

  completeRequest(id: string, decrypted: number, failed: number, completedAt: number, purgeAt: number): void {
    this.#prepare("UPDATE requests SET state = 'complete', decrypted = ?, failed = ?, completed_at = ?, purge_at = ? WHERE id = ?")
      .run(decrypted, failed, completedAt, purgeAt, id);
  }

  failRequest(id: string, code: RequestFailureCode, message: string, completedAt: number): void {
    this.#prepare(
        "UPDATE requests SET state = 'failed', failed = envelope_count, error_code = ?, error_message = ?, completed_at = ? WHERE id = ?",
      )
      .run(code, message, completedAt, id);
  }

  // ## Request envelopes

  envelopePosition(requestId: string, envelopeId: string): number | undefined {
    const r = this.#prepare('SELECT position FROM request_envelopes WHERE request_id = ? AND envelope_id = ?').get(requestId, envelopeId) as
      | { position: number }
      | undefined;
    return r?.position;
  }

  /** Appends an envelope at the next position; returns it. */
  addEnvelope(requestId: string, envelopeId: string, envelopeJson: string): number {
    const r = this.#prepare('SELECT envelope_count FROM requests WHERE id = ?').get(requestId) as { envelope_count: number };
    const position = r.envelope_count;
    this.#prepare('INSERT INTO request_envelopes (request_id, position, envelope_id, envelope_json) VALUES (?, ?, ?, ?)')
      .run(requestId, position, envelopeId, envelopeJson);
    this.#prepare('UPDATE requests SET envelope_count = envelope_count + 1 WHERE id = ?').run(requestId);
    return position;
  }

  envelopes(requestId: string): { position: number; envelopeId: string; envelopeJson: string }[] {
    const rows = this.#prepare('SELECT position, envelope_id, envelope_json FROM request_envelopes WHERE request_id = ? ORDER BY position')
      .all(requestId) as { position: number; envelope_id: string; envelope_json: string }[];
    return rows.map((r) => ({ position: r.position, envelopeId: r.envelope_id, envelopeJson: r.envelope_json }));
  }

  // ## Results

  /** Stores one envelope's outcome: a result sealed to the investigator (never a plaintext), or a failure. */
  putResult(requestId: string, position: number, envelopeId: string, sealed: SealedResult | null, failure: EnvelopeFailureCode | null): void {
    this.#prepare('INSERT OR REPLACE INTO results (request_id, position, envelope_id, sealed, failure) VALUES (?, ?, ?, ?, ?)')
      .run(requestId, position, envelopeId, sealed ? JSON.stringify({ E: sealed.E, nonce: sealed.nonce, ciphertext: sealed.ciphertext }) : null, failure);
  }

  results(requestId: string): ResultRow[] {
    const rows = this.#prepare('SELECT position, envelope_id, sealed, failure FROM results WHERE request_id = ? ORDER BY position')
      // `failure` is written only by putResult.
      .all(requestId) as { position: number; envelope_id: string; sealed: string | null; failure: EnvelopeFailureCode | null }[];
    return rows.map((r) => ({
      position: r.position,
      envelopeId: r.envelope_id,
      sealed: r.sealed === null ? null : (JSON.parse(r.sealed) as SealedResult),
      failure: r.failure,
    }));
  }

  /** Deletes sealed results whose retention has passed; returns how many requests were purged. */
  purgeResults(now: number): number {
    return this.transaction(() => {
      // Served by the partial index requests_to_purge (migration 3): its WHERE must imply the index's.
      const due = this.#prepare('SELECT id FROM requests WHERE purged = 0 AND purge_at IS NOT NULL AND purge_at <= ?').all(now) as { id: string }[];
      const del = this.#prepare('DELETE FROM results WHERE request_id = ?');
      const mark = this.#prepare('UPDATE requests SET purged = 1 WHERE id = ?');
      for (const { id } of due) {
        del.run(id);
        mark.run(id);
      }
      return due.length;
    });
  }

  // ## Operations (docs/PROTOCOL.md §9.5, Health and metrics)

  /** The size each witness last cosigned, by custodian index. */
  witnessSizes(): Map<number, number> {
    const rows = this.#prepare('SELECT custodian, size FROM witnesses').all() as { custodian: number; size: number }[];
    return new Map(rows.map((r) => [r.custodian, r.size]));
  }

  /** Warrant deliveries not yet accepted or refused by their custodian (through deliveries_pending, migration 3). */
  pendingDeliveryCount(): number {
    return this.#prepare("SELECT COUNT(*) FROM deliveries WHERE state = 'pending'").pluck().get() as number;
  }

  /** Requests in each unfinished state (through requests_unfinished, migration 1). */
  unfinishedRequestCounts(): { state: string; n: number }[] {
    return this.#prepare("SELECT state, COUNT(*) AS n FROM requests WHERE state IN ('logged', 'cosigned', 'releasing') GROUP BY state").all() as { state: string; n: number }[];
  }

}
