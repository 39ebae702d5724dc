/**
 * No statement may scan a table that grows with use: services run for years,
 * and a scan of the warrants, requests, deliveries or log tables makes every
 * step slower as they grow.
 *
 * Found from real use, not from reading source: better-sqlite3's Statement
 * prototype is patched in this process to keep, for every distinct
 * (database, SQL), the arguments of its first execution and the
 * `EXPLAIN QUERY PLAN` of that SQL with those arguments on that database.
 * Then a real cluster (coordinator, five custodians, in process) runs a
 * warrant through approvals, operator decisions, a request, results, a
 * revocation, the public log API, two auditor runs and a restart that purges.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLog } from '@custodes/auditor';
import { bytesToBase64 } from '@custodes/shared/crypto';
import { leafHash } from '@custodes/shared/log';
import { signRecord } from '@custodes/shared/records';
import type { RealCluster } from '../../scripts/src/cluster/in-process';
import { api, openResults, waitFor } from '../coordinator/helpers/cluster';
import type { Party } from '../coordinator/helpers/cluster';
import { courtSignedWarrant, finishedRequest, startTestCluster, submitSealed } from '../coordinator/helpers/real';

// ## The recorder

/** One distinct (database, SQL), with the plan of its first execution. */
interface Planned {
  readonly database: string;
  readonly sql: string;
  readonly args: readonly unknown[];
  /** `detail` of each EXPLAIN QUERY PLAN row. */
  readonly plan: readonly string[];
}

type Method = (this: Statement, ...args: unknown[]) => unknown;
const METHODS = ['run', 'get', 'all', 'iterate'] as const;

/** Statements that read or change rows (BEGIN, PRAGMA and DDL have no query plan worth checking). */
const DML = /^\s*(?:SELECT|UPDATE|DELETE|INSERT|REPLACE|WITH)\b/i;

/**
 * Patches every Statement's run/get/all/iterate in this process (the
 * services share it: the cluster runs in process) until `restore`.
 */
function recordPlans(): { planned: () => Planned[]; restore: () => void } {
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<(typeof METHODS)[number], Method>;
  probe.close();
  const originals = new Map(METHODS.map((m) => [m, proto[m]] as const));
  const all = originals.get('all')!;
  const seen = new Map<Database.Database, Map<string, Planned>>();

  const explain = (db: Database.Database, sql: string, args: unknown[]): string[] => {
    try {
      // Through the original `all`: the patched one would record the EXPLAIN itself.
      const rows = all.apply(db.prepare(`EXPLAIN QUERY PLAN ${sql}`), args) as { detail: string }[];
      return rows.map((r) => r.detail);
    } catch (err) {
      return [`EXPLAIN FAILED: ${String(err)}`];
    }
  };

  for (const m of METHODS) {
    const original = originals.get(m)!;
    proto[m] = function (this: Statement, ...args: unknown[]) {
      const sql = this.source;
      if (DML.test(sql)) {
        let byDb = seen.get(this.database);
        if (!byDb) seen.set(this.database, (byDb = new Map()));
        // Explained before running: an iterator holds the connection until it is done.
        if (!byDb.has(sql)) byDb.set(sql, { database: this.database.name, sql, args, plan: explain(this.database, sql, args) });
      }
      return original.apply(this, args);
    };
  }
  return {
    planned: () => [...seen.values()].flatMap((byDb) => [...byDb.values()]),
    restore: () => {
      for (const m of METHODS) proto[m] = originals.get(m)!;
    },
  };
}

// ## What counts as a scan

/**
 * Tables that stay small for the life of a deployment, and why; a scan of
 * them costs the same in year five as on day one.
 */
