/**
 * Regressions for bugs the fuzzer found, each checked against the real
 * services (not the plumbing alone), so a future route or handler cannot
 * bring them back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startInProcessCluster } from '../../scripts/src/fuzz/cluster';
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
