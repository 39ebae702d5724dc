/**
 * Canonical JSON, RFC 8785 (JCS), via the maintained `canonicalize` package.
 */
import canonicalize from 'canonicalize';

/** RFC 8785 text of `value`; throws TypeError for values JSON cannot carry. */
export function canonicalJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (err) {
    // canonicalize throws a plain Error for NaN, ±Infinity, lone surrogates and cycles.
    if (err instanceof TypeError || err instanceof RangeError) throw err;
    throw new TypeError(`value has no JSON form: ${(err as Error).message}`);
  }
  if (text === undefined) throw new TypeError('value has no JSON form');
  // canonicalize writes a nested function or symbol as the bare word `undefined`.
  if (text.includes('undefined') && !isJson(text)) throw new TypeError('value has no JSON form: it holds a function or symbol');
  return text;
}

/** UTF-8 bytes of the RFC 8785 text. */
export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
