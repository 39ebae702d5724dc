/**
 * Byte helpers: argument checks, hex/base64 codecs, u32/u64 big-endian.
 * docs/PROTOCOL.md §3: keys and hashes are hex in JSON; other byte strings base64.
 */

// ## Argument checks (STYLE.md: TypeError for a wrong type, RangeError for a wrong length)

export function abytes(value: unknown, length: number | undefined, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`);
  }
  return value;
}

export function astring(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
  return value;
}

export function auint(value: unknown, max: number, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`${name} must be an integer`);
  if (value < 0 || value > max) throw new RangeError(`${name} must be in [0, ${max}], got ${value}`);
  return value;
}

// ## Codecs

const HEX_RE = /^(?:[0-9a-f]{2})*$/;

/** Lower-case hex only: one canonical text per byte string. */
export function hexToBytes(hex: string, length?: number, name = 'hex'): Uint8Array {
  astring(hex, name);
  if (length !== undefined) auint(length, 0x7fffffff, 'length');
  if (!HEX_RE.test(hex)) throw new RangeError(`${name} must be lower-case hex`);
  if (length !== undefined && hex.length !== length * 2) {
    throw new RangeError(`${name} must be ${length} bytes, got ${hex.length / 2}`);
  }
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(abytes(bytes, undefined, 'bytes')).toString('hex');
}

const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard padded base64, rejecting anything Buffer would silently skip. */
export function base64ToBytes(b64: string, name = 'base64'): Uint8Array {
  astring(b64, name);
  if (!B64_RE.test(b64)) throw new RangeError(`${name} must be padded standard base64`);
  const bytes = Uint8Array.from(Buffer.from(b64, 'base64'));
  if (Buffer.from(bytes).toString('base64') !== b64) throw new RangeError(`${name} is not canonical base64`);
  return bytes;
}

export function bytesToBase64(bytes: Uint8Array): string {
  return Buffer.from(abytes(bytes, undefined, 'bytes')).toString('base64');
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(astring(text, 'text'));
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += abytes(p, undefined, 'part').length;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** `u32(e)`: 4 bytes big-endian (docs/PROTOCOL.md §3). */
export function u32(value: number): Uint8Array {
  auint(value, 0xffffffff, 'u32');
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, false);
  return out;
}

/** 8 bytes big-endian, for cosignature timestamps (docs/PROTOCOL.md §4.3). */
export function u64(value: bigint | number): Uint8Array {
  if (typeof value === 'number') auint(value, Number.MAX_SAFE_INTEGER, 'u64');
  else if (typeof value !== 'bigint') throw new TypeError('u64 must be a bigint or an integer');
  const v = BigInt(value);
  if (v < 0n || v >= 1n << 64n) throw new RangeError('u64 out of range');
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v, false);
  return out;
}

/** False unless both are Uint8Arrays with the same bytes (never true for other types). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array)) return false;
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
