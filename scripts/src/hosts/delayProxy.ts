/**
 * A TCP proxy that adds a fixed one-way delay in each direction, so that a
 * service on one machine can be measured as if it sat across a WAN: the
 * kernel here has no netem, so the latency is added in user space.
 *
 * Each chunk read from one side is written to the other `oneWayMs` later, in
 * the order read (a FIFO per direction: the delay is constant, so order is
 * kept). A half-close (FIN) travels the same way, after the data before it.
 * The proxy sees only TCP bytes: TLS passes through it end to end, so the
 * certificate the client checks is the service's own.
 *
 * What it does not model: the TCP handshake itself is answered at once (a
 * real WAN adds one round trip per new connection), bandwidth, loss and
 * jitter. A connection's first exchange over TLS 1.3 costs one extra round
 * trip here (the TLS handshake), kept-alive ones none (docs/PROTOCOL.md §5.1,
 * Round trips per phase).
 *
 * `setDelay(ms)` changes the delay of bytes read from then on (the wan bench
 * runs the same trip at 0 and at the RTT, so that processing time cancels out).
 * `cut(peer?)` makes a partition: new connections (from `peer`, or from
 * anyone) are reset as they arrive and the existing ones are destroyed;
 * `heal()` ends it.
 */
import net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

export interface DelayProxyOptions {
  /** Address to listen on. */
  listenHost: string;
  /** Port to listen on; 0 picks one. */
  listenPort: number;
  targetHost: string;
  targetPort: number;
  /** Delay added to each direction, ms (0 ≤ oneWayMs ≤ 10 000). */
  oneWayMs: number;
}

export interface ProxyStats {
  /** Connections accepted and forwarded. */
  connections: number;
  /** Connections reset because of a cut. */
  refused: number;
  /** Bytes client → target and target → client. */
  bytesIn: number;
  bytesOut: number;
  /** Connections open now. */
  open: number;
  /** What is cut: 'all', a list of peer addresses, or nothing. */
  cut: 'all' | string[];
}

export interface DelayProxy {
  start(): Promise<{ port: number }>;
  /** The delay of each direction from now on, ms (as `oneWayMs`). */
  setDelay(oneWayMs: number): void;
  /** Cuts the link to `peer` (a remote IP address) or, without one, to everyone. */
  cut(peer?: string): void;
  /** Ends every cut. */
  heal(): void;
  stats(): ProxyStats;
  close(): Promise<void>;
}

/** Buffered bytes per direction above which the reading side is paused (back-pressure). */
const HIGH_WATER = 4 * 1024 * 1024;

function checkOptions(o: DelayProxyOptions): void {
  if (typeof o !== 'object' || o === null) throw new TypeError('options must be an object');
  for (const k of ['listenHost', 'targetHost'] as const) if (typeof o[k] !== 'string' || o[k] === '') throw new TypeError(`${k} must be a non-empty string`);
  for (const k of ['listenPort', 'targetPort'] as const) {
    if (!Number.isInteger(o[k])) throw new TypeError(`${k} must be an integer`);
    if (o[k] < 0 || o[k] > 65_535) throw new RangeError(`${k} must be in [0, 65535], got ${o[k]}`);
  }
  if (o.targetPort === 0) throw new RangeError('targetPort must not be 0');
  checkDelay(o.oneWayMs);
}

function checkDelay(ms: number): void {
  if (typeof ms !== 'number' || Number.isNaN(ms)) throw new TypeError('oneWayMs must be a number');
  if (ms < 0 || ms > 10_000) throw new RangeError(`oneWayMs must be in [0, 10000], got ${ms}`);
}

/**
 * Copies `from` to `to`, each chunk `delayMs()` after it was read, in order
 * (a lowered delay never lets a chunk overtake one read before it).
 * `count` sees the bytes as they are read.
 */
function delayedPipe(from: Socket, to: Socket, delayMs: () => number, count: (n: number) => void): void {
  const due = () => Math.max(performance.now() + delayMs(), queue.length ? queue[queue.length - 1]!.at : 0);
  const queue: { at: number; chunk: Buffer | null }[] = []; // null: the end of the stream
  let queued = 0;
  let timer: NodeJS.Timeout | null = null;
  const arm = () => {
    if (timer || queue.length === 0) return;
    timer = setTimeout(flush, Math.max(0, queue[0]!.at - performance.now()));
  };
  const flush = () => {
    timer = null;
    const now = performance.now();
    while (queue.length && queue[0]!.at <= now) {
      const { chunk } = queue.shift()!;
      if (to.destroyed) return;
      if (chunk === null) to.end();
      else {
        queued -= chunk.length;
        to.write(chunk);
      }
    }
    if (queued < HIGH_WATER && from.isPaused() && !from.destroyed) from.resume();
    arm();
  };
  from.on('data', (chunk: Buffer) => {
    count(chunk.length);
    queue.push({ at: due(), chunk });
    queued += chunk.length;
    if (queued >= HIGH_WATER) from.pause();
    arm();
  });
  let ended = false;
  const endLater = () => {
    if (ended) return;
    ended = true;
    queue.push({ at: due(), chunk: null });
    arm();
  };
  from.on('end', endLater);
  // Closed without a FIN of its own: the other side still gets everything queued, then the FIN, in order
  // (a timer of its own could fire before the flush and drop the queued bytes).
  from.on('close', endLater);
}

export function createDelayProxy(options: DelayProxyOptions): DelayProxy {
  checkOptions(options);
  const o = { ...options };
  const sockets = new Set<{ client: Socket; upstream: Socket; peer: string }>();
  let cutAll = false;
  const cutPeers = new Set<string>();
  const s: Omit<ProxyStats, 'open' | 'cut'> = { connections: 0, refused: 0, bytesIn: 0, bytesOut: 0 };
  const isCut = (peer: string) => cutAll || cutPeers.has(peer);

  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    const peer = (client.remoteAddress ?? '').replace(/^::ffff:/, '');
    if (isCut(peer)) {
      s.refused++;
      client.resetAndDestroy();
      return;
    }
    s.connections++;
    const upstream = net.connect({ host: o.targetHost, port: o.targetPort, allowHalfOpen: true, noDelay: true });
    const pair = { client, upstream, peer };
    sockets.add(pair);
    const end = () => {
      sockets.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', () => sockets.delete(pair));
    delayedPipe(client, upstream, () => o.oneWayMs, (n) => (s.bytesIn += n));
    delayedPipe(upstream, client, () => o.oneWayMs, (n) => (s.bytesOut += n));
  });

  return {
    start: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(o.listenPort, o.listenHost, () => {
          server.off('error', reject);
          resolve({ port: (server.address() as AddressInfo).port });
        });
      }),
    setDelay(ms) {
      checkDelay(ms);
      o.oneWayMs = ms;
    },
    cut(peer) {
      if (peer !== undefined && (typeof peer !== 'string' || net.isIP(peer) === 0)) throw new TypeError(`peer must be an IP address, got ${String(peer)}`);
      if (peer === undefined) cutAll = true;
      else cutPeers.add(peer);
      for (const p of [...sockets]) {
        if (!isCut(p.peer)) continue;
        sockets.delete(p);
        p.client.resetAndDestroy();
        p.upstream.destroy();
      }
    },
    heal() {
      cutAll = false;
      cutPeers.clear();
    },
    stats: () => ({ ...s, open: sockets.size, cut: cutAll ? 'all' : [...cutPeers] }),
    close: () =>
      new Promise((resolve) => {
        for (const p of sockets) {
          p.client.destroy();
          p.upstream.destroy();
        }
        sockets.clear();
        server.close(() => resolve());
      }),
  };
}
