/**
 * A small JSON-over-HTTP client for calls between services: timeouts, bounded
 * retries with backoff for transient failures, and the `{error:{code,message}}`
 * shape mapped back to HttpError.
 */
import http from 'node:http';
import https from 'node:https';
import { HttpError } from './http';
import { checkTransport } from './transport';

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body?: unknown;
  /** Raw text body (sent as text/plain) instead of JSON. */
  text?: string;
  token?: string;
  /** Extra request headers; a function is called again for every attempt (e.g. a freshly signed call). */
  headers?: Record<string, string> | (() => Record<string, string>);
  timeoutMs?: number;
  /** Extra attempts for network errors, 429 and 5xx (default 0). */
  retries?: number;
  /** Expect a text/plain answer instead of JSON. */
  expectText?: boolean;
  /**
   * Allow plain `http:` to a host other than loopback (default false: such a
   * call is refused 400 INSECURE_TRANSPORT before any connection; transport.ts).
   */
  insecureHttp?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Node's codes for a server certificate that fails verification, and for TLS
 * spoken to a server that does not speak it: asking again gets the same
 * answer, so these are not retried (a misconfiguration, or someone else).
 */
const TLS_REFUSALS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

function transient(err: unknown): boolean {
  if (err instanceof HttpError) return err.status === 429 || err.status >= 500;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TLS_REFUSALS.has(code)) return false;
  return true; // network error or timeout
}

/**
 * One keep-alive agent per scheme for the whole process. `fetch` (undici) cost
 * about three times the CPU of node:http per call here (≈ 1.1 against 0.4 ms
 * for `GET /health` on loopback), and a round trip makes ~25 calls between
 * services (BENCHMARKS.md, P3). Idle sockets are unref'd by the agent and
 * closed a second before the server's announced keep-alive timeout (10 min for
 * our services, http.ts KEEP_ALIVE_TIMEOUT_MS), so a connection survives the
 * quiet periods between warrants (docs/PROTOCOL.md §5.1); TCP keep-alive
 * probes after 30 s idle keep NAT and firewall state for it meanwhile.
 */
const AGENT = { keepAlive: true, keepAliveMsecs: 30_000 };
const agents = { 'http:': new http.Agent(AGENT), 'https:': new https.Agent(AGENT) };

/** Answers beyond this are refused, not buffered: another service is not trusted with our memory. */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

interface RawResponse {
  status: number;
  text: string;
}

function send(url: URL, method: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number): Promise<RawResponse> {
  const lib = url.protocol === 'https:' ? https : http;
  const agent = url.protocol === 'https:' ? agents['https:'] : agents['http:'];
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          req.destroy(new HttpError(502, 'BAD_UPSTREAM', `${url.origin} answered more than ${MAX_RESPONSE_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    // One deadline for the whole exchange, as AbortSignal.timeout gave fetch.
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`${method} ${url.origin}${url.pathname} timed out after ${timeoutMs} ms`), { name: 'TimeoutError' })), timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(Object.assign(err, { reusedSocket: req.reusedSocket }));
    });
    req.end(body);
  });
}

/**
 * A kept-alive socket the server closed just as it was reused fails before the
 * server read anything (Node's documented race); that attempt is repeated once
 * at once and does not count against `retries`.
 */
function staleSocket(err: unknown): boolean {
  const e = err as { reusedSocket?: boolean; code?: string };
  return e.reusedSocket === true && (e.code === 'ECONNRESET' || e.code === 'EPIPE');
}

async function once<T>(url: string, opts: RequestOptions): Promise<T> {
  const extra = typeof opts.headers === 'function' ? opts.headers() : opts.headers;
  const headers: Record<string, string> = { accept: 'application/json, text/plain', ...extra };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.text !== undefined) {
    headers['content-type'] = 'text/plain; charset=utf-8';
    body = opts.text;
  } else if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const target = new URL(url);
  checkTransport(target, opts.insecureHttp ?? false); // before any connection
  const method = opts.method ?? (body === undefined ? 'GET' : 'POST');
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let res: RawResponse;
  try {
    res = await send(target, method, headers, body, timeoutMs);
  } catch (err) {
    if (!staleSocket(err)) throw err;
    res = await send(target, method, headers, body, timeoutMs);
  }
  const { status, text } = res;
  if (status < 200 || status > 299) {
    let code = `HTTP_${status}`;
    let message = text.slice(0, 300);
    try {
      const j = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
      if (typeof j.error?.code === 'string') code = j.error.code;
      if (typeof j.error?.message === 'string') message = j.error.message;
    } catch {
      // not JSON: keep the text
    }
    throw new HttpError(status, code, message, text);
  }
  if (opts.expectText) return text as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new HttpError(502, 'BAD_UPSTREAM', `${url} did not answer JSON`);
  }
}

/** Calls `url`; retries transient failures `retries` times with exponential backoff. */
export async function requestJson<T>(url: string, opts: RequestOptions = {}): Promise<T> {
  const retries = opts.retries ?? 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await once<T>(url, opts);
    } catch (err) {
      if (attempt >= retries || !transient(err)) throw err;
      await sleep(Math.min(2000, 100 * 2 ** attempt));
    }
  }
}
