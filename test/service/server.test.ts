/**
 * Every service listens through `listen` (shared/src/service/http.ts): a
 * client that trickles its headers (slowloris) is cut off at the headers
 * timeout, while other clients are served meanwhile.
 */
import type { Server } from 'node:http';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonApp, listen, requestJson } from '@custodes/shared/service';

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
