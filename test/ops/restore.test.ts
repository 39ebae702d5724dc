/**
 * Restore drills (docs/PROTOCOL.md §9.6, Backups and restores), with real
 * services on loopback ports and temporary directories: a backup taken
 * online beside the running service, more traffic, then the service wiped and
 * restored from the earlier backup.
 *
 * - A custodian restored to before later traffic catches up from the log,
 *   witnesses again, and releases for a new request that needs it.
 * - A coordinator restored to before checkpoints the witnesses cosigned
 *   refuses to start (LOG_BEHIND_WITNESSES) rather than sign a fork; restored
 *   from a backup the witnesses agree with, it starts and serves a new request,
 *   and the whole log audits clean.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { verifyLog } from '@custodes/auditor';
import { backupCoordinator, createCoordinator, RESTORE_MARKER, restoreCoordinator } from '@custodes/coordinator';
import { backupCustodian, restoreCustodian } from '@custodes/custodian';
import type { Label } from '@custodes/shared/crypto';
import type { RealCluster } from '../../scripts/src/cluster/in-process';
import { api, openResults, waitFor } from '../coordinator/helpers/cluster';
import { courtSignedWarrant, finishedRequest, startTestCluster, submitSealed } from '../coordinator/helpers/real';

const now = () => Math.floor(Date.now() / 1000);
const label = (k: number): Label => ({ subject: 'subject-a', category: 'messages', time: now() - 86_400 - k });
const backups = mkdtempSync(join(tmpdir(), 'custodes-backups-'));
let cluster: RealCluster | undefined;

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});
afterAll(() => rmSync(backups, { recursive: true, force: true }));

function start(prefix: string): Promise<RealCluster> {
  return startTestCluster({
    origin: `custodes.test/${prefix}`,
    tempPrefix: prefix,
    coordinator: { cosignDelayMs: 50, deliveryTimeoutMs: 3000 },
    custodian: { outboxGraceMs: 200 },
  });
}

/** A warrant approved by all five, a request for it decrypted; returns the request id. */
async function traffic(c: RealCluster, caseNumber: string, texts: string[], approvals = 5): Promise<string> {
  const token = c.tokens[0]!;
  const investigator = c.investigators[0]!;
  const w = courtSignedWarrant(c.court, investigator, caseNumber);
  expect((await api(c.coordinatorUrl, 'POST', '/v1/warrants', w, token)).status).toBe(201);
  await waitFor(`${approvals} approvals`, async () => {
    const s = await api(c.coordinatorUrl, 'GET', `/v1/warrants/${w.warrant.id}`, undefined, token);
    return s.body.status === 'approved' && s.body.approvals >= approvals ? true : undefined;
  });
  const requestId = await submitSealed({ url: c.coordinatorUrl, token, investigator, groupKey: c.groupKey, warrantId: w.warrant.id, texts, label });
  expect(await finishedRequest(c.coordinatorUrl, token, requestId)).toMatchObject({ state: 'complete', done: texts.length });
  const results = await api(c.coordinatorUrl, 'GET', `/v1/requests/${requestId}/results`, undefined, token);
  expect(openResults(results.body, requestId, investigator.secretKey)).toEqual(texts);
  return requestId;
}

/** Waits until the coordinator's whole log is under a checkpoint every running witness cosigned; returns its size. */
async function settled(c: RealCluster, witnesses: readonly number[] = [1, 2, 3, 4, 5]): Promise<number> {
  return waitFor('every witness to cosign the whole log', async () => {
    const h = (await api(c.coordinatorUrl, 'GET', '/health')).body;
    const all = witnesses.every((i) => h.witnesses.each.find((w: { custodian: number }) => w.custodian === i)?.lag === 0);
    return h.size > 0 && all && h.witnesses.lag === 0 ? (h.size as number) : undefined;
  });
}

function wipe(file: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
}

