/**
 * docs/PROTOCOL.md §1 goal 9: junk to every endpoint gives a 4xx with a code, never a
 * 5xx, and never changes state. Run against an unsealed node with a replica,
 * a queued warrant and a logged request, so that the checks behind parsing run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorld, call, removeTempDirs } from './fixture';
import { askPartials, scenario } from './scenario';
import type { Scenario } from './scenario';

let s: Scenario;

beforeAll(async () => {
  s = await scenario(buildWorld());
});

afterAll(async () => {
  await s.close();
  removeTempDirs();
});

const JSON_JUNK: unknown[] = [null, 0, 'x', [], {}, { a: 1 }, [1, 2], true, { warrant: null }, { requestId: 'x', envelopes: 'y' }, { key: 5 }, { reason: 7 }, { reason: '' }];
const QUERY_JUNK = ['?a=1', '?start=-1&end=x', '?x[]=1&x[]=2', '?%ff', '?' + 'q'.repeat(4000)];
const RAW_JUNK = ['{', '{"a":', 'nul', '\u0000', '"', '[1,]', '{"__proto__": {"x": 1}}', 'x'.repeat(2048)];

describe('junk bodies', () => {
  it('every endpoint answers junk with a 4xx and an error code', async () => {
    const id = s.warrant.id;
    const endpoints: { path: string; method: 'GET' | 'POST'; token?: boolean }[] = [
      { path: '/health', method: 'GET' },
      { path: '/v1/seal', method: 'GET' },
      { path: '/v1/unseal', method: 'POST' },
      { path: '/v1/warrants', method: 'POST' },
      { path: '/v1/partials', method: 'POST' },
      { path: '/v1/revocations', method: 'POST' },
      { path: '/witness/v1/add-checkpoint-bundle', method: 'POST' },
      { path: '/witness/v1/add-checkpoint', method: 'POST' },
      { path: '/v1/operator/queue', method: 'GET', token: true },
      { path: `/v1/operator/warrants/${id}`, method: 'GET', token: true },
      { path: '/v1/operator/warrants/not-a-uuid', method: 'GET', token: true },
      { path: `/v1/operator/warrants/${id}/approve`, method: 'POST', token: true },
      { path: `/v1/operator/warrants/${id}/deny`, method: 'POST', token: true },
      { path: '/v1/operator/warrants/%00/deny', method: 'POST', token: true },
      { path: '/v1/operator/releases', method: 'GET', token: true },
      { path: '/v1/operator/witness', method: 'GET', token: true },
    ];
    for (const e of endpoints) {
      const url = `${s.node.url}${e.path}`;
      const token = e.token ? s.node.token : undefined;
      const attempts: { query?: string; method: string; json?: unknown; raw?: string; type?: string; token?: string }[] =
        e.method === 'GET'
          ? [...QUERY_JUNK.map((query) => ({ method: 'GET', query, ...(token ? { token } : {}) })), { method: 'GET', ...(e.token ? { token: 'Bearer-junk-token-that-is-wrong' } : {}) }]
          : [
              ...JSON_JUNK.map((json) => ({ method: e.method, json, ...(token ? { token } : {}) })),
              ...RAW_JUNK.map((raw) => ({ method: e.method, raw, ...(token ? { token } : {}) })),
              ...RAW_JUNK.map((raw) => ({ method: e.method, raw, type: 'text/plain', ...(token ? { token } : {}) })),
              { method: e.method, raw: '{}', ...(e.token ? { token: 'Bearer-junk-token-that-is-wrong' } : {}) },
            ];
      for (const { query, ...a } of attempts) {
        const r = await call(url + (query ?? ''), a);
        const what = `${e.method} ${e.path} ${JSON.stringify(a).slice(0, 80)}`;
        expect(r.status, what).toBeLessThan(500);
        if (r.status >= 400) {
          if (r.type.startsWith('application/json')) expect(typeof r.json.error.code, what).toBe('string');
          else expect(r.type, what).toMatch(/^text\/x\.tlog\.size/);
        }
      }
    }
  });

  it('hostile envelopes and ids in a partials request are 4xx, and nothing is released', async () => {
    const base = s.envelopes[0]!;
    const bad: unknown[] = [
      { ...base, R: '00'.repeat(32) },
      { ...base, R: 'ff'.repeat(32) },
      { ...base, epoch: -1 },
      { ...base, epoch: 2 ** 40 },
      { ...base, label: { subject: '', category: 'x', time: 0 } },
      { ...base, nonce: 'AAAA' },
      { ...base, ciphertext: '' },
      { ...base, proof: 'zz' },
      { ...base, extra: 1 },
      { ...base, format: 'custodes.envelope.v2' },
    ];
    for (const env of bad) {
      // Signed by the log key for the logged set, as a coordinator would: the envelope parser behind the call check runs.
      const r = await askPartials(s.node, s.request.requestId, [env, ...s.envelopes.slice(1)] as never, { envelopeSetRoot: s.request.envelopeSetRoot });
      expect(r.status, JSON.stringify(env).slice(0, 80)).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(typeof r.json.error.code).toBe('string');
    }
    const unknownRequest = await askPartials(s.node, '00000000-0000-4000-8000-000000000000', s.envelopes);
    expect(unknownRequest.json.error.code).toBe('REQUEST_NOT_LOGGED');
    const history = await call(`${s.node.url}/v1/operator/releases`, { token: s.node.token });
    expect(history.json.releases.every((r: { outcome: string }) => r.outcome === 'refused')).toBe(true);
  });
});
