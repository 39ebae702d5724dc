/**
 * Regressions for bugs the fuzzer found, each checked against the real
 * services (not the plumbing alone), so a future route or handler cannot
 * bring them back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, makeWarrant, startInProcessCluster } from '../../scripts/src/fuzz/cluster';
import type { InProcessCluster } from '../../scripts/src/fuzz/cluster';

let cluster: InProcessCluster;

beforeAll(async () => {
  cluster = await startInProcessCluster();
});

afterAll(async () => {
  await cluster?.close();
});

describe('bad percent-encoding in a path parameter', { timeout: 60_000 }, () => {
  const bad = ['%', '%zz', '%E0%A4%A', '%ED%A0%80'];

  it('is 400 BAD_PATH on the coordinator, never 500', async () => {
    for (const id of bad) {
      for (const [method, path] of [
        ['GET', `/v1/warrants/${id}`],
        ['GET', `/v1/requests/${id}`],
        ['GET', `/v1/requests/${id}/results`],
        ['POST', `/v1/requests/${id}/envelopes`],
        ['POST', `/v1/requests/${id}/submit`],
      ] as const) {
        const r = await api(cluster.coordinatorUrl, method, path, method === 'POST' ? {} : undefined, cluster.tokens.a);
        expect(r.status, `${method} ${path}`).toBe(400);
        expect(r.json.error.code).toBe('BAD_PATH');
      }
    }
    expect(cluster.errors).toEqual([]);
  });

  it('is 400 BAD_PATH on a custodian, never 500', async () => {
    const node = cluster.nodes[0]!;
    for (const id of bad) {
      for (const [method, path] of [
        ['GET', `/v1/operator/warrants/${id}`],
        ['POST', `/v1/operator/warrants/${id}/approve`],
        ['POST', `/v1/operator/warrants/${id}/deny`],
      ] as const) {
        const r = await api(node.url, method, path, method === 'POST' ? { reason: 'x' } : undefined, node.operatorToken);
        expect(r.status, `${method} ${path}`).toBe(400);
        expect(r.json.error.code).toBe('BAD_PATH');
      }
    }
    expect(cluster.errors).toEqual([]);
  });
});

describe('a lone surrogate in a JSON string', { timeout: 60_000 }, () => {
  // JSON.stringify writes a lone surrogate as the escape \ud800, which JSON.parse turns back into one.
  const lone = '\ud800';

  it('is 400 on the coordinator (it has no RFC 8785 bytes to sign or hash), never 500', async () => {
    // The fuzzer's case: the genesis registry posted again with one name changed (compared as JCS with the logged one).
    const registry = { ...cluster.registry, courts: [{ ...cluster.registry.courts[0]!, name: `court ${lone}` }] };
    const r = await api(cluster.coordinatorUrl, 'POST', '/v1/registry', { entry: registry });
    expect(r.status, r.text).toBe(400);
    const w = makeWarrant(cluster.court, cluster.investigators.a);
    w.warrant.caseNumber = `CASE ${lone}`; // after signing: signing it would need its JCS bytes
    const intake = await api(cluster.coordinatorUrl, 'POST', '/v1/warrants', w, cluster.tokens.a);
    expect(intake.status, intake.text).toBe(400);
    const record = await api(cluster.coordinatorUrl, 'POST', '/v1/records', { entry: { type: 'revocation', reason: lone } });
    expect(record.status, record.text).toBe(400);
    expect(cluster.errors).toEqual([]);
  });

  it('is 400 on a custodian, never 500', async () => {
    const node = cluster.nodes[0]!;
    const w = makeWarrant(cluster.court, cluster.investigators.a);
    w.warrant.offense = lone;
    const delivered = await api(node.url, 'POST', '/v1/warrants', w);
    expect(delivered.status, delivered.text).toBe(400);
    const deny = await api(node.url, 'POST', `/v1/operator/warrants/${w.warrant.id}/deny`, { reason: lone }, node.operatorToken);
    expect(deny.status, deny.text).toBe(400);
    expect(cluster.errors).toEqual([]);
  });
});
