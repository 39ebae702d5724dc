/**
 * Request bodies are read after authentication, within each route's limit, and
 * never parsed when nested deeper than the route's schema (shared/src/service/body.ts;
 * docs/PROTOCOL.md §8.9). JSON.parse of 6 MB of `[[[[…` blocks a node for seconds,
 * so whether it ran is asserted directly: JSON.parse is watched, and no call
 * may receive the refused body. No timing is measured.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addInvestigatorToken, createCoordinator, initCoordinator } from '@custodes/coordinator';
import type { Coordinator } from '@custodes/coordinator';
import { PARTIALS_CALL_HEADER } from '@custodes/shared/records';
import { DepthScan } from '@custodes/shared/service';
import { buildWorld, callHeader, removeTempDirs, tempDir } from '../custodian/fixture';
import type { World } from '../custodian/fixture';
import { scenario } from '../custodian/scenario';
import type { Scenario } from '../custodian/scenario';

const KiB = 1024;
const MiB = 1024 * KiB;
const DEEP = '['.repeat(6 * MiB); // 6 MB of nesting: seconds of JSON.parse

let world: World;
let coordinator: Coordinator;
let token: string;
let s: Scenario;

beforeAll(async () => {
  world = buildWorld();
  const dataDir = tempDir();
  initCoordinator({ dataDir, registry: world.registry, logSecretKey: world.logKey.secretKey, logNoteSecretKey: world.logKey.noteSecretKey });
  token = addInvestigatorToken({ dataDir, agency: world.agency.id, investigator: world.agency.investigator.publicKey });
  coordinator = createCoordinator({ dataDir, origin: world.registry.origin, logSecretKey: world.logKey.secretKey, logNoteSecretKey: world.logKey.noteSecretKey });
  await coordinator.start();
  s = await scenario(world);
}, 60_000);

afterAll(async () => {
  await coordinator?.close();
  await s?.close();
  removeTempDirs();
});

interface Answer {
  status: number;
  code: string | undefined;
}

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    code = undefined;
  }
  return { status: res.status, code };
}

/**
 * Announces `length` bytes (or none: chunked) and sends `first` only, then waits
 * for the answer: a body over the limit is refused before the node reads it.
 */
function announce(url: string, length: number | 'chunked', first: string, headers: Record<string, string> = {}, more?: () => string | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', ...(length === 'chunked' ? {} : { 'content-length': String(length) }), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, code: (JSON.parse(text) as { error?: { code?: string } }).error?.code });
          req.destroy();
        });
      },
    );
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    req.write(first);
    // Chunked: keep sending until the node answers (or `more` runs out).
    const pump = () => {
      const next = more?.();
      if (next === undefined || req.destroyed) return;
      if (req.write(next)) setImmediate(pump);
      else req.once('drain', pump);
    };
    pump();
  });
}

/** JSON.parse, watched: the bodies it was handed of at least `min` characters. */
function watchParse() {
  const spy = vi.spyOn(JSON, 'parse');
  return {
    big: (min = 100_000) => spy.mock.calls.filter(([text]) => typeof text === 'string' && text.length >= min).length,
    restore: () => spy.mockRestore(),
  };
}

const coordinatorUrl = (path: string) => coordinator.url + path;
const custodianUrl = (path: string) => s.node.url + path;
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
let calls = 0;
/** A fresh valid Custodes-Call for custodian 1 (a different count each time, so never a replay). */
const goodCall = () => ({ [PARTIALS_CALL_HEADER]: callHeader(world, 1, s.request.requestId, s.envelopes, { envelopeCount: 1000 + calls++ }) });

interface Route {
  name: string;
  url: () => string;
  /** Headers of an authenticated caller (none: the route takes no credential). */
  auth?: () => Record<string, string>;
  limit: number;
  maxDepth: number;
}

