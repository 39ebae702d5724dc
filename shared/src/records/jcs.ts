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
  // canonicalize writes a nested function as the bare word `undefined`, or drops it from an array.
  if (holdsFunction(value)) throw new TypeError('value has no JSON form: it holds a function');
  return text;
}

/** UTF-8 bytes of the RFC 8785 text. */
export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}

/** Whether a function sits anywhere a JSON value is expected (run after canonicalize, so no cycles). */
function holdsFunction(value: unknown): boolean {
  if (typeof value === 'function') return true;
  if (typeof value !== 'object' || value === null) return false;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return holdsFunction(toJSON.call(value));
  return Object.values(value).some(holdsFunction);
}
