/**
 * The JSON-over-HTTP client between services (shared/src/service/client.ts):
 * keep-alive reuse, the error shape mapped back, deadlines, bounded retries,
 * capped answers, and the stale kept-alive socket race.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpError, MAX_RESPONSE_BYTES, requestJson } from '@custodes/shared/service';
import { answerOverCap } from './fixtures/oversized';

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;

const servers: http.Server[] = [];

async function serve(handler: Handler, tune?: (s: http.Server) => void): Promise<{ url: string; server: http.Server; sockets: () => number }> {
  let sockets = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  server.on('connection', () => sockets++);
  tune?.(server);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, sockets: () => sockets };
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const json = (res: http.ServerResponse, status: number, value: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
};

describe('requestJson', () => {
  it('sends JSON, parses the answer, and reuses one kept-alive connection', async () => {
    const seen: { method?: string; type?: string; auth?: string; body: string }[] = [];
    const s = await serve((req, body, res) => {
      seen.push({ method: req.method, type: req.headers['content-type'], auth: req.headers.authorization, body });
      json(res, 200, { echo: body ? JSON.parse(body) : null });
    });
    for (let k = 0; k < 5; k++) {
      expect(await requestJson(`${s.url}/x`, { body: { k, text: 'é' }, token: 'tok-0123456789abcdef' })).toEqual({ echo: { k, text: 'é' } });
    }
    expect(await requestJson(`${s.url}/x`)).toEqual({ echo: null });
    expect(seen[0]).toEqual({ method: 'POST', type: 'application/json', auth: 'Bearer tok-0123456789abcdef', body: '{"k":0,"text":"é"}' });
    expect(seen[5]!.method).toBe('GET');
    expect(s.sockets()).toBe(1);
  });

  it('maps {error:{code,message}} to HttpError, and other failures to their status', async () => {
    const s = await serve((req, _body, res) => {
      if (req.url === '/coded') return json(res, 409, { error: { code: 'OLD_SIZE_MISMATCH', message: 'behind' } });
      res.writeHead(418, { 'content-type': 'text/plain' });
      res.end('teapot');
    });
    const coded = await requestJson(`${s.url}/coded`).catch((e: unknown) => e);
    expect(coded).toBeInstanceOf(HttpError);
    expect(coded).toMatchObject({ status: 409, code: 'OLD_SIZE_MISMATCH', message: 'behind' });
    expect((coded as HttpError).body).toContain('OLD_SIZE_MISMATCH');
    await expect(requestJson(`${s.url}/plain`)).rejects.toMatchObject({ status: 418, code: 'HTTP_418', message: 'teapot' });
  });

  it('sends text bodies and returns text answers when asked', async () => {
    const s = await serve((req, body, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`${req.headers['content-type']}|${body}`);
    });
    expect(await requestJson<string>(`${s.url}/t`, { text: 'a\nb', expectText: true })).toBe('text/plain; charset=utf-8|a\nb');
  });

  it('refuses an answer that is not JSON with 502 BAD_UPSTREAM', async () => {
    const s = await serve((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{not json');
    });
    await expect(requestJson(`${s.url}/`)).rejects.toMatchObject({ status: 502, code: 'BAD_UPSTREAM' });
  });

  it('gives up at the deadline instead of hanging', async () => {
    const s = await serve(() => undefined); // never answers
    const t = performance.now();
    const err = await requestJson(`${s.url}/`, { timeoutMs: 150 }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('TimeoutError');
    expect(performance.now() - t).toBeLessThan(5_000);
  });

  it('retries 5xx and 429 up to `retries`, never 4xx', async () => {
    let calls = 0;
    const s = await serve((req, _body, res) => {
      calls++;
      if (req.url === '/flaky') return calls < 3 ? json(res, 503, { error: { code: 'UNAVAILABLE', message: 'later' } }) : json(res, 200, { ok: true });
      json(res, 400, { error: { code: 'BAD_REQUEST', message: 'no' } });
    });
    expect(await requestJson(`${s.url}/flaky`, { retries: 2 })).toEqual({ ok: true });
    expect(calls).toBe(3);
    calls = 0;
    await expect(requestJson(`${s.url}/bad`, { retries: 2 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(calls).toBe(1);
  });

  it('calls a headers function again for every attempt', async () => {
    const seen: string[] = [];
    const s = await serve((req, _body, res) => {
      seen.push(String(req.headers['x-attempt']));
      if (seen.length < 2) return json(res, 500, { error: { code: 'INTERNAL', message: 'x' } });
      json(res, 200, {});
    });
    let n = 0;
    await requestJson(`${s.url}/`, { retries: 1, headers: () => ({ 'x-attempt': String(++n) }) });
    expect(seen).toEqual(['1', '2']);
  });

  it(`refuses an answer over ${MAX_RESPONSE_BYTES} bytes without buffering it`, async () => {
    const s = await serve((_req, _body, res) => answerOverCap(res));
    await expect(requestJson(`${s.url}/`, { timeoutMs: 30_000 })).rejects.toMatchObject({ status: 502, code: 'BAD_UPSTREAM', message: expect.stringContaining('more than') });
  });

  it('repeats once, at once, a call whose kept-alive socket the server had just closed', async () => {
    let calls = 0;
    const s = await serve((_req, _body, res) => {
      calls++;
      json(res, 200, { calls });
    });
    expect(await requestJson(`${s.url}/`)).toEqual({ calls: 1 });
    // The server drops the idle kept-alive socket without telling the client's agent first:
    // the next call goes out on a dead socket and must be repeated on a new one.
    s.server.closeIdleConnections();
    expect(await requestJson(`${s.url}/`, { retries: 0 })).toEqual({ calls: 2 });
    expect(s.sockets()).toBe(2);
  });

  it('refuses a URL that is not http(s)', async () => {
    await expect(requestJson('ftp://127.0.0.1/x')).rejects.toMatchObject({ code: 'BAD_URL' });
  });
});
