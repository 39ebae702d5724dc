/**
 * Canonical JSON, RFC 8785 (JCS), via the maintained `canonicalize` package.
 */
import canonicalize from 'canonicalize';

/** RFC 8785 text of `value`; throws TypeError for values JSON cannot carry. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON form');
  return text;
}

/** UTF-8 bytes of the RFC 8785 text. */
export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}
