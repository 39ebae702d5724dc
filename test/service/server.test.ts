/**
 * Every service listens through `listen` (shared/src/service/http.ts): a
 * client that trickles its headers (slowloris) is cut off at the headers
 * timeout, while other clients are served meanwhile.
 */
import http from 'node:http';
import type { Server } from 'node:http';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonApp, KEEP_ALIVE_TIMEOUT_MS, listen, requestJson } from '@custodes/shared/service';

const servers: Server[] = [];
const sockets: net.Socket[] = [];

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

async function healthApp(opts?: Parameters<typeof listen>[3]) {
  const app = jsonApp();
  app.get('/health', (_req, res) => void res.json({ ok: true }));
  const bound = await listen(app, 0, '127.0.0.1', opts);
  servers.push(bound.server);
  return bound;
}

describe('listen', () => {
  it('gives a request 10 s for its headers and 120 s in all, by default', async () => {
    const { server } = await healthApp();
    expect(server.headersTimeout).toBe(10_000);
    expect(server.requestTimeout).toBe(120_000);
  });

  it('keeps an idle connection 10 minutes, and says so to the client (docs/PROTOCOL.md §5.1)', async () => {
    const { server, port } = await healthApp();
    expect(server.keepAliveTimeout).toBe(KEEP_ALIVE_TIMEOUT_MS);
    expect(KEEP_ALIVE_TIMEOUT_MS).toBe(600_000);
    // The client's agent times its idle socket out by this header (a second early).
    const header = await new Promise<string | undefined>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/health', agent: false, headers: { connection: 'keep-alive' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.headers['keep-alive'] as string | undefined));
      }).on('error', reject);
    });
    expect(header).toBe('timeout=600');
  });

  it('keeps the headers timeout per request: a connection idle longer than it is reused', async () => {
    const { server, port } = await healthApp({ headersTimeoutMs: 300, keepAliveTimeoutMs: 5000 });
    let connections = 0;
    server.on('connection', () => connections++);
    const agent = new http.Agent({ keepAlive: true });
    const get = () =>
      new Promise<number>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path: '/health', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        }).on('error', reject);
      });
    try {
      expect(await get()).toBe(200);
      // Idle for well over the headers timeout (and its 300 ms check interval): the same connection serves again.
      await new Promise((r) => setTimeout(r, 1000));
      expect(await get()).toBe(200);
      expect(connections).toBe(1);
    } finally {
      agent.destroy();
    }
  });

  it('cuts off a client that trickles its headers at the headers timeout, and serves others meanwhile', async () => {
    const { port } = await healthApp({ headersTimeoutMs: 1000 });
    const slow = net.connect(port, '127.0.0.1');
    sockets.push(slow);
    await new Promise<void>((r) => slow.once('connect', () => r()));
    const started = performance.now();
    let answer = '';
    slow.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    const closed = new Promise<number>((r) => slow.once('close', () => r(performance.now() - started)));
    slow.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // One header byte every 100 ms: never a whole request.
    const drip = setInterval(() => {
      if (!slow.destroyed) slow.write('X');
    }, 100);
    try {
      // Served while the slow client holds its connection.
      expect(await requestJson(`http://127.0.0.1:${port}/health`, { timeoutMs: 2000 })).toEqual({ ok: true });
      const after = await closed;
      expect(after).toBeGreaterThanOrEqual(900);
      expect(after).toBeLessThan(5000);
      // Node answers 408 before closing, or just closes; never the route's answer.
      expect(answer).not.toContain('"ok":true');
    } finally {
      clearInterval(drip);
    }
  });
});
