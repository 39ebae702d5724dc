/**
 * Calls from the CLI to a service, with HTTP errors turned into one-line CLI errors.
 */
import { HttpError, requestJson } from '@custodes/shared/service';
import type { RequestOptions } from '@custodes/shared/service';
import { CliError } from './io';

/** A service's refusal as a one-line CLI error, keeping the answer for callers that act on it. */
export class Refused extends CliError {
  readonly http: HttpError;
  constructor(http: HttpError) {
    super(`${http.code}: ${http.message}`);
    this.http = http;
  }
}

export async function call<T>(base: string, path: string, opts: RequestOptions = {}): Promise<T> {
  let url: string;
  try {
    url = new URL(path, base.endsWith('/') ? base : base + '/').toString();
  } catch {
    throw new CliError(`not a URL: ${base}`);
  }
  try {
    // Tokens and warrants travel on these calls: plain http off loopback only when asked for (INSECURE_TRANSPORT otherwise).
    return await requestJson<T>(url, { retries: 2, timeoutMs: 30_000, insecureHttp: process.env.CUSTODES_INSECURE_HTTP === '1', ...opts });
  } catch (err) {
    if (err instanceof HttpError) throw new Refused(err);
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw new CliError(`cannot reach ${base}${cause ? ` (${cause})` : ''}: ${(err as Error).message}`);
  }
}