const id = randomUUID();
const ROUTES: Route[] = [
  { name: 'coordinator POST /v1/registry', url: () => coordinatorUrl('/v1/registry'), limit: 1 * MiB, maxDepth: 6 },
  { name: 'coordinator POST /v1/records', url: () => coordinatorUrl('/v1/records'), limit: 16 * KiB, maxDepth: 2 },
  { name: 'coordinator POST /v1/unseals', url: () => coordinatorUrl('/v1/unseals'), limit: 1 * MiB, maxDepth: 4 },
  { name: 'coordinator POST /v1/warrants', url: () => coordinatorUrl('/v1/warrants'), auth: () => bearer(token), limit: 1 * MiB, maxDepth: 4 },
  { name: 'coordinator POST /v1/requests', url: () => coordinatorUrl('/v1/requests'), auth: () => bearer(token), limit: 8 * MiB, maxDepth: 4 },
  { name: 'coordinator POST /v1/requests/:id/envelopes', url: () => coordinatorUrl(`/v1/requests/${id}/envelopes`), auth: () => bearer(token), limit: 8 * MiB, maxDepth: 4 },
  { name: 'coordinator POST /v1/requests/:id/submit', url: () => coordinatorUrl(`/v1/requests/${id}/submit`), auth: () => bearer(token), limit: 4 * KiB, maxDepth: 3 },
  { name: 'custodian POST /v1/unseal', url: () => custodianUrl('/v1/unseal'), limit: 2 * KiB, maxDepth: 1 },
  { name: 'custodian POST …/approve', url: () => custodianUrl(`/v1/operator/warrants/${s.warrant.id}/approve`), auth: () => bearer(s.node.token), limit: 8 * KiB, maxDepth: 1 },
  { name: 'custodian POST …/deny', url: () => custodianUrl(`/v1/operator/warrants/${s.warrant.id}/deny`), auth: () => bearer(s.node.token), limit: 8 * KiB, maxDepth: 1 },
  { name: 'custodian POST /witness/v1/add-checkpoint-bundle', url: () => custodianUrl('/witness/v1/add-checkpoint-bundle'), limit: 1 * MiB, maxDepth: 2 },
  { name: 'custodian POST /v1/warrants', url: () => custodianUrl('/v1/warrants'), limit: 2 * MiB, maxDepth: 4 },
  { name: 'custodian POST /v1/partials', url: () => custodianUrl('/v1/partials'), auth: goodCall, limit: 65 * MiB, maxDepth: 4 },
];

/** A JSON object of exactly `n` bytes: `{"pad":"xxx…"}`. */
const padded = (n: number) => `{"pad":"${'x'.repeat(n - 10)}"}`;
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('DepthScan', () => {
  const depthOf = (v: unknown): number => (v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v as object).map(depthOf)) : 0);

  it('counts only brackets outside strings, across any split into chunks', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.nat(), (value, cut) => {
        const bytes = Buffer.from(JSON.stringify(value), 'utf8');
        const at = bytes.length ? cut % bytes.length : 0;
        const d = depthOf(value);
        const fits = new DepthScan(Math.max(1, d));
        expect(fits.push(bytes.subarray(0, at)) && fits.push(bytes.subarray(at))).toBe(true);
        if (d >= 1) {
          const tight = new DepthScan(d === 1 ? 1 : d - 1);
          expect(tight.push(bytes.subarray(0, at)) && tight.push(bytes.subarray(at))).toBe(d === 1);
        }
      }),
      { numRuns: 300 },
    );
    // Brackets and escaped quotes inside strings are not nesting.
    expect(new DepthScan(1).push(Buffer.from('{"a":"[[[{{{\\"[[[","b":"\\\\"}'))).toBe(true);
    expect(new DepthScan(1).push(Buffer.from('{"a":"\\\\",  "b":[1]}'))).toBe(false);
    expect(() => new DepthScan(0)).toThrow(RangeError);
  });
});

