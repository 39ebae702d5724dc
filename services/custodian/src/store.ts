/**
 * The custodian's SQLite repository: SQL only, plain records out (STYLE.md).
 * WAL and numbered migrations come from openDatabase; every multi-row change
 * goes through `tx` (docs/PROTOCOL.md §2).
 */
import { openDatabase, WebhookSender } from '@custodes/shared/service';
import type { OpenOptions, StorageMonitor, WebhookOptions } from '@custodes/shared/service';
import type { DB } from '@custodes/shared/service';
import type { CustodianCode } from './errors';

// ## Migrations (numbered; append, never edit)

const MIGRATIONS: readonly string[] = [
  // 1: node identity, sealed secrets, replica, index tables, local state
  `
  CREATE TABLE node (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    custodian INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    signing_key TEXT NOT NULL,
    name TEXT,
    group_key TEXT NOT NULL,
    commitments TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    unseal_shares INTEGER NOT NULL,
    unseal_threshold INTEGER NOT NULL,
    dev INTEGER NOT NULL,
    sealed_nonce BLOB NOT NULL,
    sealed_box BLOB NOT NULL,
    policy TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE entries (idx INTEGER PRIMARY KEY, type TEXT NOT NULL, leaf_hash BLOB NOT NULL, data BLOB NOT NULL);
  CREATE TABLE witness (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    origin TEXT NOT NULL,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    cosigned_at INTEGER NOT NULL
  );
  CREATE TABLE cosigned (size INTEGER PRIMARY KEY, root BLOB NOT NULL, time INTEGER NOT NULL);
  CREATE TABLE registry (idx INTEGER PRIMARY KEY, sequence INTEGER NOT NULL UNIQUE, data TEXT NOT NULL);
  CREATE TABLE warrants (warrant_id TEXT PRIMARY KEY, idx INTEGER NOT NULL, data TEXT NOT NULL);
  CREATE TABLE approvals (idx INTEGER PRIMARY KEY, warrant_id TEXT NOT NULL, custodian INTEGER NOT NULL, decision TEXT NOT NULL, commitment TEXT NOT NULL);
  CREATE INDEX approvals_by_warrant ON approvals (warrant_id);
  CREATE TABLE requests (request_id TEXT PRIMARY KEY, idx INTEGER NOT NULL, warrant_id TEXT NOT NULL, data TEXT NOT NULL);
  CREATE TABLE releases (idx INTEGER PRIMARY KEY, request_id TEXT NOT NULL, custodian INTEGER NOT NULL, count INTEGER NOT NULL);
  CREATE TABLE revocations (idx INTEGER PRIMARY KEY, warrant_id TEXT NOT NULL, by TEXT NOT NULL);
  CREATE INDEX revocations_by_warrant ON revocations (warrant_id);
  CREATE TABLE unsealings (idx INTEGER PRIMARY KEY, warrant_id TEXT NOT NULL);
  CREATE TABLE reviews (
    warrant_id TEXT PRIMARY KEY,
    warrant TEXT NOT NULL,
    salt TEXT NOT NULL,
    commitment TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    policy TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied')),
    reason TEXT,
    decided_by TEXT,
    decided_at INTEGER
  );
  CREATE TABLE served (
    request_id TEXT PRIMARY KEY,
    warrant_id TEXT NOT NULL,
    agency TEXT NOT NULL,
    count INTEGER NOT NULL,
    envelope_ids TEXT NOT NULL,
    answer TEXT NOT NULL,
    time_ms INTEGER NOT NULL
  );
  CREATE INDEX served_by_warrant ON served (warrant_id);
  CREATE INDEX served_by_agency ON served (agency, time_ms);
  CREATE TABLE release_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT,
    warrant_id TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('served', 'repeated', 'refused')),
    code TEXT,
    count INTEGER NOT NULL,
    time INTEGER NOT NULL
  );
  CREATE TABLE outbox (
    key TEXT PRIMARY KEY,
    entry TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    acked_at INTEGER,
    log_index INTEGER
  );
  `,
  // 2: partials calls already used, one row per call while it is within the freshness window,
  // and the issue time below which calls were forgotten (docs/PROTOCOL.md §7.12, Call authorisation)
  `
  CREATE TABLE used_calls (digest BLOB PRIMARY KEY, issued_at INTEGER NOT NULL) WITHOUT ROWID;
  CREATE INDEX used_calls_by_time ON used_calls (issued_at);
  CREATE TABLE used_calls_floor (id INTEGER PRIMARY KEY CHECK (id = 1), issued_at INTEGER NOT NULL);
  `,
  // 3: indexes for the queries that ran as full scans of growing tables
  // (test/hardening/queryPlans.test.ts); each partial index holds only the rows
  // its query wants, keyed on the filtered column so that the plan is a search,
  // then in the query's order (no sort step)
  `
  -- The operator queue (pendingReviews).
  CREATE INDEX reviews_pending ON reviews (status, received_at, warrant_id) WHERE status = 'pending';
  -- The outbox resend pass (pendingOutbox).
  CREATE INDEX outbox_unacked ON outbox (acked_at, created_at, key) WHERE acked_at IS NULL;
  `,
  // 4: this node's releases not yet seen in its replica (docs/PROTOCOL.md §7.12: every release
  // is logged); a row leaves when the replica applies the node's own release entry for the request.
  // Releases served before this migration and not in the replica start here, from when they were served.
  `
  CREATE TABLE unlogged_releases (request_id TEXT PRIMARY KEY, served_ms INTEGER NOT NULL) WITHOUT ROWID;
  CREATE INDEX unlogged_releases_by_time ON unlogged_releases (served_ms);
  INSERT INTO unlogged_releases (request_id, served_ms)
    SELECT s.request_id, s.time_ms FROM served s
    WHERE NOT EXISTS (SELECT 1 FROM releases r JOIN node n ON r.custodian = n.custodian WHERE r.request_id = s.request_id);
  `,
  // 5: commitments to the unseal keys (seal.ts, unsealCommitments: 255 × 32 bytes); NULL for a node
  // initialised before them, which stores them at its first unseal (docs/PROTOCOL.md §3.6)
  `
  ALTER TABLE node ADD COLUMN unseal_commitments BLOB;
  `,
  // 6: revocations posted to this node directly (revocation.ts): in force here at once, forwarded
  // to the log by the outbox; the replica's revocations table still holds only logged ones
  `
  CREATE TABLE received_revocations (warrant_id TEXT PRIMARY KEY, entry TEXT NOT NULL, received_at INTEGER NOT NULL) WITHOUT ROWID;
  `,
  // 7: four-eyes approval (docs/PROTOCOL.md §7.13, Officers): named officers with their own
  // tokens (SHA-256 only), how many must approve, and every officer's decision
  `
  CREATE TABLE officers (
    name TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE officer_quorum (id INTEGER PRIMARY KEY CHECK (id = 1), required INTEGER NOT NULL CHECK (required >= 1));
  CREATE TABLE officer_decisions (
    warrant_id TEXT NOT NULL,
    officer TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('approve', 'deny')),
    reason TEXT,
    time INTEGER NOT NULL,
    PRIMARY KEY (warrant_id, officer)
  ) WITHOUT ROWID;
  `,
  // 8: the node's Ed25519 witness key (docs/PROTOCOL.md §4.3), public half; NULL for a node an
  // older version initialised, which cosigned with BIP340 and refuses to start (DATA_FORMAT_OLD)
  `
  ALTER TABLE node ADD COLUMN witness_key TEXT;
  `,
  // 9: distributed key generation (docs/PROTOCOL.md §3.8): the operator's consent per epoch; this
  // node's round-1 randomness per session, sealed under K (with the host key it re-derives the
  // round-1 state after a restart); each dkg entry it signed, returned again and never re-made;
  // and the replica's dkg and epoch entries by type
  `
  CREATE TABLE dkg_consent (epoch INTEGER PRIMARY KEY, officer TEXT NOT NULL, time INTEGER NOT NULL);
  CREATE TABLE dkg_sessions (session TEXT PRIMARY KEY, epoch INTEGER NOT NULL, random_nonce BLOB NOT NULL, random_box BLOB NOT NULL, pmsg1 BLOB NOT NULL) WITHOUT ROWID;
  CREATE TABLE dkg_signed (session TEXT NOT NULL, step TEXT NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (session, step)) WITHOUT ROWID;
  CREATE INDEX entries_dkg ON entries (idx) WHERE type = 'dkg';
  CREATE INDEX entries_epoch ON entries (idx) WHERE type = 'epoch';
  `,
];

