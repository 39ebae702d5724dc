/**
 * The warrant index of the public log (docs/PROTOCOL.md §7.3, "Warrant
 * search"): `GET /v1/log/warrant/:id` answers exactly the indices of a
 * warrant's entries (its cover sheet, decisions, requests, and their
 * releases and completions), filled at append time; migration 5 builds the
 * same index for a log written before it; bad ids and sizes are refused.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_FILE } from '../../services/coordinator/src/config';
import { api, approvedWarrant, finished, logEntries, seal, startCluster, subjectLabel, submitRequest } from './helpers/cluster';
import type { Cluster } from './helpers/cluster';

let cluster: Cluster;
let warrantA: string;
let warrantB: string;
let requestId: string;

beforeAll(async () => {
  cluster = await startCluster();
  warrantA = (await approvedWarrant(cluster, 'a')).warrant.id;
  warrantB = (await approvedWarrant(cluster, 'a')).warrant.id;
  requestId = await submitRequest(cluster, 'a', warrantA, [seal(cluster, 'hello', subjectLabel('alice@example.com'))]);
  await finished(cluster, 'a', requestId);
});

afterAll(async () => {
  await cluster?.close();
});

/** The indices of `warrantId`'s entries, by reading every entry. */
async function expected(warrantId: string, requests: string[]): Promise<number[]> {
  const entries = await logEntries(cluster);
  return entries.flatMap((e, i) => (e.warrantId === warrantId || (e.type !== 'decryption-request' && requests.includes(e.requestId)) ? [i] : []));
}

describe('GET /v1/log/warrant/:id', () => {
  it("answers exactly a warrant's entries, its requests' entries included, at the published size", async () => {
    const wantA = await expected(warrantA, [requestId]);
    const types = (await logEntries(cluster)).filter((_e, i) => wantA.includes(i)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['warrant', 'approval', 'decryption-request', 'release', 'decryption-complete']));
    const a = await api(cluster.url, 'GET', `/v1/log/warrant/${warrantA}`);
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ warrantId: warrantA, size: expect.any(Number), indices: wantA, registry: [0] });
    const b = await api(cluster.url, 'GET', `/v1/log/warrant/${warrantB}`);
    expect(b.body.indices).toEqual(await expected(warrantB, []));
    expect(b.body.indices.some((i: number) => wantA.includes(i))).toBe(false);
    // At a smaller size, only the entries below it.
    const cut = wantA[1]!;
    const small = await api(cluster.url, 'GET', `/v1/log/warrant/${warrantA}?size=${cut}`);
    expect(small.body).toEqual({ warrantId: warrantA, size: cut, indices: wantA.filter((i) => i < cut), registry: [0] });
  });

  it('answers an empty list for an unknown warrant, and refuses bad ids and sizes', async () => {
    const unknown = await api(cluster.url, 'GET', '/v1/log/warrant/00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(200);
    expect(unknown.body.indices).toEqual([]);
    const upper = await api(cluster.url, 'GET', `/v1/log/warrant/${warrantA.toUpperCase()}`);
    expect(upper.status).toBe(400);
    expect(upper.body.error.code).toBe('BAD_REQUEST');
    for (const q of ['size=0', 'size=01', 'size=-1', 'size=x', 'size=1&size=2', 'other=1']) {
      const r = await api(cluster.url, 'GET', `/v1/log/warrant/${warrantA}?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error.code, q).toBe('BAD_PARAMETER');
    }
    const beyond = await api(cluster.url, 'GET', `/v1/log/warrant/${warrantA}?size=99999`);
    expect(beyond.status).toBe(404);
    expect(beyond.body.error.code).toBe('BEYOND_TREE');
  });

  it('migration 5 indexes a log written before it', async () => {
    const before = (await api(cluster.url, 'GET', `/v1/log/warrant/${warrantA}`)).body.indices as number[];
    expect(before.length).toBeGreaterThan(3);
    await cluster.coordinator.close();
    // Back to version 4: no index table, as a database from before this migration.
    const db = new Database(join(cluster.dir, DB_FILE));
    db.exec('DROP TABLE warrant_entries; DELETE FROM coordinator_migrations WHERE version = 5;');
    db.close();
    await cluster.restart();
    const after = await api(cluster.url, 'GET', `/v1/log/warrant/${warrantA}`);
    expect(after.body.indices).toEqual(before);
    expect((await api(cluster.url, 'GET', `/v1/log/warrant/${warrantB}`)).body.indices).toEqual(await expected(warrantB, []));
  });
});