describe('custodian backup and restore', () => {
  it('a wiped custodian restored from an earlier backup catches up from the log, witnesses, and releases for a new request', async () => {
    const c = (cluster = await start('restore-node'));
    await traffic(c, 'CASE-BEFORE', ['before the backup']);
    const node = c.nodes[1]!;
    const out = join(backups, 'custodian-2.db');

    // Online, beside the running node, which keeps serving.
    await backupCustodian({ dataDir: node.dataDir, out });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect((await api(node.url, 'GET', '/health')).status).toBe(200);
    const copy = new Database(out, { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    const backedUpSize = copy.prepare('SELECT size FROM witness').pluck().get() as number;
    copy.close();
    // Sealed: neither the share nor the signing key is in the file in the clear.
    const bytes = readFileSync(out);
    expect(bytes.includes(Buffer.from(c.shares[1]!.share))).toBe(false);
    expect(bytes.includes(Buffer.from(c.custodianKeys[1]!.secretKey))).toBe(false);
    await expect(backupCustodian({ dataDir: node.dataDir, out })).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });

    // More traffic after the backup: the node cosigns and releases beyond it.
    await traffic(c, 'CASE-AFTER', ['after the backup']);
    const sizeBefore = await settled(c);
    expect(sizeBefore).toBeGreaterThan(backedUpSize);

    // Refused while the node runs: it holds its data directory.
    await expect(restoreCustodian({ dataDir: node.dataDir, from: out })).rejects.toMatchObject({ code: 'DATA_DIR_IN_USE' });
    await c.stopNode(2);
    wipe(join(node.dataDir, 'custodian.db'));
    // Nothing to compare the backup with: the operator names the node; another node's key or backup is refused.
    await expect(restoreCustodian({ dataDir: node.dataDir, from: out })).rejects.toMatchObject({ code: 'WRONG_NODE' });
    await expect(restoreCustodian({ dataDir: node.dataDir, from: out, signingKey: c.custodianKeys[2]!.publicKey })).rejects.toMatchObject({ code: 'WRONG_NODE' });
    const other = join(backups, 'custodian-3.db');
    await backupCustodian({ dataDir: c.nodes[2]!.dataDir, out: other });
    await expect(restoreCustodian({ dataDir: node.dataDir, from: other, signingKey: c.custodianKeys[1]!.publicKey })).rejects.toMatchObject({ code: 'WRONG_NODE' });
    expect(existsSync(join(node.dataDir, 'custodian.db'))).toBe(false);
    const restored = await restoreCustodian({ dataDir: node.dataDir, from: out, signingKey: c.custodianKeys[1]!.publicKey });
    expect(restored).toEqual({ custodian: 2, witnessSize: backedUpSize, replaced: null });
    expect(statSync(join(node.dataDir, 'custodian.db')).mode & 0o777).toBe(0o600);

    await c.startNode(2);
    // Two nodes down: a new request needs the restored node, as witness and as releaser.
    await c.stopNode(4);
    await c.stopNode(5);
    const requestId = await traffic(c, 'CASE-RESTORED', ['after the restore'], 3);
    const h = await waitFor('the restored node to witness the whole log', async () => {
      const r = (await api(node.url, 'GET', '/health')).body;
      return r.witness.size >= sizeBefore ? r : undefined;
    });
    expect(h).toMatchObject({ ok: true, sealed: false, custodian: 2 });
    const releases = await api(node.url, 'GET', '/v1/operator/releases', undefined, node.init.operatorToken);
    expect(releases.body.releases.find((r: { requestId: string }) => r.requestId === requestId)).toMatchObject({ outcome: 'served', count: 1 });
    const verified = await verifyLog({ logUrl: c.coordinatorUrl });
    expect(verified.findings).toEqual([]);
  });
});

