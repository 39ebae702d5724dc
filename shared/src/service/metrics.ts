/**
 * Prometheus metrics for a service (docs/PROTOCOL.md §9.5, Health and
 * metrics), with prom-client: one Registry per service instance, never the
 * library's global one, since tests run several services in one process
 * (STYLE.md: no module-level singletons).
 *
 * Labels are bounded and carry nothing secret: HTTP routes are the templates
 * express matched (`/v1/operator/warrants/:id`), never the raw path; a request
 * no route matched is `unmatched` (404s, static pages).
 */
import express from 'express';
import type { Request, RequestHandler } from 'express';
import type { Server } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StorageMonitor } from './storageHealth';
import { errorHandler, listen } from './http';

// ## Registry

/** The label of requests that no route matched. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * A fresh registry for one service instance: process metrics (memory, CPU,
 * event-loop lag) and `service` as a label on every series.
 */
export function createMetricsRegistry(service: string): Registry {
  if (typeof service !== 'string' || !/^[a-z][a-z0-9-]*$/.test(service)) throw new TypeError('service must be a lower-case name');
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

// ## HTTP requests

/** The route template express matched for `req`, or UNMATCHED_ROUTE. */
export function routeOf(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof path !== 'string') return UNMATCHED_ROUTE;
  return `${req.baseUrl}${path}` || '/';
}

/**
 * Middleware (mount first) timing every request until its response is
 * finished: `custodes_http_request_duration_seconds{method,route,status}`, whose
 * `_count` is the number of requests.
 */
export function requestMetrics(registry: Registry): RequestHandler {
  const duration = new Histogram({
    name: 'custodes_http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status: latency in seconds (_count: requests)',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  return (req, res, next) => {
    const stop = duration.startTimer();
    res.once('finish', () => stop({ method: req.method, route: routeOf(req), status: String(res.statusCode) }));
    next();
  };
}

// ## Storage

/** `custodes_storage_state{state}` (1 for the current state) and `custodes_storage_failures_total{code}`, read at scrape. */
export function storageMetrics(registry: Registry, monitor: StorageMonitor): void {
  new Gauge({
    name: 'custodes_storage_state',
    help: 'Storage state as /health reports it: 1 for the current one of ok, full, error',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const { state } = monitor.snapshot();
      for (const s of ['ok', 'full', 'error'] as const) this.set({ state: s }, s === state ? 1 : 0);
    },
  });
  new Counter({
    name: 'custodes_storage_failures_total',
    help: 'Writes refused by storage since start, by code (STORAGE_FULL, STORAGE_ERROR, STORAGE_BUSY)',
    labelNames: ['code'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [code, n] of monitor.failures()) this.inc({ code }, n);
    },
  });
}

// ## Serving

export interface MetricsServerOptions {
  port: number;
  /** Loopback by default: metrics are for the operator's scraper, not the public. */
  host?: string;
}

/** An app serving only `GET /metrics` (Prometheus text format) from `registry`. */
export function metricsApp(registry: Registry): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', async (_req, res) => {
    const text = await registry.metrics();
    res.set('Content-Type', registry.contentType).send(text);
  });
  app.use((_req, res) => void res.status(404).json({ error: { code: 'NOT_FOUND', message: 'only GET /metrics is served here' } }));
  app.use(errorHandler());
  return app;
}

/** Listens with `metricsApp(registry)` on its own port; resolves with the server and its `http://host:port`. */
export async function serveMetrics(registry: Registry, opts: MetricsServerOptions): Promise<{ server: Server; url: string }> {
  if (!Number.isSafeInteger(opts.port) || opts.port < 0 || opts.port > 65_535) throw new RangeError('metrics port must be an integer in [0, 65535]');
  const host = opts.host ?? '127.0.0.1';
  const { server, port } = await listen(metricsApp(registry), opts.port, host);
  return { server, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}` };
}
