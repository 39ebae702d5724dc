/**
 * A small JSON-over-HTTP client for calls between services: timeouts, bounded
 * retries with backoff for transient failures, and the `{error:{code,message}}`
 * shape mapped back to HttpError.
 */
import { HttpError } from './http';

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
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function transient(err: unknown): boolean {
  if (err instanceof HttpError) return err.status === 429 || err.status >= 500;
  return true; // network error or timeout
}

async function once<T>(url: string, opts: RequestOptions): Promise<T> {
  const extra = typeof opts.headers === 'function' ? opts.headers() : opts.headers;
  const headers: Record<string, string> = { ...extra };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.text !== undefined) {
    headers['content-type'] = 'text/plain; charset=utf-8';
    body = opts.text;
  } else if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  const res = await fetch(url, {
    method: opts.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body,
    signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
  });
  const text = await res.text();
  if (!res.ok) {
    let code = `HTTP_${res.status}`;
    let message = text.slice(0, 300);
    try {
      const j = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
      if (typeof j.error?.code === 'string') code = j.error.code;
      if (typeof j.error?.message === 'string') message = j.error.message;
    } catch {
      // not JSON: keep the text
    }
    throw new HttpError(res.status, code, message, text);
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
