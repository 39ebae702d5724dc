/**
 * Metrics and health of a real cluster (docs/PROTOCOL.md §9.5, Health and
 * metrics): every service serves Prometheus text on its own loopback port,
 * labelled by route template (never a raw path with an id), with one registry
 * per service instance — five custodians in this process report five
 * different states.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Label } from '@custodes/shared/crypto';
import type { RealCluster } from '../../scripts/src/cluster/in-process';
import { api, waitFor } from '../coordinator/helpers/cluster';
import { courtSignedWarrant, finishedRequest, startTestCluster, submitSealed } from '../coordinator/helpers/real';

const now = () => Math.floor(Date.now() / 1000);
const label = (k: number): Label => ({ subject: 'subject-a', category: 'messages', time: now() - 86_400 - k });

let c: RealCluster;
let warrantId: string;
let requestId: string;

/** GET `url`/metrics as text, checking the Prometheus content type. */
async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of the one sample of `name` whose labels include every one of `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[3]);
  }
  return undefined;
}

beforeAll(async () => {
  // Node 5 has no policy: the warrant waits in its queue.
  c = await startTestCluster({
    origin: 'custodes.test/ops-metrics',
    tempPrefix: 'metrics',
    autoApprovers: [1, 2, 3, 4],
    coordinator: { metricsPort: 0, cosignDelayMs: 50 },
    custodian: { metricsPort: 0, logHeadIntervalMs: 200, outboxGraceMs: 200 },
  });
  const investigator = c.investigators[0]!;
  const token = c.tokens[0]!;
  const w = courtSignedWarrant(c.court, investigator, 'CASE-METRICS');
  warrantId = w.warrant.id;
  expect((await api(c.coordinatorUrl, 'POST', '/v1/warrants', w, token)).status).toBe(201);
  await waitFor('approval', async () => ((await api(c.coordinatorUrl, 'GET', `/v1/warrants/${warrantId}`, undefined, token)).body.status === 'approved' ? true : undefined));
  requestId = await submitSealed({ url: c.coordinatorUrl, token, investigator, groupKey: c.groupKey, warrantId, texts: ['a', 'b'], label });
  expect(await finishedRequest(c.coordinatorUrl, token, requestId)).toMatchObject({ state: 'complete', done: 2 });
});

afterAll(async () => {
  await c?.close();
});

describe('GET /metrics', () => {
  it('the coordinator: requests by route template and status, log size and witness lag as /health says, pending deliveries', async () => {
    expect(c.coordinator.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(c.coordinator.metricsUrl).not.toBe(c.coordinatorUrl);
    const text = await scrape(c.coordinator.metricsUrl);
    expect(sample(text, 'custodes_http_request_duration_seconds_count', { service: 'coordinator', method: 'POST', route: '/v1/requests/:id/submit', status: '202' })).toBe(1);
    expect(sample(text, 'custodes_http_request_duration_seconds_count', { method: 'GET', route: '/v1/warrants/:id', status: '200' })).toBeGreaterThanOrEqual(1);
    // No raw path: neither id appears anywhere in the scrape.
    expect(text).not.toContain(warrantId);
    expect(text).not.toContain(requestId);
    const health = (await api(c.coordinatorUrl, 'GET', '/health')).body;
    expect(sample(text, 'custodes_log_size')).toBeGreaterThanOrEqual(health.size - 1);
    expect(sample(text, 'custodes_witness_lag_entries')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'custodes_witness_lag_entries_by_custodian', { custodian: '5' })).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'custodes_outbox_pending')).toBe(0);
    expect(sample(text, 'custodes_storage_state', { state: 'ok' })).toBe(1);
    expect(sample(text, 'custodes_storage_state', { state: 'full' })).toBe(0);
    expect(sample(text, 'custodes_coordinator_up')).toBe(1);
    expect(sample(text, 'process_resident_memory_bytes', { service: 'coordinator' })).toBeGreaterThan(0);
  });

  it('each custodian its own registry: sealed, review queue, releases by agency, outbox, witness lag, requests by route', async () => {
    const texts = await Promise.all(c.nodes.map((n) => scrape(n.service!.metricsUrl)));
    expect(new Set(c.nodes.map((n) => n.service!.metricsUrl)).size).toBe(5);
    for (const text of texts) {
      expect(sample(text, 'custodes_custodian_sealed', { service: 'custodian' })).toBe(0);
      expect(sample(text, 'custodes_storage_state', { state: 'ok' })).toBe(1);
      expect(text).not.toContain(warrantId);
      expect(text).not.toContain(requestId);
    }
    // Only node 5 left the warrant for a person.
    expect(texts.map((t) => sample(t, 'custodes_review_queue_depth'))).toEqual([0, 0, 0, 0, 1]);
    const released = texts.map((t) => sample(t, 'custodes_released_envelopes_total', { agency: 'agency-1' }) ?? 0);
    expect(released.filter((n) => n === 2).length).toBeGreaterThanOrEqual(3);
    expect(released[4]).toBe(0);
    const served = texts.findIndex((t) => sample(t, 'custodes_released_requests_total', { agency: 'agency-1' }) === 1);
    expect(sample(texts[served]!, 'custodes_http_request_duration_seconds_count', { method: 'POST', route: '/v1/partials', status: '200' })).toBe(1);
    // The witness lag is read against the coordinator's cosigned checkpoint, then drains to 0.
    for (const n of c.nodes) {
      await waitFor(`custodian ${n.index}'s witness lag to drain`, async () => {
        const t = await scrape(n.service!.metricsUrl);
        return sample(t, 'custodes_witness_lag_entries') === 0 && sample(t, 'custodes_outbox_pending') === 0 ? true : undefined;
      });
    }
  });

  it('is served on the metrics port only, GET /metrics only; the API port does not serve it, and a node started without a metrics port has none', async () => {
    const n = c.nodes[0]!;
    expect((await api(n.url, 'GET', '/metrics')).status).toBe(404);
    expect((await api(c.coordinatorUrl, 'GET', '/metrics')).status).toBe(404);
    const other = await api(n.service!.metricsUrl, 'GET', '/v1/seal');
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('NOT_FOUND');
    await c.stopNode(2);
    await c.restartCoordinator({ metricsPort: undefined });
    expect(c.coordinator.metricsUrl).toBe('');
  });
});

