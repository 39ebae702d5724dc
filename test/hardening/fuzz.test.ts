/**
 * The junk-input fuzzer (scripts/src/fuzz) at a small N against a real
 * in-process cluster: no crash, no 5xx, no hang, no 2xx without credentials,
 * every oversize body refused with 413 (a partials body only once the
 * coordinator's signed call is checked), every service healthy, the log intact
 * and verified clean by the auditor, and a fresh decryption still works.
 * Then the limits themselves, which the fuzz run raises so that its own
 * traffic is not refused: the coordinator's per-IP rate limit, and the body
 * caps of both services.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARTIALS_CALL_HEADER, partialsCallHeader } from '@custodes/shared/records';
import { formatFuzzReport, runFuzz } from '../../scripts/src/fuzz/fuzz';
import { api, makeWarrant, startInProcessCluster, waitFor } from '../../scripts/src/fuzz/cluster';
import type { InProcessCluster } from '../../scripts/src/fuzz/cluster';

describe('fuzzer', { timeout: 180_000 }, () => {
  it('2000 hostile requests: 0 crashes, 0 5xx, healthy, log intact, decryption still works', async () => {
    const report = await runFuzz({ requests: 2000, concurrency: 8, seed: Math.floor(Math.random() * 2 ** 31) });
    const text = formatFuzzReport(report);
    expect(report.requests, text).toBe(2000);
    expect(report.crashes, text).toEqual([]);
    expect(report.failures, text).toEqual([]);
    expect(report.serviceErrors, text).toEqual([]);
    expect(report.healthy, text).toBe(true);
    expect(report.log.prefixIntact, text).toBe(true);
    expect(report.log.integrity, text).toEqual([]);
    expect(report.log.findings, text).toEqual([]);
    expect(report.log.after, text).toBe(report.log.before + report.log.newlyLogged + report.log.promptedReleases);
    expect(report.finalDecryption, text).toMatchObject({ ok: true, decrypted: 3 });
    // Every status is a deliberate answer: 2xx for replays, 4xx for junk.
    for (const s of Object.keys(report.statuses)) expect(Number(s), text).toBeLessThan(500);
  });
});

describe('limits', { timeout: 90_000 }, () => {
  let cluster: InProcessCluster;
  beforeAll(async () => {
    cluster = await startInProcessCluster({ rateLimitPerMinute: 50, custodian: { requestsPerMinute: 50 } });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('the coordinator answers 429 RATE_LIMITED beyond its per-IP rate', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 80; i++) codes.push((await api(cluster.coordinatorUrl, 'GET', '/log/v1/checkpoint')).status);
    expect(codes).toContain(429);
    const r = await api(cluster.coordinatorUrl, 'GET', '/health');
    expect(r.status).toBe(429);
    expect(r.json.error.code).toBe('RATE_LIMITED');
  });

  it('a custodian answers 429 RATE_LIMITED beyond its per-IP rate, before reading the body', async () => {
    const node = cluster.nodes[1]!;
    const codes: number[] = [];
    for (let i = 0; i < 80; i++) codes.push((await api(node.url, 'POST', '/v1/unseal', { key: 'AAAA' })).status);
    expect(codes.slice(0, 10).every((c) => c !== 429 && c < 500), String(codes)).toBe(true);
    expect(codes).toContain(429);
    const r = await api(node.url, 'GET', '/health');
    expect(r.status).toBe(429);
    expect(r.json.error.code).toBe('RATE_LIMITED');
  });

  it('both services refuse bodies over their caps with 413 BODY_TOO_LARGE', async () => {
    const node = cluster.nodes[0]!;
    const big = (bytes: number) => JSON.stringify({ pad: 'x'.repeat(bytes) });
    const custodianCases: [string, string, Record<string, string>][] = [
      ['/v1/warrants', big(2 * 1024 * 1024 + 10), {}], // a delivery: a warrant and its checkpoint bundle (docs/PROTOCOL.md §8.9)
      ['/v1/unseal', big(1024 * 1024 + 10), {}],
    ];
    for (const [path, body, headers] of custodianCases) {
      const r = await fetch(`${node.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      expect(r.status, `${path} ${r.status === 413 ? "" : await r.text()}`).toBe(413);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('BODY_TOO_LARGE');
    }
    // POST /v1/partials without the coordinator's call: the body is never read, 401 before any cap
    // applies (with the call, 413 beyond 65 MiB: below).
    const unsigned = await fetch(`${node.url}/v1/partials`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big(65 * 1024 * 1024 + 10) });
    expect(unsigned.status).toBe(401);
    expect(((await unsigned.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    const witness = await fetch(`${node.url}/witness/v1/add-checkpoint`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'old 0\n' + 'A'.repeat(200 * 1024) });
    expect(witness.status).toBe(413);
    // The coordinator's caps are checked on a fresh cluster below (this one's rate limit is spent).
  });
});

describe('coordinator body caps', { timeout: 90_000 }, () => {
  let cluster: InProcessCluster;
  beforeAll(async () => {
    cluster = await startInProcessCluster();
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('each route\'s cap (8 MB for envelope batches and one-call requests, less for the rest; docs/PROTOCOL.md §8.9): 413 BODY_TOO_LARGE beyond', async () => {
    const big = (bytes: number) => JSON.stringify({ pad: 'x'.repeat(bytes) });
    for (const [path, bytes] of [
      ['/v1/records', 1024 * 1024 + 10],
      ['/v1/warrants', 1024 * 1024 + 10],
      ['/v1/requests/00000000-0000-4000-8000-000000000000/submit', 1024 * 1024 + 10],
      ['/v1/requests/00000000-0000-4000-8000-000000000000/envelopes', 8 * 1024 * 1024 + 10],
      ['/v1/requests', 8 * 1024 * 1024 + 10],
    ] as const) {
      const r = await fetch(`${cluster.coordinatorUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${cluster.tokens.a}` }, body: big(bytes) });
      expect(r.status, `${path} ${r.status === 413 ? "" : await r.text()}`).toBe(413);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('BODY_TOO_LARGE');
    }
    expect(cluster.errors).toEqual([]);
  });

  it('a custodian reads a partials body only under the coordinator\'s signed call, and caps it at 65 MiB (the envelopes and the carried checkpoint, docs/PROTOCOL.md §8.9): 413 BODY_TOO_LARGE', async () => {
    const node = cluster.nodes[0]!;
    // The node needs the registry (hence the log key) in its replica: any appended entry starts a cosigning round.
    const w = makeWarrant(cluster.court, cluster.investigators.a);
    expect((await api(cluster.coordinatorUrl, 'POST', '/v1/warrants', w, cluster.tokens.a)).status).toBe(201);
    await waitFor('the node to cosign a checkpoint', async () => ((await api(node.url, 'GET', '/witness/v1/checkpoint')).status === 200 ? true : undefined));
    const call = partialsCallHeader(
      { custodian: node.index, requestId: randomUUID(), envelopeCount: 1, envelopeSetRoot: '00'.repeat(32), issuedAt: Math.floor(Date.now() / 1000) },
      cluster.log.secretKey,
    );
    const body = JSON.stringify({ pad: 'x'.repeat(65 * 1024 * 1024 + 10) });
    const r = await fetch(`${node.url}/v1/partials`, { method: 'POST', headers: { 'content-type': 'application/json', [PARTIALS_CALL_HEADER]: call }, body });
    expect(r.status, r.status === 413 ? '' : await r.text()).toBe(413);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('BODY_TOO_LARGE');
    expect(cluster.errors).toEqual([]);
  });
});
