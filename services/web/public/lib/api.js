// @ts-check
/**
 * Same-origin JSON calls. Errors follow docs/PROTOCOL.md §7.1:
 * `{ "error": { "code", "message" } }` with a 4xx/5xx status.
 */

class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/**
 * @param {Response} res
 * @returns {Promise<ApiError>}
 */
async function errorOf(res) {
  let code = `HTTP_${res.status}`;
  let message = res.statusText || 'request failed';
  try {
    const body = await res.json();
    if (body && typeof body.error === 'object' && body.error !== null) {
      if (typeof body.error.code === 'string') code = body.error.code;
      if (typeof body.error.message === 'string') message = body.error.message;
    }
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(res.status, code, message);
}

/**
 * @param {string} url
 * @param {{ method?: string, token?: string | null, body?: unknown }} [options]
 * @returns {Promise<any>} the parsed JSON body (attacker-controlled: callers check its shape)
 */
async function requestJson(url, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  /** @type {RequestInit} */
  const init = { method: options.method ?? 'GET', headers, credentials: 'omit', cache: 'no-store', redirect: 'error' };
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  const res = await fetch(url, init);
  if (!res.ok) throw await errorOf(res);
  return res.json();
}

/** @param {string} url @returns {Promise<string>} */
async function requestText(url) {
  const res = await fetch(url, { credentials: 'omit', cache: 'no-store', redirect: 'error' });
  if (!res.ok) throw await errorOf(res);
  return res.text();
}

/** A message for any error a call may throw. @param {unknown} err */
function describeError(err) {
  if (err instanceof ApiError) return `${err.message} (${err.code})`;
  if (err instanceof Error) return err.message;
  return String(err);
}

export { ApiError, describeError, requestJson, requestText };
