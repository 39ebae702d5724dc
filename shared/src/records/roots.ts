/**
 * Roots that bind a request and a release to exact sets (DESIGN.md §4.2,
 * docs/SERVICES.md): RFC 6962 roots over envelope ids and over partials.
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
  return bytesToHex(rootFromLeaves(partials.map((p) => utf8(canonicalJson(p)))));
}
