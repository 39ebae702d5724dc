/**
 * Roots that bind a request and a release to exact sets (docs/PROTOCOL.md §4.2,
 * docs/PROTOCOL.md §4.2): RFC 6962 roots over envelope ids and over partials.
 */
import { bytesToHex, hexToBytes, utf8 } from '../crypto/bytes';
import { rootFromLeaves } from '../log/merkle';
import { canonicalJson } from './jcs';

/** `envelopeSetRoot`: the RFC 6962 root over the 32-byte envelope ids (μ) in request order. */
export function envelopeSetRoot(envelopeIds: readonly string[]): string {
  return bytesToHex(rootFromLeaves(envelopeIds.map((id, i) => hexToBytes(id, 32, `envelopeIds[${i}]`))));
}

/** `partialsRoot`: the RFC 6962 root over JCS(partial) bytes in envelope order. */
export function partialsRoot(partials: readonly object[]): string {
  return bytesToHex(rootFromLeaves(partials.map((p) => utf8(partialJcs(p) ?? canonicalJson(p)))));
}

const HEX = /^[0-9a-f]*$/;

/**
 * RFC 8785 text of a partial of the usual shape (docs/PROTOCOL.md §3.3), written
 * directly: each side hashes every partial of a release (500 a request in
 * the P1 bench) and the general canonicaliser is most of that cost. Keys in
 * JCS order (UTF-16: "D" < "c" < "index" < "z"); lowercase hex strings need no
 * escaping and a safe integer prints as `String(n)` (RFC 8785 §3.2.2.3).
 * Null for anything else, which then takes the general path.
 */
function partialJcs(p: object): string | null {
  if (Object.getPrototypeOf(p) !== Object.prototype) return null;
  const keys = Object.keys(p);
  if (keys.length !== 4) return null;
  const { D, c, index, z } = p as Record<string, unknown>;
  if (typeof D !== 'string' || typeof c !== 'string' || typeof z !== 'string' || !Number.isSafeInteger(index)) return null;
  if (!HEX.test(D) || !HEX.test(c) || !HEX.test(z)) return null;
  return `{"D":"${D}","c":"${c}","index":${String(index)},"z":"${z}"}`;
}