/** The newest migration version of this code (what a restored backup may be at, at most). */
export const STORE_VERSION = MIGRATIONS.length;

// ## Records

export interface NodeRow {
  custodian: number;
  epoch: number;
  signingKey: string;
  /** The Ed25519 witness key, public half; null for a node an older version initialised (migration 8). */
  witnessKey: string | null;
  name: string | null;
  groupKey: string;
  commitments: string[];
  tokenHash: string;
  unsealShares: number;
  unsealThreshold: number;
  dev: boolean;
  sealedNonce: Uint8Array;
  sealedBox: Uint8Array;
  policy: string | null;
  /** unsealCommitments of the split; null for a node initialised before they existed (migration 5). */
  unsealCommitments: Uint8Array | null;
}

export interface WitnessRow {
  origin: string;
  size: number;
  root: Uint8Array;
  note: string;
  cosignedAt: number;
}

export interface ReviewRow {
  warrantId: string;
  warrant: string;
  salt: string;
  commitment: string;
  receivedAt: number;
  policy: string;
  status: 'pending' | 'approved' | 'denied';
  reason: string | null;
  decidedBy: string | null;
  decidedAt: number | null;
}

export interface ServedRow {
  requestId: string;
  warrantId: string;
  agency: string;
  count: number;
  envelopeIds: string;
  answer: string;
  timeMs: number;
}

