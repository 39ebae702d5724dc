/**
 * A client for the public read API of docs/PROTOCOL.md §4.4. Everything it returns
 * is attacker-controlled and checked for form here; what it means is checked
 * by ./verify.
 */
import { base64ToBytes } from '@custodes/shared/crypto';
import { HttpError, requestJson } from '@custodes/shared/service';
import { CustodesError } from '@custodes/shared';

/** Failures that stop an audit before any conclusion (not findings). */
export type AuditErrorCode =
  | 'FETCH_FAILED' // the server could not be reached or answered an error
  | 'BAD_RESPONSE'; // the server answered something that is not the read API's shape

export class AuditError extends CustodesError<AuditErrorCode> {}

/** §4.4: at most 1000 entries a page. */
export const PAGE_SIZE = 1000;

export interface FetchOptions {
  readonly timeoutMs?: number;
  readonly retries?: number;
}

export function trimBase(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`not a URL: ${url}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`not an http(s) URL: ${url}`);
  return url.replace(/\/+$/, '');
}

async function get<T>(url: string, opts: FetchOptions, expectText: boolean): Promise<T> {
  try {
    // The read API serves public, signed data whose every byte is verified here, so plain http to a
    // remote log is allowed: TLS would add nothing the checks do not (unlike calls carrying secrets).
    return await requestJson<T>(url, { timeoutMs: opts.timeoutMs ?? 15_000, retries: opts.retries ?? 2, expectText, insecureHttp: true });
  } catch (err) {
    // requestJson reports a 200 answer that is not JSON as 502 BAD_UPSTREAM.
    if (err instanceof HttpError && err.code === 'BAD_UPSTREAM' && err.body === undefined) {
      throw new AuditError('BAD_RESPONSE', `GET ${url}: the answer is not JSON`, { cause: err });
    }
    if (err instanceof HttpError) throw new AuditError('FETCH_FAILED', `GET ${url}: ${err.status} ${err.code}: ${err.message}`, { cause: err });
    throw new AuditError('FETCH_FAILED', `GET ${url}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}

/** `GET url` as text (a checkpoint note), mapped to AuditError. */
export function getText(url: string, opts: FetchOptions = {}): Promise<string> {
  return get<string>(url, opts, true);
}

function decodeHashes(list: unknown, what: string): Uint8Array[] {
  if (!Array.isArray(list) || list.length > 64) throw new AuditError('BAD_RESPONSE', `${what}: expected an array of at most 64 hashes`);
  return list.map((h, i) => {
    try {
      if (typeof h !== 'string') throw new RangeError('not a string');
      return base64ToBytes(h);
    } catch {
      throw new AuditError('BAD_RESPONSE', `${what}[${i}] is not base64`);
    }
  });
}

/**
 * What the auditor reads a log through: the coordinator's read API (LogClient)
 * or a C2SP tlog-tiles mirror (./tiles TileClient). Answers are unverified.
 */
export interface LogSource {
  /** The base URL, for messages and the state's conflict records. */
  readonly base: string;
  /** The signed checkpoint note as served. */
  checkpoint(): Promise<string>;
  /** Leaves [start, end) of the tree of `size` leaves (end ≤ size); `onPage` sees the count fetched so far. */
  entries(start: number, end: number, size: number, onPage?: (fetched: number) => void): Promise<Uint8Array[]>;
  /** PROOF(from, D[0:to]) (RFC 9162 §2.1.4). */
  consistency(from: number, to: number): Promise<Uint8Array[]>;
}

/** A client for one log's read API. */
export class LogClient implements LogSource {
  readonly base: string;
  readonly #opts: FetchOptions;

  constructor(logUrl: string, opts: FetchOptions = {}) {
    this.base = trimBase(logUrl);
    this.#opts = opts;
  }

  /** `GET /log/v1/checkpoint`: the signed note text. */
  checkpoint(): Promise<string> {
    return get<string>(`${this.base}/log/v1/checkpoint`, this.#opts, true);
  }

  /** Leaves [start, end), in pages; `onPage` sees the count fetched so far. The API needs no tree size. */
  async entries(start: number, end: number, _size: number, onPage?: (fetched: number) => void): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    let next = start;
    while (next < end) {
      const stop = Math.min(end, next + PAGE_SIZE);
      const url = `${this.base}/log/v1/entries?start=${next}&end=${stop}`;
      const body = await get<unknown>(url, this.#opts, false);
      const page = body as { start?: unknown; entries?: unknown };
      if (typeof body !== 'object' || body === null || page.start !== next || !Array.isArray(page.entries)) {
        throw new AuditError('BAD_RESPONSE', `${url}: expected { start: ${next}, entries: [...] }`);
      }
      if (page.entries.length === 0 || page.entries.length > stop - next) {
        throw new AuditError('BAD_RESPONSE', `${url}: expected 1 to ${stop - next} entries, got ${page.entries.length}`);
      }
      page.entries.forEach((e, i) => {
        try {
          if (typeof e !== 'string') throw new RangeError('not a string');
          out.push(base64ToBytes(e));
        } catch {
          throw new AuditError('BAD_RESPONSE', `${url}: entry ${next + i} is not base64`);
        }
      });
      next += page.entries.length;
      onPage?.(next - start);
    }
    return out;
  }

  /** `GET /log/v1/proof/consistency?from=A&to=B`. */
  async consistency(from: number, to: number): Promise<Uint8Array[]> {
    const url = `${this.base}/log/v1/proof/consistency?from=${from}&to=${to}`;
    const body = await get<unknown>(url, this.#opts, false);
    const p = body as { from?: unknown; to?: unknown; proof?: unknown };
    if (typeof body !== 'object' || body === null || p.from !== from || p.to !== to) {
      throw new AuditError('BAD_RESPONSE', `${url}: expected { from: ${from}, to: ${to}, proof: [...] }`);
    }
    return decodeHashes(p.proof, `${url} proof`);
  }
}

/** `GET <custodian>/witness/v1/checkpoint` (docs/PROTOCOL.md §7.10): its last cosigned checkpoint. */
export function fetchWitnessCheckpoint(custodianUrl: string, opts: FetchOptions = {}): Promise<string> {
  return get<string>(`${trimBase(custodianUrl)}/witness/v1/checkpoint`, opts, true);
}