const SMALL_TABLES: ReadonlyMap<string, string> = new Map([
  // One row per applied migration (shared/service/migrations.ts).
  ['migrations', 'one row per migration'],
  ['coordinator_migrations', 'one row per migration'],
  ['log_migrations', 'one row per migration'],
  // The coordinator's record of each witness's cosigned size (/health, docs/PROTOCOL.md §9.5).
  ['witnesses', 'one row per registered custodian'],
  // The schema itself: coordinator migration 5 asks whether the log's tables exist yet.
  ['sqlite_master', 'one row per table and index'],
]);

/**
 * Statements (by database file and SQL) that read a whole growing table
 * because their job is to read all of it, once per run, and why; no index
 * can make them cheaper.
 */
const WHOLE_TABLE_READS: ReadonlyMap<string, string> = new Map([
  [
    'auditor.sqlite: SELECT data FROM entries ORDER BY idx',
    'each audit replays the rules over every verified entry (services/auditor/src/verify.ts, step 5), so it loads them all',
  ],
  [
    'coordinator.db: SELECT results.request_id, results.position, results.envelope_id, results.plaintext, requests.investigator FROM results JOIN requests ON requests.id = results.request_id WHERE results.plaintext IS NOT NULL',
    'coordinator migration 4 (repo/migrations.ts) seals every raw plaintext an earlier version stored, once, at the upgrade; the column is then dropped',
  ],
]);

const fileOf = (p: Planned): string => p.database.split('/').pop() ?? p.database;
const oneLine = (sql: string): string => sql.replace(/\s+/g, ' ').trim();

/**
 * Tables a plan reads in full: `SCAN t` (with or without an index: it still
 * visits every row) and `… USING AUTOMATIC … INDEX` (a transient index built
 * by scanning t). Subqueries and constant rows are not tables.
 */
/**
 * Partial indexes whose rows are a rare kind of a growing table, and why: a
 * SCAN of one reads those rows only, not the table.
 */
const RARE_ROW_INDEXES: ReadonlyMap<string, string> = new Map([
  // The custodian's replica: DKG messages and epoch entries, a handful per key generation (docs/PROTOCOL.md §3.8).
  ['entries_dkg', "entries WHERE type = 'dkg'"],
  ['entries_epoch', "entries WHERE type = 'epoch'"],
]);

