// @ts-check
/**
 * Byte helpers for the browser pages: hex, base64 and UTF-8. Every decoder
 * is strict and throws a RangeError naming its argument, because everything
 * the pages decode came over the network (attacker-controlled).
 */

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;
/** Canonical padded base64 (RFC 4648 §4), as docs/PROTOCOL.md §4.4 serves it. */
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * @param {string} hex even-length hex, either case; whitespace is not allowed
 * @param {string} [name]
 * @returns {Uint8Array}
 */
function hexToBytes(hex, name = 'hex') {
  if (typeof hex !== 'string') throw new TypeError(`${name} must be a string`);
  if (!HEX_RE.test(hex)) throw new RangeError(`${name} must be an even number of hex digits`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** @param {Uint8Array} bytes @returns {string} lower-case hex */
function bytesToHex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/**
 * @param {string} b64 canonical padded base64
 * @param {string} [name]
 * @returns {Uint8Array}
 */
function base64ToBytes(b64, name = 'base64') {
  if (typeof b64 !== 'string') throw new TypeError(`${name} must be a string`);
  if (!BASE64_RE.test(b64)) throw new RangeError(`${name} must be padded base64`);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  // Non-canonical trailing bits decode silently in atob: reject them by re-encoding.
  if (bytesToBase64(out) !== b64) throw new RangeError(`${name} must be canonical base64`);
  return out;
}

/** @param {Uint8Array} bytes @returns {string} padded base64 */
function bytesToBase64(bytes) {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** @param {Uint8Array} bytes @returns {string} throws on invalid UTF-8 */
function utf8Decode(bytes) {
  return STRICT_UTF8.decode(bytes);
}

/** @param {string} text @returns {Uint8Array} */
function utf8Encode(text) {
  return new TextEncoder().encode(text);
}

/** @param {...Uint8Array} parts @returns {Uint8Array<ArrayBuffer>} */
function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** @param {Uint8Array} a @param {Uint8Array} b @returns {boolean} */
function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= /** @type {number} */ (a[i]) ^ /** @type {number} */ (b[i]);
  return diff === 0;
}

export { base64ToBytes, bytesToBase64, bytesToHex, concatBytes, equalBytes, hexToBytes, utf8Decode, utf8Encode };