describe('GET /health', () => {
  it('a custodian: 200 with its witness lag and outbox; 503 once sealed by its operator, with the same fields', async () => {
    const n = c.nodes[2]!;
    const h = await api(n.url, 'GET', '/health');
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ ok: true, sealed: false, custodian: 3, storage: { state: 'ok', lastFailure: null, recoveredAt: null }, outbox: { pending: 0, oldestSeconds: null } });
    expect(h.body.witness.size).toBeGreaterThan(0);
    expect(h.body.witness.lag).toBe(Math.max(0, h.body.witness.logSize - h.body.witness.size));
    // Nothing secret: no token, key or warrant in it.
    expect(JSON.stringify(h.body)).not.toMatch(/[0-9a-f]{64}/);
    expect((await api(n.url, 'POST', '/v1/seal', {}, n.init.operatorToken)).status).toBe(200);
    const sealed = await api(n.url, 'GET', '/health');
    expect(sealed.status).toBe(503);
    expect(sealed.body).toMatchObject({ ok: false, sealed: true, custodian: 3, storage: { state: 'ok' } });
    expect(sample(await scrape(n.service!.metricsUrl), 'custodes_custodian_sealed')).toBe(1);
  });

  it('the coordinator: the witnesses behind, each and as t of them, and a stopped node shows up as lag', async () => {
    const before = (await api(c.coordinatorUrl, 'GET', '/health')).body;
    expect(before).toMatchObject({ ok: true, storage: { state: 'ok' }, witnesses: { threshold: 3 }, outbox: { pendingDeliveries: expect.any(Number) } });
    expect(before.witnesses.each).toHaveLength(5);
    // Node 2 is stopped (above) and node 3 sealed: a new warrant leaves them behind; the other three keep up.
    const w = courtSignedWarrant(c.court, c.investigators[0]!, 'CASE-LAG');
    expect((await api(c.coordinatorUrl, 'POST', '/v1/warrants', w, c.tokens[0]!)).status).toBe(201);
    const after = await waitFor('the others to cosign the new entries', async () => {
      const h = (await api(c.coordinatorUrl, 'GET', '/health')).body;
      return h.size > before.size && h.witnesses.lag === 0 ? h : undefined;
    });
    const lagOf = (i: number) => after.witnesses.each.find((e: { custodian: number }) => e.custodian === i).lag as number;
    expect(lagOf(2)).toBeGreaterThan(0);
    expect(lagOf(3)).toBeGreaterThan(0);
    expect(after.witnesses.cosigned).toBe(after.size);
  });
});