function scannedTables(plan: readonly string[]): string[] {
  const tables: string[] = [];
  for (const detail of plan) {
    const viaRare = /^SCAN \S+ USING (?:COVERING )?INDEX (\S+)$/.exec(detail);
    if (viaRare && RARE_ROW_INDEXES.has(viaRare[1]!)) continue;
    const scan = /^SCAN (?!CONSTANT ROW)([^\s(]+)/.exec(detail);
    if (scan) tables.push(scan[1]!);
    const automatic = /^SEARCH (\S+) USING AUTOMATIC/.exec(detail);
    if (automatic) tables.push(automatic[1]!);
  }
  return tables;
}

/**
 * `SELECT … ORDER BY k DESC LIMIT n` with no WHERE and no sort step walks an
 * index from one end and stops after n rows: the plan says SCAN, the cost is
 * O(log size + n). With a WHERE it could walk the whole index looking for a
 * match, so that does not count.
 */
function isBoundedWalk(p: Planned): boolean {
  return /\bLIMIT\b/i.test(p.sql) && !/\bWHERE\b/i.test(p.sql) && !p.plan.some((d) => d.includes('TEMP B-TREE'));
}

/** One line per offending SQL, with the kinds of database it ran on (each custodian has its own file, and a restart reopens one). */
function offences(planned: readonly Planned[]): string[] {
  const found = new Map<string, { files: Set<string>; plan: readonly string[]; tables: string[]; args: readonly unknown[] }>();
  for (const p of planned) {
    const failed = p.plan.some((d) => d.startsWith('EXPLAIN FAILED'));
    const sql = oneLine(p.sql);
    if (!failed && (WHOLE_TABLE_READS.has(`${fileOf(p)}: ${sql}`) || isBoundedWalk(p))) continue;
    const tables = scannedTables(p.plan).filter((t) => !SMALL_TABLES.has(t));
    if (!failed && tables.length === 0) continue;
    const entry = found.get(sql) ?? { files: new Set<string>(), plan: p.plan, tables, args: p.args };
    entry.files.add(fileOf(p));
    found.set(sql, entry);
  }
  return [...found].map(
    ([sql, f]) =>
      `[${[...f.files].join(', ')}] scans ${f.tables.join(', ') || '?'}: ${sql}\n    first arguments: ${JSON.stringify(f.args).slice(0, 200)}\n    plan: ${f.plan.join(' | ')}`,
  );
}

// ## The flow

const ORIGIN = 'custodes.test/plans';
const nowSeconds = () => Math.floor(Date.now() / 1000);

let recorder: ReturnType<typeof recordPlans>;
let cluster: RealCluster;
const dirs: string[] = [];

beforeAll(async () => {
  recorder = recordPlans();
  // Nodes 4 and 5 leave warrants to their operators: the review queue and its decisions run too.
  cluster = await startTestCluster({ origin: ORIGIN, tempPrefix: 'plans', autoApprovers: [1, 2, 3] });
});

afterAll(async () => {
  await cluster?.close();
  recorder?.restore();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('query plans', () => {
  it('a full flow runs: warrant, operator decisions, request, results, revocation, log reads, audits, restart and purge', async () => {
    const url = cluster.coordinatorUrl;
    const token = cluster.tokens[0]!;
    const investigator: Party = cluster.investigators[0]!;
    const operator = (i: number) => ({ url: cluster.nodes[i - 1]!.url, token: cluster.nodes[i - 1]!.init.operatorToken });
    const warrantStatus = async (id: string) => (await api(url, 'GET', `/v1/warrants/${id}`, undefined, token)).body;

    // A warrant: delivered, approved by three nodes, then decided by the two operators.
    const w = courtSignedWarrant(cluster.court, investigator, 'CASE-PLANS');
    expect((await api(url, 'POST', '/v1/warrants', w, token)).status).toBe(201);
    await waitFor('approval', async () => ((await warrantStatus(w.warrant.id)).status === 'approved' ? true : undefined));
    const four = operator(4);
    const five = operator(5);
    await waitFor('the warrant in node 4’s queue', async () => {
      const q = await api(four.url, 'GET', '/v1/operator/queue', undefined, four.token);
      return q.body.warrants?.length === 1 ? true : undefined;
    });
    await waitFor('the warrant in node 5’s queue', async () => {
      const q = await api(five.url, 'GET', '/v1/operator/queue', undefined, five.token);
      return q.body.warrants?.length === 1 ? true : undefined;
    });
    expect((await api(four.url, 'GET', `/v1/operator/warrants/${w.warrant.id}`, undefined, four.token)).status).toBe(200);
    expect((await api(four.url, 'POST', `/v1/operator/warrants/${w.warrant.id}/approve`, {}, four.token)).status).toBe(200);
    expect((await api(five.url, 'POST', `/v1/operator/warrants/${w.warrant.id}/deny`, { reason: 'not convinced' }, five.token)).status).toBe(200);
    await waitFor('both operator decisions logged', async () => {
      const s = await warrantStatus(w.warrant.id);
      return s.approvals === 4 && s.denials === 1 ? true : undefined;
    });

    // A request: sealed envelopes, released, combined, results read.
    const label = (k: number) => ({ subject: 'subject-a', category: 'messages', time: nowSeconds() - 86_400 - k });
    const requestId = await submitSealed({ url, token, investigator, groupKey: cluster.groupKey, warrantId: w.warrant.id, texts: ['one', 'two'], label });
    expect(await finishedRequest(url, token, requestId)).toMatchObject({ state: 'complete', done: 2 });
    expect(openResults((await api(url, 'GET', `/v1/requests/${requestId}/results`, undefined, token)).body, requestId, investigator.secretKey)).toEqual(['one', 'two']);

    // The auditor, from an empty state.
    const stateDir = mkdtempSync(join(tmpdir(), 'custodes-plans-audit-'));
    dirs.push(stateDir);
    expect((await verifyLog({ logUrl: url, stateDir })).findings).toEqual([]);

    // A second warrant, revoked by its investigator: a request on it is refused.
    const r = courtSignedWarrant(cluster.court, investigator, 'CASE-PLANS-2');
    expect((await api(url, 'POST', '/v1/warrants', r, token)).status).toBe(201);
    const unsigned = { type: 'revocation' as const, warrantId: r.warrant.id, reason: 'case closed', by: 'investigator' as const, signer: investigator.publicKey, time: nowSeconds() };
    const revocation = { ...unsigned, signature: signRecord(unsigned, 'revocation', investigator.secretKey) };
    expect((await api(url, 'POST', '/v1/records', { entry: revocation })).status).toBe(201);
    expect((await warrantStatus(r.warrant.id)).status).toBe('revoked');
    expect((await api(url, 'POST', '/v1/requests', { warrantId: r.warrant.id }, token)).body.error?.code).toBe('WARRANT_REVOKED');

    // The public read API, once everything is under a cosigned checkpoint.
    const size = await waitFor('a checkpoint covering the whole log', async () => {
      const stored = (await api(url, 'GET', '/health')).body.size as number;
      const cp = await api<string>(url, 'GET', '/log/v1/checkpoint');
      return Number(cp.body.split('\n')[1]) === stored ? stored : undefined;
    });
    const entries = (await api(url, 'GET', `/log/v1/entries?start=0&end=${size}`)).body.entries as string[];
    expect(entries).toHaveLength(size);
    expect((await api(url, 'GET', `/log/v1/proof/inclusion?index=1&size=${size}`)).status).toBe(200);
    const hash = encodeURIComponent(bytesToBase64(leafHash(Buffer.from(entries[size - 1]!, 'base64'))));
    expect((await api(url, 'GET', `/log/v1/proof/inclusion?hash=${hash}&size=${size}`)).body.index).toBe(size - 1);
    expect((await api(url, 'GET', `/log/v1/proof/consistency?from=1&to=${size}`)).status).toBe(200);
    expect((await api(url, 'GET', '/v1/registry')).status).toBe(200);

    // A custodian's operator pages; the auditor again, now incremental.
    const one = operator(1);
    expect((await api(one.url, 'GET', '/v1/operator/releases', undefined, one.token)).status).toBe(200);
    expect((await api(one.url, 'GET', '/v1/operator/witness', undefined, one.token)).status).toBe(200);
    expect((await api(one.url, 'GET', '/v1/seal')).status).toBe(200);
    expect((await verifyLog({ logUrl: url, stateDir })).findings).toEqual([]);

    // A restart two days on: migrations checked, unfinished work resumed, the results purged.
    await cluster.restartCoordinator({ now: () => nowSeconds() + 2 * 86_400 });
    const purged = await api(url, 'GET', `/v1/requests/${requestId}/results`, undefined, token);
    expect(purged.body.error?.code).toBe('PURGED');
  });

  it('no statement scans a table that grows', () => {
    const planned = recorder.planned();
    // A broken patch must not pass vacuously: every kind of database was seen, with many statements.
    const files = new Set(planned.map(fileOf));
    expect([...files].sort()).toEqual(['auditor.sqlite', 'coordinator.db', 'custodian.db']);
    expect(planned.length).toBeGreaterThan(80);
    expect(planned.some((p) => /FROM deliveries WHERE state = 'pending'/.test(p.sql))).toBe(true);
    expect(planned.some((p) => /SELECT id FROM requests WHERE purged = 0/.test(p.sql))).toBe(true);
    const bad = offences(planned);
    expect(bad, `statements that scan a growing table:\n${bad.join('\n')}`).toEqual([]);
  });
});