describe('coordinator backup and restore', () => {
  it('restored to before what the witnesses cosigned, it refuses to start (LOG_BEHIND_WITNESSES); from a backup they agree with, it starts and serves', async () => {
    const c = (cluster = await start('restore-coord'));
    const dataDir = c.coordinatorDir;
    const dbFile = join(dataDir, 'coordinator.db');
    const identity = { origin: c.registry.origin, logKey: c.log.publicKey };
    await traffic(c, 'CASE-1', ['first']);
    const older = join(backups, 'coordinator-older.db');
    await backupCoordinator({ dataDir, out: older });
    expect(statSync(older).mode & 0o777).toBe(0o600);
    // The log key is a file of its own, never in the backup.
    expect(readFileSync(older).includes(Buffer.from(c.log.secretKey))).toBe(false);

    await traffic(c, 'CASE-2', ['second']);
    const size = await settled(c);
    const newer = join(backups, 'coordinator-newer.db');
    await backupCoordinator({ dataDir, out: newer });

    await expect(restoreCoordinator({ dataDir, from: newer, ...identity })).rejects.toMatchObject({ code: 'DATA_DIR_IN_USE' });
    await c.coordinator.close();
    // Over the newer database: refused at once, it published checkpoints the backup lacks.
    await expect(restoreCoordinator({ dataDir, from: older, ...identity })).rejects.toMatchObject({ code: 'OLDER_BACKUP' });
    await expect(restoreCoordinator({ dataDir, from: newer, origin: identity.origin, logKey: c.custodianKeys[0]!.publicKey })).rejects.toMatchObject({ code: 'WRONG_NODE' });
    await expect(restoreCoordinator({ dataDir, from: join(c.nodes[0]!.dataDir, 'custodian.db'), ...identity })).rejects.toMatchObject({ code: 'BAD_BACKUP' });

    // The disk is lost: the older backup is all there is to compare with, so the restore goes through…
    wipe(dbFile);
    const r = await restoreCoordinator({ dataDir, from: older, ...identity });
    expect(r.size).toBeLessThan(size);
    expect(r.replaced).toBeNull();
    expect(existsSync(join(dataDir, RESTORE_MARKER))).toBe(true);
    // …and the witnesses stop it from signing a fork.
    const forked = createCoordinator(c.coordinatorConfig);
    await expect(forked.start()).rejects.toMatchObject({ code: 'LOG_BEHIND_WITNESSES', message: expect.stringContaining(`this log holds ${r.size} entries`) });
    await forked.close();
    expect(existsSync(join(dataDir, RESTORE_MARKER))).toBe(true);

    // The newer backup is what the witnesses cosigned: it starts, checked, and the replaced (older) database is kept.
    const again = await restoreCoordinator({ dataDir, from: newer, ...identity });
    expect(again.size).toBe(size);
    expect(again.replaced).toMatch(/coordinator\.db\.replaced-/);
    expect(existsSync(again.replaced!)).toBe(true);
    await c.restartCoordinator();
    expect(existsSync(join(dataDir, RESTORE_MARKER))).toBe(false);
    await traffic(c, 'CASE-3', ['after the restore']);
    await settled(c);
    const verified = await verifyLog({ logUrl: c.coordinatorUrl });
    expect(verified.findings).toEqual([]);
  });

  it('after a restore, a start with too few witnesses reachable is refused (WITNESSES_UNREACHABLE), and succeeds once they are back', async () => {
    const c = (cluster = await start('restore-quorum'));
    const dataDir = c.coordinatorDir;
    await traffic(c, 'CASE-Q', ['quorum']);
    await settled(c);
    const out = join(backups, 'coordinator-quorum.db');
    await backupCoordinator({ dataDir, out });
    await c.coordinator.close();
    await restoreCoordinator({ dataDir, from: out, origin: c.registry.origin, logKey: c.log.publicKey });
    // n − t + 1 = 3 must answer; with three nodes down two do.
    for (const i of [3, 4, 5]) await c.stopNode(i);
    const early = createCoordinator(c.coordinatorConfig);
    await expect(early.start()).rejects.toMatchObject({ code: 'WITNESSES_UNREACHABLE' });
    await early.close();
    await c.startNode(3);
    await c.restartCoordinator();
    expect(existsSync(join(dataDir, RESTORE_MARKER))).toBe(false);
  });
});
