/**
 * HTTP plumbing shared by the services (not protocol; the pure modules never
 * import it). Errors leave as `{ error: { code, message } }` and never as a stack
 * (STYLE.md); bodies are size-capped; everything parsed is attacker-controlled.
 */
import express from 'express';
import type { ErrorRequestHandler, Express, NextFunction, Request, RequestHandler, Response } from 'express';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { createSecureContext as tlsContext } from 'node:tls';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import { CustodesError } from '../errors';
import { formatZodError } from '../records/validate';
import { storageProblem } from './db';
import type { StorageProblem } from './db';

/** An error with an HTTP status and a stable code. */
export class HttpError extends CustodesError<string> {
  readonly status: number;
  /** The raw response body, when this error came back from another service. */
  readonly body: string | undefined;
  constructor(status: number, code: string, message: string, body?: string) {
    super(code, message);
    this.status = status;
    this.body = body;
  }
}

/** A lone UTF-16 surrogate: JSON can carry one (`"\\ud800"`), but it has no UTF-8 form, so RFC 8785 cannot encode it. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** True if some string (key or value) in `input` holds a lone surrogate; iterative, so deep input cannot overflow. */
function holdsLoneSurrogate(input: unknown): boolean {
  const stack: unknown[] = [input];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return true;
    } else if (Array.isArray(v)) stack.push(...v);
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (LONE_SURROGATE.test(k)) return true;
        stack.push(x);
      }
    }
  }
  return false;
}

/**
 * Values JSON.parse made from text with no surrogate escape (`\uD800`–`\uDFFF`).
 * Text decoded from UTF-8 never holds a lone surrogate (an invalid sequence
 * decodes to U+FFFD), so only such an escape can put one into a parsed
 * value: for these, parseBody skips its walk over every string, which cost
 * ≈ 0.03 ms per envelope of each request and partials body (BENCHMARKS.md, P1).
 */
const WELL_FORMED = new WeakSet<object>();
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** Records that `value` was parsed from the JSON `text` (jsonBody); called only with the text it came from. */
export function parsedFromText(value: unknown, text: string): void {
  if (value !== null && typeof value === 'object' && !SURROGATE_ESCAPE.test(text)) WELL_FORMED.add(value);
}

/** Parses `input` with `schema` or throws HttpError 400 BAD_REQUEST naming the path. */
export function parseBody<S extends z.ZodType>(schema: S, input: unknown, what = 'body'): z.infer<S> {
  // Signed records are hashed as JCS bytes, which a lone surrogate has none of: refuse it here, not as a 500 later.
  const known = input !== null && typeof input === 'object' && WELL_FORMED.has(input);
  if (!known && holdsLoneSurrogate(input)) throw new HttpError(400, 'BAD_REQUEST', `${what}: strings must be well-formed Unicode (a lone surrogate has no UTF-8 form)`);
  const r = schema.safeParse(input);
  if (!r.success) throw new HttpError(400, 'BAD_REQUEST', `${what}: ${formatZodError(r.error)}`);
  return r.data;
}

/**
 * An answer given before the request's body was read to its end (a refused
 * token, a body over its limit or too deep) closes the connection, so the
 * rest of that body is never read: without this Node reads and discards it
 * to keep the connection alive, as much as the sender cares to send.
 */
export function closeUnreadBody(req: Request, res: Response): void {
  if (!req.complete && !res.headersSent) res.set('Connection', 'close');
}

/**
 * Maps any thrown value to a status and `{error:{code,message}}`; never leaks a
 * stack. `onUnexpected` sees what is neither the caller's fault nor a domain
 * refusal, with its storage classification when it is a storage failure (for
 * the operator's log: a full disk needs someone to act).
 */
export function errorHandler(onUnexpected?: (err: unknown, req: Request, storage: StorageProblem | null) => void): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    closeUnreadBody(req, res);
    if (err instanceof HttpError) {
      res.status(err.status).json({ error: { code: err.code, message: err.message } });
      return;
    }
    // body-parser errors carry `type` and `status` (too large, bad JSON, bad charset).
    const e = err as { type?: string; status?: number; message?: string };
    if (e && typeof e.type === 'string' && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      const code = e.type === 'entity.too.large' ? 'BODY_TOO_LARGE' : e.type === 'entity.parse.failed' ? 'BAD_JSON' : 'BAD_REQUEST';
      res.status(e.status).json({ error: { code, message: code === 'BAD_JSON' ? 'request body is not valid JSON' : (e.message ?? code) } });
      return;
    }
    // The router's own 4xx (a path parameter that is not valid percent-encoding is a URIError with status 400).
    if (err instanceof URIError && e.status === 400) {
      res.status(400).json({ error: { code: 'BAD_PATH', message: 'path is not valid percent-encoded UTF-8' } });
      return;
    }
    if (err instanceof CustodesError) {
      res.status(400).json({ error: { code: err.code, message: err.message } });
      return;
    }
    // A full disk (or database cap), an I/O error or a busy database is the node's condition, not
    // the caller's fault or a bug: 503, so that clients and the coordinator's workflows retry.
    const storage = storageProblem(err);
    onUnexpected?.(err, req, storage);
    if (storage) {
      res.status(storage.status).set('Retry-After', '5').json({ error: { code: storage.code, message: storage.message } });
      return;
    }
    res.status(500).json({ error: { code: 'INTERNAL', message: 'internal error' } });
  };
}

