/**
 * The auditor against the real coordinator (with the coordinator tests'
 * stand-in custodians; custodian 1 returns bad partials): a log written by
 * the services as built must verify with zero findings, cosigned by ≥ t, and
 * its misbehavior entries must really fail the DLEQ check.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { verifyLog, writeReport } from '@custodes/auditor';
import { approvedWarrant, finished, logEntries, seal, startCluster, subjectLabel, submitRequest } from '../coordinator/helpers/cluster';
import type { Cluster } from '../coordinator/helpers/cluster';

let cluster: Cluster;
const dirs: string[] = [];

beforeAll(async () => {
  cluster = await startCluster({ behaviours: { 1: 'bad-partial' } });
});

afterAll(async () => {
  await cluster?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('auditing a log written by the coordinator', () => {
  test('a decrypted request with a blamed custodian verifies with zero findings', async () => {
    const { warrant } = await approvedWarrant(cluster, 'a');
    const envelopes = [seal(cluster, 'one', subjectLabel('alice@example.com')), seal(cluster, 'two', subjectLabel('bob@example.com', 'chat'))];
    const requestId = await submitRequest(cluster, 'a', warrant.id, envelopes);
    await finished(cluster, 'a', requestId);
    const entries = await logEntries(cluster);
    const types = new Set(entries.map((e) => e.type));
    expect(types.has('release')).toBe(true);
    expect(types.has('decryption-complete')).toBe(true);
    // Custodian 1's bad partial breaks the fast path, so it is verified, blamed and logged.
    expect(entries.filter((e) => e.type === 'misbehavior').map((e) => e.custodian)).toEqual([1]);

    const dir = mkdtempSync(join(tmpdir(), 'custodes-e2e-'));
    dirs.push(dir);
    const r = await verifyLog({ logUrl: cluster.url, stateDir: dir });
    expect(r.findings).toEqual([]);
    expect(r.checkpoint?.accepted).toBe(true);
    expect(r.checkpoint!.cosigners.length).toBeGreaterThanOrEqual(3);
    expect(r.size).toBe(entries.length);
    // Whatever misbehavior the coordinator logged survived the DLEQ re-check.
    expect(r.audit.misbehaviors.length).toBe(entries.filter((e) => e.type === 'misbehavior').length);

    const report = (await writeReport({ logUrl: cluster.url, outDir: join(dir, 'report') })).report;
    expect(report.warrants.total).toBe(1);
    expect(report.requests.total).toBe(1);
    expect(report.audit.findings).toBe(0);
  });
});
