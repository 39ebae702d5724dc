/**
 * Calls from the CLI to a service, with HTTP errors turned into one-line CLI errors.
 */
import { HttpError, requestJson } from '@custodes/shared/service';
import type { RequestOptions } from '@custodes/shared/service';
import { CliError } from './io';

export async function call<T>(base: string, path: string, opts: RequestOptions = {}): Promise<T> {
  let url: string;
  try {
    url = new URL(path, base.endsWith('/') ? base : base + '/').toString();
  } catch {
    throw new CliError(`not a URL: ${base}`);
  }
  try {
    return await requestJson<T>(url, { retries: 2, timeoutMs: 30_000, ...opts });
  } catch (err) {
    if (err instanceof HttpError) throw new CliError(`${err.code}: ${err.message}`);
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw new CliError(`cannot reach ${base}${cause ? ` (${cause})` : ''}: ${(err as Error).message}`);
  }
}