/** 404 for unknown routes, in the same error shape. */
export const notFound: RequestHandler = (req, res) => {
  res.status(404).json({ error: { code: 'NOT_FOUND', message: `no route for ${req.method} ${req.path}` } });
};

/** A fixed-window per-key rate limiter (in memory; per process). */
export function rateLimit(opts: { windowMs: number; max: number; key?: (req: Request) => string }): RequestHandler {
  const hits = new Map<string, { start: number; count: number }>();
  return (req, _res, next) => {
    const key = opts.key?.(req) ?? req.ip ?? 'unknown';
    const now = Date.now();
    let h = hits.get(key);
    if (!h || now - h.start >= opts.windowMs) {
      h = { start: now, count: 0 };
      hits.set(key, h);
      if (hits.size > 10_000) for (const [k, v] of hits) if (now - v.start >= opts.windowMs) hits.delete(k);
    }
    h.count++;
    if (h.count > opts.max) return next(new HttpError(429, 'RATE_LIMITED', 'too many requests; slow down'));
    next();
  };
}

/** A JSON app with a body cap, no `x-powered-by`, strict JSON. */
export function jsonApp(opts: { bodyLimit?: string } = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(express.json({ limit: opts.bodyLimit ?? '1mb', strict: true }));
  return app;
}

/** Server timeouts; the defaults suit every service (tests shorten them). */
export interface ListenOptions {
  /**
   * A request's headers must arrive within this (default 10 000 ms; Node's own
   * default is 60 000): a client trickling header bytes (slowloris) holds a
   * connection for at most this long.
   */
  headersTimeoutMs?: number;
  /** The whole request, body included, within this (default 120 000 ms: a 64 MB partials body over a slow link). The answer may take longer (long-poll). */
  requestTimeoutMs?: number;
  /**
   * How long an idle keep-alive connection stays open (default 600 000 ms;
   * Node's own default is 5 000). Across a WAN a new connection costs one
   * round trip for TLS 1.3 and one for TCP, and warrants come minutes apart,
   * so the coordinator's connections to custodians are kept across quiet
   * periods (docs/PROTOCOL.md §5.1). The answer announces it (`Keep-Alive:
   * timeout=600`) and the client's agent closes its idle socket a second
   * earlier, so a reused socket is never one the server just closed. The
   * headers timeout is unaffected: in Node 20 it counts from a request's
   * first byte, not from when the connection went idle.
   */
  keepAliveTimeoutMs?: number;
  /** Serve https with this certificate chain and key (from loadTls) instead of plain http (docs/PROTOCOL.md §7.1, Transport). */
  tls?: TlsMaterial;
}

/** ListenOptions.keepAliveTimeoutMs by default: 10 minutes. */
export const KEEP_ALIVE_TIMEOUT_MS = 600_000;

/** A loaded certificate chain and private key (PEM bytes). */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

/** A server certificate (chain) and its private key, as PEM files (docs/DEPLOY.md, TLS). */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/**
 * Reads and checks a TLS certificate and key before anything listens, so a
 * wrong path or a key that does not match its certificate is one clear
 * error at start, not a failed handshake later. The key's bytes never reach
 * an error message.
 */
export function loadTls(files: TlsFiles): TlsMaterial {
  if (typeof files?.certFile !== 'string' || files.certFile === '') throw new TypeError('tls.certFile must be a non-empty path');
  if (typeof files.keyFile !== 'string' || files.keyFile === '') throw new TypeError('tls.keyFile must be a non-empty path');
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new CustodesError('BAD_TLS', `cannot read the TLS ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
  };
  const cert = read(files.certFile, 'certificate');
  const key = read(files.keyFile, 'key');
  try {
    // createSecureContext parses both and checks that the key matches the certificate.
    tlsContext({ cert, key });
  } catch (err) {
    throw new CustodesError('BAD_TLS', `the TLS certificate ${files.certFile} and key ${files.keyFile} do not load together: ${(err as { code?: string }).code ?? 'invalid PEM'}`);
  }
  return { cert, key };
}

/**
 * Listens on host:port (port 0 allowed) and resolves with the bound port;
 * https when `opts.tls` is given (one implementation for every service).
 */
export function listen(app: Express, port: number, host: string, opts: ListenOptions = {}): Promise<{ server: Server; port: number }> {
  const headersTimeout = opts.headersTimeoutMs ?? 10_000;
  const timeouts = {
    headersTimeout,
    requestTimeout: Math.max(headersTimeout, opts.requestTimeoutMs ?? 120_000),
    // How often those timeouts are checked (Node's default, 30 s, would let a slow client stay 3× longer).
    connectionsCheckingInterval: Math.min(1000, headersTimeout),
  };
  const tls = opts.tls;
  return new Promise((resolve, reject) => {
    // An https.Server is a tls.Server, not an http.Server, but has the same request API and close methods.
    const server = (tls ? createTlsServer({ ...timeouts, ...tls, minVersion: 'TLSv1.2' }, app) : createServer(timeouts, app)) as Server;
    server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? KEEP_ALIVE_TIMEOUT_MS;
    server.listen(port, host);
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve({ server, port: (server.address() as AddressInfo).port });
    });
  });
}

/** Closes a server, dropping idle keep-alive sockets so close() cannot hang. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 2000).unref();
  });
}

/** Extracts a bearer token, or undefined. */
export function bearerToken(req: Request): string | undefined {
  const h = req.get('authorization');
  const m = h ? /^Bearer ([A-Za-z0-9_\-.~+/=]{16,256})$/.exec(h) : null;
  return m?.[1];
}
