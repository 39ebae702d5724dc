/**
 * The signed-record rule (docs/PROTOCOL.md §3.5): signature fields (`signature`,
 * `signatures`, and any field whose name ends in `Signature`) are left out of the
 * signed bytes; the signature is BIP340 over H("custodes/v1/" + kind, JCS(rest)).
 */
import { bytesToHex, hexToBytes, utf8 } from '../crypto/bytes';
import { schnorrSign, schnorrVerify } from '../crypto/group';
import { taggedHash, TAG } from '../crypto/hash';
import { canonicalJson } from './jcs';

export function isSignatureField(name: string): boolean {
  if (typeof name !== 'string') return false;
  return name === 'signature' || name === 'signatures' || name.endsWith('Signature');
}

/** The record without its signature fields (top level only). */
export function unsignedRecord<T extends object>(record: T): Partial<T> {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new TypeError('record must be an object');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) if (!isSignatureField(k)) out[k] = v;
  return out as Partial<T>;
}

/** `H("custodes/v1/" + kind, JCS(record without signature fields))`. */
export function recordDigest(record: object, kind: string): Uint8Array {
  if (typeof kind !== 'string' || !/^[a-z][a-z-]{0,63}$/.test(kind)) throw new RangeError('kind must be a record type');
  return taggedHash(TAG.record(kind), utf8(canonicalJson(unsignedRecord(record))));
}

/** Hex64 BIP340 signature of `record` under `secretKey` (hex32 or bytes). */
export function signRecord(record: object, kind: string, secretKey: Uint8Array | string, aux?: Uint8Array): string {
  const sk = typeof secretKey === 'string' ? hexToBytes(secretKey, 32, 'secretKey') : secretKey;
  return bytesToHex(schnorrSign(recordDigest(record, kind), sk, aux));
}

/** False for a malformed or wrong signature or key; never throws on bad data. */
export function verifyRecordSignature(record: object, kind: string, signature: unknown, publicKey: unknown): boolean {
  if (typeof signature !== 'string' || !/^[0-9a-f]{128}$/.test(signature)) return false;
  if (typeof publicKey !== 'string' || !/^[0-9a-f]{64}$/.test(publicKey)) return false;
  let digest: Uint8Array;
  try {
    digest = recordDigest(record, kind);
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) return false;
    throw err;
  }
  return schnorrVerify(hexToBytes(signature), digest, hexToBytes(publicKey));
}
