/**
 * The JSON client between services (shared/src/service/client.ts) over https:
 * certificate checks, keep-alive reuse over TLS, the error shape, the
 * deadline, the answer cap and the stale kept-alive socket race, against real
 * https servers on 127.0.0.1 with self-signed certificates made at test time.
 *
 * Trust is what a deployment behind a private CA would use: NODE_EXTRA_CA_CERTS
 * (docs/PROTOCOL.md §7.1). Node reads it once at process start, so the calls that
 * must trust the test CA run in a child process (fixtures/calls.ts); the
 * process running vitest trusts none of these certificates.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpError, MAX_RESPONSE_BYTES, requestJson, type RequestOptions } from '@custodes/shared/service';
import type { Outcome } from './fixtures/calls';
import { answerOverCap } from './fixtures/oversized';

const run = promisify(execFile);
const FIXTURE = join(import.meta.dirname, 'fixtures/calls.ts');
const dir = mkdtempSync(join(tmpdir(), 'custodes-https-'));

interface Pair {
  key: Buffer;
  cert: Buffer;
}

/** A throw-away self-signed P-256 certificate for `san`, valid one day; the key never leaves `dir`. */
function selfSigned(name: string, san: string): Pair {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost', '-addext', `subjectAltName=${san}`, '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

let good: Pair; // names 127.0.0.1; trusted by the child
let misnamed: Pair; // trusted by the child, but names another host
let stranger: Pair; // names 127.0.0.1; trusted by nobody
let trustFile: string;

beforeAll(() => {
  good = selfSigned('good', 'IP:127.0.0.1,DNS:localhost');
  misnamed = selfSigned('misnamed', 'DNS:elsewhere.invalid');
  stranger = selfSigned('stranger', 'IP:127.0.0.1,DNS:localhost');
  trustFile = join(dir, 'extra-ca.pem');
  writeFileSync(trustFile, Buffer.concat([good.cert, misnamed.cert]));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;

interface Served {
  url: string;
  server: https.Server;
  /** TLS handshakes completed (one per connection the client opened and trusted). */
  handshakes: () => number;
  /** Requests that reached the handler. */
  handled: () => number;
  /** TCP connections accepted, trusted or not. */
  connections: () => number;
}

const servers: (https.Server | net.Server)[] = [];
const rawSockets: net.Socket[] = [];

afterEach(async () => {
  for (const c of rawSockets.splice(0)) c.destroy();
  for (const s of servers.splice(0)) {
    if (s instanceof https.Server) s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(pair: Pair, handler: Handler): Promise<Served> {
  let handshakes = 0;
  let handled = 0;
  let connections = 0;
  const server = https.createServer({ key: pair.key, cert: pair.cert }, (req, res) => {
    handled++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  server.on('connection', () => connections++);
  server.on('secureConnection', () => handshakes++);
  server.on('tlsClientError', () => undefined); // a refused certificate ends the handshake: expected here
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, server, handshakes: () => handshakes, handled: () => handled, connections: () => connections };
}

const json = (res: http.ServerResponse, status: number, value: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
};

/** Runs `calls` through requestJson in one child process that trusts `good` and `misnamed`. */
async function callsTrusting(calls: { url: string; opts?: RequestOptions }[]): Promise<Outcome[]> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', FIXTURE, JSON.stringify(calls)], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: trustFile },
    timeout: 60_000,
    maxBuffer: 1024 * 1024,
  });
  const out = stdout.trim().split('\n').map((l) => JSON.parse(l) as Outcome);
  expect(out).toHaveLength(calls.length);
  return out;
}

describe('requestJson over https, trusting the server', () => {
  it('sends JSON GET and POST over one kept-alive TLS connection', async () => {
    const seen: { method?: string; type?: string; body: string }[] = [];
    const s = await serve(good, (req, body, res) => {
      seen.push({ method: req.method, type: req.headers['content-type'], body });
      json(res, 200, { echo: body ? JSON.parse(body) : null, tls: req.socket instanceof tls.TLSSocket });
    });
    const out = await callsTrusting([{ url: `${s.url}/x` }, { url: `${s.url}/x`, opts: { body: { k: 1, text: 'é' } } }]);
    expect(out.map((o) => (o.ok ? o.value : o))).toEqual([
      { echo: null, tls: true },
      { echo: { k: 1, text: 'é' }, tls: true },
    ]);
    expect(seen).toEqual([
      { method: 'GET', type: undefined, body: '' },
      { method: 'POST', type: 'application/json', body: '{"k":1,"text":"é"}' },
    ]);
    expect(s.handshakes()).toBe(1);
  });

  it('maps {error:{code,message}} to HttpError with its status and code, as over http', async () => {
    const s = await serve(good, (_req, _body, res) => json(res, 409, { error: { code: 'OLD_SIZE_MISMATCH', message: 'behind' } }));
    const [out] = await callsTrusting([{ url: `${s.url}/coded`, opts: { body: {} } }]);
    expect(out).toMatchObject({ ok: false, httpError: true, name: 'HttpError', status: 409, code: 'OLD_SIZE_MISMATCH', message: 'behind' });
  });

  it('refuses a trusted certificate that does not name the host called, before the handler runs', async () => {
    const s = await serve(misnamed, (_req, _body, res) => json(res, 200, { ok: true }));
    const [out] = await callsTrusting([{ url: `${s.url}/`, opts: { timeoutMs: 10_000 } }]);
    expect(out).toMatchObject({ ok: false, httpError: false, code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(s.handled()).toBe(0);
  });

  it('still refuses a certificate outside the trust store when an extra CA is configured', async () => {
    const s = await serve(stranger, (_req, _body, res) => json(res, 200, { ok: true }));
    const [out] = await callsTrusting([{ url: `${s.url}/`, opts: { timeoutMs: 10_000 } }]);
    expect(out).toMatchObject({ ok: false, httpError: false, code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(s.handled()).toBe(0);
  });

  it('gives up at the deadline when the server never answers', async () => {
    const s = await serve(good, () => undefined); // handshake done, request read, no answer
    const [out] = await callsTrusting([{ url: `${s.url}/`, opts: { timeoutMs: 300 } }]);
    expect(out).toMatchObject({ ok: false, name: 'TimeoutError', message: expect.stringContaining('timed out after 300 ms') });
    expect(out!.ms).toBeGreaterThanOrEqual(250);
    expect(out!.ms).toBeLessThan(5_000);
    expect(s.handled()).toBe(1);
  });

  it(`refuses an answer over ${MAX_RESPONSE_BYTES} bytes`, async () => {
    const s = await serve(good, (_req, _body, res) => answerOverCap(res));
    const [out] = await callsTrusting([{ url: `${s.url}/`, opts: { timeoutMs: 30_000 } }]);
    expect(out).toMatchObject({ ok: false, httpError: true, status: 502, code: 'BAD_UPSTREAM', message: expect.stringContaining('more than') });
  });

  it('repeats once, at once, a call whose kept-alive TLS socket the server dropped', async () => {
    // The server drops a kept-alive connection as the next request arrives on it, without
    // answering: what the client sees when the server closed it just as the agent reused it.
    const used = new WeakSet<object>();
    let answered = 0;
    const s = await serve(good, (req, _body, res) => {
      if (used.has(req.socket)) return void req.socket.destroy();
      used.add(req.socket);
      json(res, 200, { answered: ++answered });
    });
    const out = await callsTrusting([{ url: `${s.url}/` }, { url: `${s.url}/`, opts: { retries: 0 } }]);
    expect(out.map((o) => (o.ok ? o.value : o))).toEqual([{ answered: 1 }, { answered: 2 }]);
    expect(s.handshakes()).toBe(2);
    expect(s.handled()).toBe(3);
  });
});

describe('requestJson over https, in a process that does not trust the server', () => {
  it('refuses the certificate with a clear error, and the handler never runs', async () => {
    const s = await serve(good, (_req, _body, res) => json(res, 200, { ok: true }));
    const t = performance.now();
    const err = await requestJson(`${s.url}/`, { body: { secret: 'never sent' }, retries: 1, timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self-signed certificate' });
    expect(performance.now() - t).toBeLessThan(5_000);
    expect(s.handshakes()).toBe(0);
    expect(s.handled()).toBe(0);
    // A certificate that fails verification fails the same way every time: not retried.
    expect(s.connections()).toBe(1);
  });

  it('gives up at the deadline when the TLS handshake never completes', async () => {
    // Accepts TCP and says nothing: the client's ClientHello is never answered.
    let accepted = 0;
    const silent = net.createServer((c) => {
      accepted++;
      rawSockets.push(c);
    });
    servers.push(silent);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const t = performance.now();
    const err = await requestJson(`https://127.0.0.1:${(silent.address() as AddressInfo).port}/`, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TimeoutError', message: expect.stringContaining('timed out after 300 ms') });
    expect(performance.now() - t).toBeLessThan(5_000);
    expect(accepted).toBe(1);
  });
});