export interface ReleaseLogRow {
  requestId: string | null;
  warrantId: string | null;
  outcome: 'served' | 'repeated' | 'refused';
  /** Why a refused call was refused; null when served or repeated. */
  code: CustodianCode | null;
  count: number;
  time: number;
}

export interface OfficerDecisionRow {
  officer: string;
  decision: 'approve' | 'deny';
  reason: string | null;
  time: number;
}

export interface OutboxRow {
  key: string;
  entry: string;
  attempts: number;
  lastError: string | null;
  ackedAt: number | null;
}

const toBytes = (b: Buffer | Uint8Array): Uint8Array => new Uint8Array(b);

// ## Repository

export type Store = ReturnType<typeof openStore>;

/**
 * Opens the node's database. With `monitor`, every `tx` (and every use of a
 * partials call) reports its storage failures and committed changes to it
 * (docs/PROTOCOL.md §9.5, Health and metrics).
 */
export function openStore(file: string, opts: OpenOptions = {}, monitor?: StorageMonitor) {
  const db: DB = openDatabase(file, MIGRATIONS, opts);
  const transaction = <T>(fn: () => T): T => db.transaction(fn)();
  const observed = monitor ? monitor.observe(db, transaction) : transaction;

  const q = {
    node: db.prepare('SELECT * FROM node WHERE id = 1'),
    insertNode: db.prepare(`INSERT INTO node (id, custodian, epoch, signing_key, witness_key, name, group_key, commitments, token_hash,
      unseal_shares, unseal_threshold, dev, sealed_nonce, sealed_box, policy, unseal_commitments, created_at)
      VALUES (1, @custodian, @epoch, @signingKey, @witnessKey, @name, @groupKey, @commitments, @tokenHash, @unsealShares, @unsealThreshold,
      @dev, @sealedNonce, @sealedBox, @policy, @unsealCommitments, @createdAt)`),
    setUnsealCommitments: db.prepare('UPDATE node SET unseal_commitments = ? WHERE id = 1 AND unseal_commitments IS NULL'),
    setSealed: db.prepare('UPDATE node SET sealed_nonce = ?, sealed_box = ? WHERE id = 1'),
    // Served by entries_dkg and entries_epoch (migration 9), one partial index each: keep the type literal in the query.
    dkgEntries: db.prepare("SELECT idx, data FROM entries WHERE type = 'dkg' ORDER BY idx"),
    epochEntries: db.prepare("SELECT idx, data FROM entries WHERE type = 'epoch' ORDER BY idx"),
    dkgConsent: db.prepare('SELECT officer, time FROM dkg_consent WHERE epoch = ?'),
    insertDkgConsent: db.prepare('INSERT OR IGNORE INTO dkg_consent (epoch, officer, time) VALUES (?, ?, ?)'),
    dkgSession: db.prepare('SELECT * FROM dkg_sessions WHERE session = ?'),
    insertDkgSession: db.prepare('INSERT INTO dkg_sessions (session, epoch, random_nonce, random_box, pmsg1) VALUES (?, ?, ?, ?, ?)'),
    // Rare: once per retired epoch, over a table of one row per DKG session this node took part in.
    forgetDkgSessions: db.prepare('DELETE FROM dkg_sessions WHERE epoch = ?'),
    dkgSigned: db.prepare('SELECT entry FROM dkg_signed WHERE session = ? AND step = ?'),
    insertDkgSigned: db.prepare('INSERT OR IGNORE INTO dkg_signed (session, step, entry) VALUES (?, ?, ?)'),
    witness: db.prepare('SELECT * FROM witness WHERE id = 1'),
    setWitness: db.prepare(`INSERT INTO witness (id, origin, size, root, note, cosigned_at) VALUES (1, @origin, @size, @root, @note, @cosignedAt)
      ON CONFLICT (id) DO UPDATE SET origin = excluded.origin, size = excluded.size, root = excluded.root, note = excluded.note, cosigned_at = excluded.cosigned_at`),
    insertCosigned: db.prepare('INSERT OR REPLACE INTO cosigned (size, root, time) VALUES (?, ?, ?)'),
    // COUNT(*) visits every entry; the replica holds exactly entries [0, witness
    // size) (witness.ts appends at oldSize + k), so the count is MAX(idx) + 1,
    // one probe of the primary key.
    entryCount: db.prepare('SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM entries'),
    leafHashes: db.prepare('SELECT leaf_hash FROM entries WHERE idx < ? ORDER BY idx'),
    insertEntry: db.prepare('INSERT INTO entries (idx, type, leaf_hash, data) VALUES (?, ?, ?, ?)'),
    latestRegistry: db.prepare('SELECT idx, data FROM registry ORDER BY sequence DESC LIMIT 1'),
    insertRegistry: db.prepare('INSERT INTO registry (idx, sequence, data) VALUES (?, ?, ?)'),
    warrant: db.prepare('SELECT idx, data FROM warrants WHERE warrant_id = ?'),
    insertWarrant: db.prepare('INSERT INTO warrants (warrant_id, idx, data) VALUES (?, ?, ?)'),
    approvals: db.prepare('SELECT idx, custodian, decision, commitment FROM approvals WHERE warrant_id = ? ORDER BY idx'),
    insertApproval: db.prepare('INSERT INTO approvals (idx, warrant_id, custodian, decision, commitment) VALUES (?, ?, ?, ?, ?)'),
    request: db.prepare('SELECT idx, data FROM requests WHERE request_id = ?'),
    insertRequest: db.prepare('INSERT INTO requests (request_id, idx, warrant_id, data) VALUES (?, ?, ?, ?)'),
    insertRelease: db.prepare('INSERT INTO releases (idx, request_id, custodian, count) VALUES (?, ?, ?, ?)'),
    revocations: db.prepare('SELECT idx, by FROM revocations WHERE warrant_id = ? ORDER BY idx'),
    insertRevocation: db.prepare('INSERT INTO revocations (idx, warrant_id, by) VALUES (?, ?, ?)'),
    receivedRevocation: db.prepare('SELECT entry FROM received_revocations WHERE warrant_id = ?'),
    insertReceivedRevocation: db.prepare('INSERT OR IGNORE INTO received_revocations (warrant_id, entry, received_at) VALUES (?, ?, ?)'),
    insertUnsealing: db.prepare('INSERT INTO unsealings (idx, warrant_id) VALUES (?, ?)'),
    review: db.prepare('SELECT * FROM reviews WHERE warrant_id = ?'),
    insertReview: db.prepare(`INSERT INTO reviews (warrant_id, warrant, salt, commitment, received_at, policy, status)
      VALUES (@warrantId, @warrant, @salt, @commitment, @receivedAt, @policy, 'pending')`),
    // Served by reviews_pending (migration 3): keep `status = 'pending'` literal.
    pendingReviews: db.prepare("SELECT * FROM reviews WHERE status = 'pending' ORDER BY received_at, warrant_id"),
    decide: db.prepare("UPDATE reviews SET status = ?, reason = ?, decided_by = ?, decided_at = ? WHERE warrant_id = ? AND status = 'pending'"),
    served: db.prepare('SELECT * FROM served WHERE request_id = ?'),
    insertServed: db.prepare(`INSERT INTO served (request_id, warrant_id, agency, count, envelope_ids, answer, time_ms)
      VALUES (@requestId, @warrantId, @agency, @count, @envelopeIds, @answer, @timeMs)`),
    insertUnlogged: db.prepare('INSERT OR IGNORE INTO unlogged_releases (request_id, served_ms) VALUES (?, ?)'),
    releaseLogged: db.prepare('DELETE FROM unlogged_releases WHERE request_id = ?'),
    unloggedReleases: db.prepare('SELECT request_id, served_ms FROM unlogged_releases ORDER BY served_ms, request_id LIMIT ?'),
    releasedForWarrant: db.prepare('SELECT COALESCE(SUM(count), 0) AS n FROM served WHERE warrant_id = ?'),
    releasedForAgencySince: db.prepare('SELECT COALESCE(SUM(count), 0) AS n FROM served WHERE agency = ? AND time_ms > ?'),
    insertReleaseLog: db.prepare('INSERT INTO release_log (request_id, warrant_id, outcome, code, count, time) VALUES (?, ?, ?, ?, ?, ?)'),
    releaseLog: db.prepare('SELECT * FROM release_log ORDER BY id DESC LIMIT ?'),
    insertOutbox: db.prepare('INSERT OR IGNORE INTO outbox (key, entry, created_at) VALUES (?, ?, ?)'),
    // Served by outbox_unacked (migration 3): keep `acked_at IS NULL` literal.
    pendingOutbox: db.prepare('SELECT * FROM outbox WHERE acked_at IS NULL ORDER BY created_at, key'),
    outbox: db.prepare('SELECT * FROM outbox WHERE key = ?'),
    ackOutbox: db.prepare('UPDATE outbox SET acked_at = ?, log_index = ?, attempts = attempts + 1, last_error = NULL WHERE key = ?'),
    failOutbox: db.prepare('UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE key = ?'),
    raiseCallFloor: db.prepare(`INSERT INTO used_calls_floor (id, issued_at) VALUES (1, ?)
      ON CONFLICT (id) DO UPDATE SET issued_at = MAX(issued_at, excluded.issued_at) RETURNING issued_at`),
    forgetCalls: db.prepare('DELETE FROM used_calls WHERE issued_at < ?'),
    insertCall: db.prepare('INSERT OR IGNORE INTO used_calls (digest, issued_at) VALUES (?, ?)'),
    // Health and metrics (docs/PROTOCOL.md §9.5): the pending ones through their partial indexes (migration 3).
    pendingReviewCount: db.prepare("SELECT COUNT(*) FROM reviews WHERE status = 'pending'").pluck(),
    outboxBacklog: db.prepare('SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox WHERE acked_at IS NULL'),
    servedAfter: db.prepare('SELECT rowid AS id, agency, count FROM served WHERE rowid > ? ORDER BY rowid LIMIT ?'),
    reviewsAfter: db.prepare('SELECT rowid AS seq, warrant_id, warrant, received_at, policy FROM reviews WHERE rowid > ? ORDER BY rowid LIMIT 500'),
    lastReview: db.prepare('SELECT COALESCE(MAX(rowid), 0) FROM reviews').pluck(),
    releaseLogAfter: db.prepare('SELECT * FROM release_log WHERE id > ? ORDER BY id LIMIT 500'),
    lastReleaseLog: db.prepare('SELECT COALESCE(MAX(id), 0) FROM release_log').pluck(),
    officerByToken: db.prepare('SELECT name FROM officers WHERE token_hash = ?').pluck(),
    officerNames: db.prepare('SELECT name FROM officers ORDER BY name').pluck(),
    insertOfficer: db.prepare('INSERT INTO officers (name, token_hash, created_at) VALUES (?, ?, ?)'),
    officerQuorum: db.prepare('SELECT required FROM officer_quorum WHERE id = 1').pluck(),
    setOfficerQuorum: db.prepare('INSERT INTO officer_quorum (id, required) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET required = excluded.required'),
    officerDecisions: db.prepare('SELECT officer, decision, reason, time FROM officer_decisions WHERE warrant_id = ? ORDER BY time, officer'),
    insertOfficerDecision: db.prepare('INSERT OR IGNORE INTO officer_decisions (warrant_id, officer, decision, reason, time) VALUES (?, ?, ?, ?, ?)'),
  };

  type Raw = Record<string, unknown>;
  const reviewRow = (r: Raw): ReviewRow => ({
    warrantId: r.warrant_id as string,
    warrant: r.warrant as string,
    salt: r.salt as string,
    commitment: r.commitment as string,
    receivedAt: r.received_at as number,
    policy: r.policy as string,
    status: r.status as ReviewRow['status'],
    reason: (r.reason as string | null) ?? null,
    decidedBy: (r.decided_by as string | null) ?? null,
    decidedAt: (r.decided_at as number | null) ?? null,
  });
  const releaseLogRow = (r: Raw): ReleaseLogRow => ({
    requestId: (r.request_id as string | null) ?? null,
    warrantId: (r.warrant_id as string | null) ?? null,
    outcome: r.outcome as ReleaseLogRow['outcome'],
    // Written only by insertReleaseLog.
    code: (r.code as CustodianCode | null) ?? null,
    count: r.count as number,
    time: r.time as number,
  });
  const outboxRow = (r: Raw): OutboxRow => ({
    key: r.key as string,
    entry: r.entry as string,
    attempts: r.attempts as number,
    lastError: (r.last_error as string | null) ?? null,
    ackedAt: (r.acked_at as number | null) ?? null,
  });

  return {
    /** Runs `fn` in one SQLite transaction; a throw rolls everything back. */
    tx<T>(fn: () => T): T {
      return observed(fn);
    },
    close(): void {
      db.close();
    },

    // ### node
    node(): NodeRow | undefined {
      const r = q.node.get() as Raw | undefined;
      if (!r) return undefined;
      return {
        custodian: r.custodian as number,
        epoch: r.epoch as number,
        signingKey: r.signing_key as string,
        witnessKey: (r.witness_key as string | null) ?? null,
        name: (r.name as string | null) ?? null,
        groupKey: r.group_key as string,
        commitments: JSON.parse(r.commitments as string) as string[],
        tokenHash: r.token_hash as string,
        unsealShares: r.unseal_shares as number,
        unsealThreshold: r.unseal_threshold as number,
        dev: r.dev === 1,
        sealedNonce: toBytes(r.sealed_nonce as Buffer),
        sealedBox: toBytes(r.sealed_box as Buffer),
        policy: (r.policy as string | null) ?? null,
        unsealCommitments: r.unseal_commitments ? toBytes(r.unseal_commitments as Buffer) : null,
      };
    },
    insertNode(n: NodeRow): void {
      q.insertNode.run({
        ...n,
        commitments: JSON.stringify(n.commitments),
        dev: n.dev ? 1 : 0,
        sealedNonce: Buffer.from(n.sealedNonce),
        sealedBox: Buffer.from(n.sealedBox),
        unsealCommitments: n.unsealCommitments ? Buffer.from(n.unsealCommitments) : null,
        createdAt: Math.floor(Date.now() / 1000),
      });
    },
    /** Replaces the sealed secrets (a share derived by DKG was added under the same K, vault.ts addShare). */
    setSealed(box: { nonce: Uint8Array; box: Uint8Array }): void {
      q.setSealed.run(Buffer.from(box.nonce), Buffer.from(box.box));
    },

    // ### distributed key generation (docs/PROTOCOL.md §3.8)
    /** The replica's `dkg` or `epoch` entries, in log order, as their canonical JSON. */
    replicaEntries(type: 'dkg' | 'epoch'): { idx: number; data: string }[] {
      const rows = (type === 'dkg' ? q.dkgEntries : q.epochEntries).all() as { idx: number; data: Buffer }[];
      return rows.map((r) => ({ idx: r.idx, data: Buffer.from(r.data).toString('utf8') }));
    },
    dkgConsent(epoch: number): { officer: string; time: number } | undefined {
      return q.dkgConsent.get(epoch) as { officer: string; time: number } | undefined;
    },
    insertDkgConsent(epoch: number, officer: string, time: number): void {
      q.insertDkgConsent.run(epoch, officer, time);
    },
    dkgSession(session: string): { epoch: number; randomNonce: Uint8Array; randomBox: Uint8Array; pmsg1: Uint8Array } | undefined {
      const r = q.dkgSession.get(session) as Raw | undefined;
      if (!r) return undefined;
      return { epoch: r.epoch as number, randomNonce: toBytes(r.random_nonce as Buffer), randomBox: toBytes(r.random_box as Buffer), pmsg1: toBytes(r.pmsg1 as Buffer) };
    },
    insertDkgSession(session: string, epoch: number, random: { nonce: Uint8Array; box: Uint8Array }, pmsg1: Uint8Array): void {
      q.insertDkgSession.run(session, epoch, Buffer.from(random.nonce), Buffer.from(random.box), Buffer.from(pmsg1));
    },
    /** Forgets the sealed round-1 randomness of every DKG session of `epoch` (docs/PROTOCOL.md §3.10: with the host key it would re-derive the share). */
    forgetDkgSessions(epoch: number): void {
      q.forgetDkgSessions.run(epoch);
    },
    dkgSigned(session: string, step: string): string | undefined {
      return (q.dkgSigned.get(session, step) as { entry: string } | undefined)?.entry;
    },
    insertDkgSigned(session: string, step: string, entry: string): void {
      q.insertDkgSigned.run(session, step, entry);
    },

    /** Stores the unseal keys' commitments of a node that had none (never replaces them). */
    setUnsealCommitments(commitments: Uint8Array): void {
      q.setUnsealCommitments.run(Buffer.from(commitments));
    },

    // ### witness and replica
    witness(): WitnessRow | undefined {
      const r = q.witness.get() as Raw | undefined;
      if (!r) return undefined;
      return { origin: r.origin as string, size: r.size as number, root: toBytes(r.root as Buffer), note: r.note as string, cosignedAt: r.cosigned_at as number };
    },
    setWitness(w: WitnessRow): void {
      q.setWitness.run({ ...w, root: Buffer.from(w.root) });
      q.insertCosigned.run(w.size, Buffer.from(w.root), w.cosignedAt);
    },
    entryCount(): number {
      return (q.entryCount.get() as { n: number }).n;
    },
    /** Leaf hashes of entries [0, size). */
    leafHashes(size: number): Uint8Array[] {
      return (q.leafHashes.all(size) as { leaf_hash: Buffer }[]).map((r) => toBytes(r.leaf_hash));
    },
    insertEntry(idx: number, type: string, leafHash: Uint8Array, data: Uint8Array): void {
      q.insertEntry.run(idx, type, Buffer.from(leafHash), Buffer.from(data));
    },
    latestRegistry(): { idx: number; data: string } | undefined {
      return q.latestRegistry.get() as { idx: number; data: string } | undefined;
    },
    insertRegistry(idx: number, sequence: number, data: string): void {
      q.insertRegistry.run(idx, sequence, data);
    },
    warrant(warrantId: string): { idx: number; data: string } | undefined {
      return q.warrant.get(warrantId) as { idx: number; data: string } | undefined;
    },
    insertWarrant(warrantId: string, idx: number, data: string): void {
      q.insertWarrant.run(warrantId, idx, data);
    },
    approvals(warrantId: string): { idx: number; custodian: number; decision: 'approve' | 'deny'; commitment: string }[] {
      return q.approvals.all(warrantId) as { idx: number; custodian: number; decision: 'approve' | 'deny'; commitment: string }[];
    },
    insertApproval(idx: number, warrantId: string, custodian: number, decision: string, commitment: string): void {
      q.insertApproval.run(idx, warrantId, custodian, decision, commitment);
    },
    request(requestId: string): { idx: number; data: string } | undefined {
      return q.request.get(requestId) as { idx: number; data: string } | undefined;
    },
    insertRequest(requestId: string, idx: number, warrantId: string, data: string): void {
      q.insertRequest.run(requestId, idx, warrantId, data);
    },
    insertRelease(idx: number, requestId: string, custodian: number, count: number): void {
      q.insertRelease.run(idx, requestId, custodian, count);
    },
    revocations(warrantId: string): { idx: number; by: string }[] {
      return q.revocations.all(warrantId) as { idx: number; by: string }[];
    },
    insertRevocation(idx: number, warrantId: string, by: string): void {
      q.insertRevocation.run(idx, warrantId, by);
    },
    /** The canonical JSON of the revocation of `warrantId` posted to this node directly, if any. */
    receivedRevocation(warrantId: string): string | undefined {
      return (q.receivedRevocation.get(warrantId) as { entry: string } | undefined)?.entry;
    },
    /** Records a directly posted revocation; false if one for this warrant was already here. */
    insertReceivedRevocation(warrantId: string, entry: string, receivedAt: number): boolean {
      return q.insertReceivedRevocation.run(warrantId, entry, receivedAt).changes === 1;
    },
    insertUnsealing(idx: number, warrantId: string): void {
      q.insertUnsealing.run(idx, warrantId);
    },

    // ### review
    review(warrantId: string): ReviewRow | undefined {
      const r = q.review.get(warrantId) as Raw | undefined;
      return r ? reviewRow(r) : undefined;
    },
    insertReview(r: { warrantId: string; warrant: string; salt: string; commitment: string; receivedAt: number; policy: string }): void {
      q.insertReview.run(r);
    },
    pendingReviews(): ReviewRow[] {
      return (q.pendingReviews.all() as Raw[]).map(reviewRow);
    },
    /** Records a decision on a pending review; false if it was already decided. */
    decide(warrantId: string, status: 'approved' | 'denied', reason: string | null, by: string, at: number): boolean {
      return q.decide.run(status, reason, by, at, warrantId).changes === 1;
    },

    // ### release
    served(requestId: string): ServedRow | undefined {
      const r = q.served.get(requestId) as Raw | undefined;
      if (!r) return undefined;
      return {
        requestId: r.request_id as string,
        warrantId: r.warrant_id as string,
        agency: r.agency as string,
        count: r.count as number,
        envelopeIds: r.envelope_ids as string,
        answer: r.answer as string,
        timeMs: r.time_ms as number,
      };
    },
    /** Records a served release, and that it is not yet seen logged (one transaction: the caller's). */
    insertServed(s: ServedRow): void {
      q.insertServed.run(s);
      q.insertUnlogged.run(s.requestId, s.timeMs);
    },
    /** The replica holds this node's release entry for `requestId`. */
    releaseLogged(requestId: string): void {
      q.releaseLogged.run(requestId);
    },
    /** This node's served releases not yet in its replica, oldest first. */
    unloggedReleases(limit: number): { requestId: string; servedMs: number }[] {
      return (q.unloggedReleases.all(limit) as { request_id: string; served_ms: number }[]).map((r) => ({ requestId: r.request_id, servedMs: r.served_ms }));
    },
    releasedForWarrant(warrantId: string): number {
      return (q.releasedForWarrant.get(warrantId) as { n: number }).n;
    },
    releasedForAgencySince(agency: string, sinceMs: number): number {
      return (q.releasedForAgencySince.get(agency, sinceMs) as { n: number }).n;
    },
    insertReleaseLog(r: ReleaseLogRow): void {
      q.insertReleaseLog.run(r.requestId, r.warrantId, r.outcome, r.code, r.count, r.time);
    },
    releaseLog(limit: number): ReleaseLogRow[] {
      return (q.releaseLog.all(limit) as Raw[]).map(releaseLogRow);
    },

    // ### outbox (records for the coordinator, persisted before sending)
    insertOutbox(key: string, entry: string): void {
      q.insertOutbox.run(key, entry, Date.now());
    },
    outbox(key: string): OutboxRow | undefined {
      const r = q.outbox.get(key) as Raw | undefined;
      return r ? outboxRow(r) : undefined;
    },
    pendingOutbox(): OutboxRow[] {
      return (q.pendingOutbox.all() as Raw[]).map(outboxRow);
    },
    ackOutbox(key: string, logIndex: number | null): void {
      q.ackOutbox.run(Date.now(), logIndex, key);
    },
    failOutbox(key: string, error: string): void {
      q.failOutbox.run(error.slice(0, 300), key);
    },

    // ### operations (docs/PROTOCOL.md §9.5, Health and metrics)
    pendingReviewCount(): number {
      return q.pendingReviewCount.get() as number;
    },
    /** Records not yet acknowledged by the coordinator, and when the oldest was made (Unix ms; null if none). */
    outboxBacklog(): { pending: number; oldestMs: number | null } {
      const r = q.outboxBacklog.get() as { n: number; oldest: number | null };
      return { pending: r.n, oldestMs: r.oldest };
    },
    /**
     * Served requests in the order they were stored, after the one with row id
     * `after` (0: from the first), at most `limit`: a reader keeps its place and
     * reads only what is new (metrics.ts), never the whole table again.
     */
    servedAfter(after: number, limit: number): { id: number; agency: string; count: number }[] {
      return q.servedAfter.all(after, limit) as { id: number; agency: string; count: number }[];
    },

    // ### webhooks (docs/PROTOCOL.md §9.7): the outbox lives in this database, the change scan reads these
    webhooks(options: WebhookOptions): WebhookSender {
      return new WebhookSender(db, options);
    },
    /** Reviews received after row `seq`, in order (at most 500). */
    reviewsAfter(seq: number): { seq: number; warrantId: string; warrant: string; receivedAt: number; policy: string }[] {
      return (q.reviewsAfter.all(seq) as Raw[]).map((r) => ({
        seq: r.seq as number,
        warrantId: r.warrant_id as string,
        warrant: r.warrant as string,
        receivedAt: r.received_at as number,
        policy: r.policy as string,
      }));
    },
    lastReview(): number {
      return q.lastReview.get() as number;
    },
    /** Release-log rows after `id`, in order (at most 500). */
    releaseLogAfter(id: number): (ReleaseLogRow & { id: number })[] {
      return (q.releaseLogAfter.all(id) as Raw[]).map((r) => ({ id: r.id as number, ...releaseLogRow(r) }));
    },
    lastReleaseLog(): number {
      return q.lastReleaseLog.get() as number;
    },

    // ### officers (docs/PROTOCOL.md §7.13, Officers)
    /** The officer whose token has SHA-256 `tokenHash` (hex), if any. */
    officerByToken(tokenHash: string): string | undefined {
      return q.officerByToken.get(tokenHash) as string | undefined;
    },
    officerNames(): string[] {
      return q.officerNames.all() as string[];
    },
    insertOfficer(name: string, tokenHash: string): void {
      q.insertOfficer.run(name, tokenHash, Math.floor(Date.now() / 1000));
    },
    /** How many officers must approve; undefined while no quorum is set (one operator token decides). */
    officerQuorum(): number | undefined {
      return q.officerQuorum.get() as number | undefined;
    },
    setOfficerQuorum(required: number): void {
      q.setOfficerQuorum.run(required);
    },
    officerDecisions(warrantId: string): OfficerDecisionRow[] {
      return q.officerDecisions.all(warrantId) as OfficerDecisionRow[];
    },
    /** Records an officer's decision; false if that officer had already decided on this warrant. */
    insertOfficerDecision(warrantId: string, d: OfficerDecisionRow): boolean {
      return q.insertOfficerDecision.run(warrantId, d.officer, d.decision, d.reason, d.time).changes === 1;
    },

    // ### used partials calls (docs/PROTOCOL.md §7.12, Call authorisation)
    /**
     * Uses up the call with SHA-256 `digest` issued at `issuedAt`, in one
     * transaction: first forgets every call issued before `horizon` (raising the
     * floor to it, never lowering it), then records this one. 'used' the first
     * time; 'replayed' when the digest is already recorded; 'forgotten' when it
     * was issued below the floor, where its earlier use may have been pruned.
     */
    useCall(digest: Uint8Array, issuedAt: number, horizon: number): 'used' | 'replayed' | 'forgotten' {
      return observed(() => {
        const floor = (q.raiseCallFloor.get(horizon) as { issued_at: number }).issued_at;
        q.forgetCalls.run(floor);
        if (issuedAt < floor) return 'forgotten' as const;
        return q.insertCall.run(Buffer.from(digest), issuedAt).changes === 1 ? ('used' as const) : ('replayed' as const);
      });
    },
  };
}
