/**
 * JSON request bodies, read per route after its caller is authenticated
 * (docs/PROTOCOL.md §8.9). Everything here is attacker-controlled.
 *
 * Threat: a body is work the node does for whoever sends it. JSON.parse of
 * 6 MB of `[[[[…` blocks the event loop for seconds (witnessing, cosigning and
 * releases stall with it), and a parser mounted for the whole app did that
 * before any token or signature was looked at. So each route reads its body
 * only after its cheap checks (bearer token, `Custodes-Call`, sealed gate),
 * with the limit of its largest legitimate request, and refuses:
 *   - a declared length over the limit before reading a byte, and a streamed
 *     one as soon as it passes it: 413 BODY_TOO_LARGE;
 *   - nesting deeper than the route's schema needs, found by a byte scan as
 *     the chunks arrive, before JSON.parse is ever called: 400 TOO_DEEP;
 *   - a content encoding (gzip…) or a charset other than UTF-8: 415
 *     UNSUPPORTED_MEDIA_TYPE; then anything JSON.parse refuses, or a top-level
 *     value that is not an object or array: 400 BAD_JSON.
 * A refusal before the whole body was read closes the connection, so the rest
 * is never read either.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { closeUnreadBody, HttpError, parsedFromText } from './http';

// ## Depth scan

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * The nesting depth of JSON text fed to it in chunks, without parsing it:
 * brackets outside strings are counted (RFC 8259 §7: inside a string a `"` is
 * escaped by a backslash, and UTF-8 continuation bytes are never ASCII, so a
 * byte scan cannot be fooled by multi-byte characters). Malformed JSON is
 * JSON.parse's to refuse; this only bounds the work it would be given.
 */
export class DepthScan {
  readonly #max: number;
  #depth = 0;
  #inString = false;
  #escaped = false;

  /** `maxDepth`: the deepest nesting accepted; the top-level object or array is depth 1. */
  constructor(maxDepth: number) {
    if (!Number.isSafeInteger(maxDepth) || maxDepth < 1) throw new RangeError('maxDepth must be a positive integer');
    this.#max = maxDepth;
  }

  /** Scans `chunk`; false as soon as the nesting passes the maximum (the rest need not be scanned). */
  push(chunk: Uint8Array): boolean {
    let depth = this.#depth;
    let inString = this.#inString;
    let escaped = this.#escaped;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) inString = false;
      } else if (b === QUOTE) inString = true;
      else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
        if (++depth > this.#max) return false;
      } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) depth--;
    }
    this.#depth = depth;
    this.#inString = inString;
    this.#escaped = escaped;
    return true;
  }
}

// ## Reading

/** A route's body: its largest legitimate request and the deepest nesting its schema has. */
export interface BodyLimits {
  /** Bytes. */
  limit: number;
  /** Arrays and objects, the body itself being depth 1. */
  maxDepth: number;
}

export const KiB = 1024;
export const MiB = 1024 * KiB;

/** True if the request announces a body (RFC 9112 §6.3: a Transfer-Encoding, or a Content-Length above 0). */
function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

/** Refuses with `err`, closing the connection if the body was not read to its end. */
function refuse(req: Request, res: Response, next: NextFunction, err: HttpError): void {
  closeUnreadBody(req, res);
  next(err);
}

const tooLarge = (limit: number) => new HttpError(413, 'BODY_TOO_LARGE', `request body is larger than this route's limit of ${limit} bytes`);

/**
 * Reads and parses a JSON body within `limits` into `req.body` (docs/PROTOCOL.md §8.9).
 * A request without a body, or with another content type, is left with
 * `req.body` undefined and its body unread: the route's schema refuses it.
 * `onParse`, if given, is called just before JSON.parse (tests count it).
 */
export function jsonBody(limits: BodyLimits, onParse?: () => void): RequestHandler {
  if (!Number.isSafeInteger(limits.limit) || limits.limit < 1) throw new RangeError('limit must be a positive integer');
  new DepthScan(limits.maxDepth); // checks maxDepth once, at start-up
  return (req, res, next) => {
    if (!hasBody(req) || !req.is('application/json')) return next();
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity') return refuse(req, res, next, new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'request bodies are not compressed here (Content-Encoding identity only)'));
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return refuse(req, res, next, new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'JSON bodies are UTF-8'));
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limits.limit) return refuse(req, res, next, tooLarge(limits.limit));

    const scan = new DepthScan(limits.maxDepth);
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err?: HttpError) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (err) return refuse(req, res, next, err);
      const text = Buffer.concat(chunks, size).toString('utf8');
      // RFC 8259 allows any value at the top; every body here is an object (or, for junk, an array).
      const first = /^[ \t\n\r]*(.)/.exec(text)?.[1];
      if (size === 0) req.body = {};
      else if (first !== '{' && first !== '[') return refuse(req, res, next, new HttpError(400, 'BAD_JSON', 'request body is not a JSON object'));
      else {
        onParse?.();
        try {
          req.body = JSON.parse(text) as unknown;
          parsedFromText(req.body, text);
        } catch {
          return refuse(req, res, next, new HttpError(400, 'BAD_JSON', 'request body is not valid JSON'));
        }
      }
      next();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.limit) return finish(tooLarge(limits.limit));
      if (!scan.push(chunk)) return finish(new HttpError(400, 'TOO_DEEP', `request body nests deeper than ${limits.maxDepth} levels, more than this route's schema has`));
      chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onError = () => finish(new HttpError(400, 'BAD_REQUEST', 'the request body could not be read'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  };
}
