/**
 * The coordinator's authorisation of one `POST /v1/partials` call
 * (docs/PROTOCOL.md §4.6, "The partials call"). A deliberate extension of
 * docs/PROTOCOL.md §6: the tag `custodes/v1/partials-call`, used only here.
 *
 * Why: docs/PROTOCOL.md §5 step 6 promises plaintexts "to that investigator only".
 * Anyone holding a logged request's envelopes (the provider, say) could
 * otherwise ask t custodians for partials and combine them without the
 * coordinator. The coordinator therefore signs each call with its log key,
 * which every custodian already trusts from the registry in its replica
 * (docs/PROTOCOL.md §4.2 `registry.logKey`, §4.3).
 *
 * The call is a signed record under the one rule of docs/PROTOCOL.md §3.5:
 *   signature = BIP340.sign(H("custodes/v1/partials-call", JCS(call without signature)), logSecretKey)
 * `partials-call` is not a log entry type, so the signature can never be
 * replayed as a log entry or a checkpoint note (`custodes/v1/note`), which the
 * same key signs under other tags.
 *
 * On the wire: the HTTP header `Custodes-Call: base64(JCS(call))` (standard,
 * padded base64 of the RFC 8785 bytes, signature included).
 */
import { z } from 'zod';
import { base64ToBytes, bytesToBase64, utf8 } from '../crypto/bytes';
import { canonicalJson } from './jcs';
import { CustodianIndex, Hex32, Hex64, UnixTime, Uuid } from './schemas';
import { signRecord, verifyRecordSignature } from './signing';

// ## Format

/** Record kind, so the signing tag is `custodes/v1/partials-call` (docs/PROTOCOL.md §3.5). */
export const PARTIALS_CALL_KIND = 'partials-call';
/** The HTTP header that carries the call (lower case, as node reports it). */
export const PARTIALS_CALL_HEADER = 'custodes-call';
/** Longest header value accepted: a call is ~400 bytes of base64. */
const MAX_HEADER_LENGTH = 2048;

export const PartialsCallSchema = z
  .object({
    type: z.literal(PARTIALS_CALL_KIND),
    /** The custodian index the call is for: a call for one node is useless at another. */
    custodian: CustodianIndex,
    requestId: Uuid,
    /** Number of envelopes in the body, checked before any of them is parsed. */
    envelopeCount: z.number().int().min(1).max(100_000),
    /** RFC 6962 root over the envelope ids in body order (as in the `decryption-request` entry). */
    envelopeSetRoot: Hex32,
    /** Unix seconds; custodians accept it only within their freshness window. */
    issuedAt: UnixTime,
    signature: Hex64,
  })
  .strict();
export type PartialsCall = z.infer<typeof PartialsCallSchema>;
/** Built once: zod compiles a schema on first use, so a schema made per call would be compiled per call. */
const UnsignedPartialsCallSchema = PartialsCallSchema.omit({ signature: true });
export type PartialsCallBody = Omit<PartialsCall, 'type' | 'signature'>;

// ## Signing and verifying

/** The call for `body`, signed with the log's secret key (hex32 or bytes). */
export function signPartialsCall(body: PartialsCallBody, logSecretKey: Uint8Array | string, aux?: Uint8Array): PartialsCall {
  if (typeof body !== 'object' || body === null) throw new TypeError('body must be an object');
  const unsigned = UnsignedPartialsCallSchema.parse({ type: PARTIALS_CALL_KIND, ...body });
  return { ...unsigned, signature: signRecord(unsigned, PARTIALS_CALL_KIND, logSecretKey, aux) };
}

/** True iff `call` is signed by `logKey` (x-only hex32). False for anything malformed; never throws on bad data. */
export function verifyPartialsCall(call: unknown, logKey: unknown): boolean {
  const r = PartialsCallSchema.safeParse(call);
  if (!r.success) return false;
  return verifyRecordSignature(r.data, PARTIALS_CALL_KIND, r.data.signature, logKey);
}

// ## The header

/** `base64(JCS(call))`, the value of the `Custodes-Call` header. */
export function encodePartialsCall(call: PartialsCall): string {
  return bytesToBase64(utf8(canonicalJson(PartialsCallSchema.parse(call))));
}

/**
 * Parses a `Custodes-Call` header value (attacker-controlled): canonical padded
 * base64 of RFC 8785 JSON that passes the strict schema. Null for anything else.
 */
export function decodePartialsCall(header: unknown): PartialsCall | null {
  return decodeSignedHeader(header, PartialsCallSchema, 'Custodes-Call', MAX_HEADER_LENGTH);
}

/**
 * A signed record carried in a header (attacker-controlled): canonical padded
 * base64 of RFC 8785 JSON, at most `maxLength` characters, passing the strict
 * `schema`. Null for anything else. Used for `Custodes-Call` and the DKG calls (§7.15).
 */
export function decodeSignedHeader<T>(header: unknown, schema: { safeParse(x: unknown): { success: true; data: T } | { success: false } }, name: string, maxLength: number): T | null {
  if (typeof header !== 'string' || header.length === 0 || header.length > maxLength) return null;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(base64ToBytes(header, name));
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) return null;
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const r = schema.safeParse(raw);
  if (!r.success || canonicalJson(raw) !== text) return null;
  return r.data;
}

/** Header value for a fresh call: what the coordinator sends (docs/PROTOCOL.md §5 step 5). */
export function partialsCallHeader(body: PartialsCallBody, logSecretKey: Uint8Array | string): string {
  return encodePartialsCall(signPartialsCall(body, logSecretKey));
}

