/**
 * The WAN delay proxy (scripts/src/hosts/delayProxy.ts) on loopback: each
 * direction delayed, bytes in order, half-close carried, partitions cut and
 * healed, bad options refused.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createDelayProxy } from '../../scripts/src/hosts/delayProxy';
import type { DelayProxy } from '../../scripts/src/hosts/delayProxy';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** An echo server that answers each chunk at once; resolves its port. */
async function echoServer(): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('data', (d) => s.write(d));
    s.on('end', () => s.end('<eof>'));
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))));
  return (server.address() as AddressInfo).port;
}

async function proxyTo(port: number, oneWayMs: number): Promise<{ proxy: DelayProxy; port: number }> {
  const proxy = createDelayProxy({ listenHost: '127.0.0.1', listenPort: 0, targetHost: '127.0.0.1', targetPort: port, oneWayMs });
  const started = await proxy.start();
  closers.push(() => proxy.close());
  return { proxy, port: started.port };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => resolve(s));
    s.once('error', reject);
    closers.push(async () => void s.destroy());
  });
}

/** Reads until `n` bytes arrived or the stream ended. */
function read(s: net.Socket, n: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const done = () => {
      s.off('data', on);
      resolve(text);
    };
    const on = (d: Buffer) => {
      text += d.toString('utf8');
      if (text.length >= n) done();
    };
    s.on('data', on);
    s.once('end', done);
  });
}

describe('delay proxy', () => {
  it('delays each direction by oneWayMs: an exchange takes two of them', async () => {
    const { port } = await proxyTo(await echoServer(), 60);
    const s = await connect(port);
    const t = performance.now();
    s.write('ping');
    expect(await read(s, 4)).toBe('ping');
    const ms = performance.now() - t;
    expect(ms).toBeGreaterThanOrEqual(115);
    expect(ms).toBeLessThan(2000);
  });

  it('keeps byte order in each direction and carries the half-close after the data', async () => {
    const { port } = await proxyTo(await echoServer(), 20);
    const s = await connect(port);
    const chunks = Array.from({ length: 200 }, (_, k) => `${k};`);
    const expected = chunks.join('') + '<eof>';
    const got = read(s, expected.length);
    for (const c of chunks) s.write(c);
    s.end();
    expect(await got).toBe(expected);
  });

  it('applies a new delay to bytes read from then on, never letting them overtake earlier ones', async () => {
    const { proxy, port } = await proxyTo(await echoServer(), 200);
    const s = await connect(port);
    const got = read(s, 6);
    s.write('abc');
    await new Promise((r) => setTimeout(r, 20));
    proxy.setDelay(0);
    s.write('def');
    expect(await got).toBe('abcdef');
    const t = performance.now();
    s.write('x');
    expect(await read(s, 1)).toBe('x');
    expect(performance.now() - t).toBeLessThan(150);
  });

  it('cuts a link (existing connections reset, new ones refused) and heals it', async () => {
    const { proxy, port } = await proxyTo(await echoServer(), 0);
    const s = await connect(port);
    const closed = new Promise((r) => s.once('close', r));
    s.on('error', () => undefined);
    proxy.cut();
    await closed;
    const refused = await new Promise<string>((resolve) => {
      const c = net.connect({ host: '127.0.0.1', port });
      c.on('data', () => resolve('data'));
      c.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      c.on('close', () => resolve('closed'));
      c.on('connect', () => c.write('hello'));
    });
    expect(['ECONNRESET', 'closed', 'EPIPE']).toContain(refused);
    expect(proxy.stats()).toMatchObject({ refused: 1, cut: 'all' });
    proxy.heal();
    const again = await connect(port);
    const echoed = read(again, 2);
    again.write('ok');
    expect(await echoed).toBe('ok');
    expect(proxy.stats().cut).toEqual([]);
  });

  it('cuts one peer only, by its address', async () => {
    const { proxy, port } = await proxyTo(await echoServer(), 0);
    proxy.cut('10.77.0.11'); // not this client
    const s = await connect(port);
    const echoed = read(s, 2);
    s.write('ok');
    expect(await echoed).toBe('ok');
    expect(proxy.stats()).toMatchObject({ refused: 0, cut: ['10.77.0.11'], connections: 1 });
    proxy.cut('127.0.0.1');
    expect(proxy.stats().open).toBe(0);
  });

  it('refuses bad options with the argument named', () => {
    const base = { listenHost: '127.0.0.1', listenPort: 0, targetHost: '127.0.0.1', targetPort: 1, oneWayMs: 50 };
    expect(() => createDelayProxy({ ...base, oneWayMs: -1 })).toThrow(new RangeError('oneWayMs must be in [0, 10000], got -1'));
    expect(() => createDelayProxy({ ...base, oneWayMs: Number.NaN })).toThrow(TypeError);
    expect(() => createDelayProxy({ ...base, targetPort: 0 })).toThrow(/targetPort/);
    expect(() => createDelayProxy({ ...base, listenPort: 70_000 })).toThrow(/listenPort/);
    expect(() => createDelayProxy({ ...base, targetHost: '' })).toThrow(/targetHost/);
    expect(() => createDelayProxy(null as never)).toThrow(TypeError);
    const p = createDelayProxy(base);
    expect(() => p.cut('not-an-ip')).toThrow(/peer must be an IP address/);
    expect(() => p.setDelay(10_001)).toThrow(RangeError);
  });
});