describe('authentication before any body is read', { timeout: 120_000 }, () => {
  it('an unauthenticated 6 MB deep body gets 401 on every authenticated route, and is never parsed', async () => {
    const parse = watchParse();
    try {
      for (const r of ROUTES.filter((x) => x.auth)) {
        const wrong = r.name.includes('partials') ? { [PARTIALS_CALL_HEADER]: 'junk' } : bearer('x'.repeat(43));
        for (const headers of [{}, wrong]) {
          const a = await post(r.url(), DEEP, headers);
          expect(a.status, r.name).toBe(401);
        }
      }
      // A body under the old 1 MB cap the custodians parsed before their operator check.
      const a = await post(custodianUrl(`/v1/operator/warrants/${s.warrant.id}/approve`), '['.repeat(900 * KiB));
      expect(a.status).toBe(401);
      expect(parse.big()).toBe(0);
    } finally {
      parse.restore();
    }
  });

  it('an authenticated caller sending a deep body gets 400 TOO_DEEP, without JSON.parse', async () => {
    const parse = watchParse();
    try {
      for (const r of ROUTES.filter((x) => x.auth && x.limit > DEEP.length)) {
        const a = await post(r.url(), DEEP, r.auth!());
        expect(a, r.name).toEqual({ status: 400, code: 'TOO_DEEP' });
      }
      // Routes any caller may use: deep within the limit is TOO_DEEP, past it BODY_TOO_LARGE; neither parsed.
      for (const r of ROUTES.filter((x) => !x.auth)) {
        const a = await post(r.url(), '['.repeat(Math.min(r.limit, 900 * KiB)));
        expect(a, r.name).toEqual({ status: 400, code: 'TOO_DEEP' });
        expect(await post(r.url(), DEEP), r.name).toEqual({ status: 413, code: 'BODY_TOO_LARGE' });
      }
      expect(parse.big()).toBe(0);
    } finally {
      parse.restore();
    }
  });
});

describe("each route's limits", { timeout: 180_000 }, () => {
  it('a declared length past the limit is 413 BODY_TOO_LARGE before the body is sent (401 first without credentials)', async () => {
    for (const r of ROUTES) {
      expect(await announce(r.url(), r.limit + 1, '{', r.auth?.() ?? {}), r.name).toEqual({ status: 413, code: 'BODY_TOO_LARGE' });
      if (r.auth) expect((await announce(r.url(), r.limit + 1, '{')).status, r.name).toBe(401);
    }
  });

  it('a streamed (chunked) body is refused as soon as it passes the limit', async () => {
    for (const r of ROUTES.filter((x) => x.limit <= 8 * MiB)) {
      let sent = 0;
      const piece = `"${'x'.repeat(64 * KiB - 2)}",`;
      const a = await announce(r.url(), 'chunked', '[', r.auth?.() ?? {}, () => (sent++ < (2 * r.limit) / piece.length + 2 ? piece : undefined));
      expect(a, r.name).toEqual({ status: 413, code: 'BODY_TOO_LARGE' });
    }
  });

  it('a body of exactly the limit, and nesting of exactly the depth, pass the body stage (the schema refuses them)', async () => {
    for (const r of ROUTES.filter((x) => x.limit <= 8 * MiB)) {
      const atLimit = await post(r.url(), padded(r.limit), r.auth?.() ?? {});
      expect(atLimit.status, r.name).toBeLessThan(500);
      expect(['BODY_TOO_LARGE', 'TOO_DEEP', 'BAD_JSON'], r.name).not.toContain(atLimit.code);
      const atDepth = await post(r.url(), nested(r.maxDepth), r.auth?.() ?? {});
      expect(atDepth.status, r.name).toBeLessThan(500);
      expect(atDepth.code, r.name).not.toBe('TOO_DEEP');
      expect(await post(r.url(), nested(r.maxDepth + 1), r.auth?.() ?? {}), r.name).toEqual({ status: 400, code: 'TOO_DEEP' });
    }
  });
});
