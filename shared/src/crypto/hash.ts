/**
 * Hashes of docs/PROTOCOL.md §3: SHA-256, BIP340 tagged hashes `H(tag, m)` and the
 * scalar hash `Hs(tag, m)`, all through node:crypto.
 */
import { createHash } from 'node:crypto';
import { abytes, concatBytes, utf8 } from './bytes';
import { CURVE_ORDER } from './group';

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(abytes(p, undefined, 'message'));
  return new Uint8Array(h.digest());
}

const tagPrefixes = new Map<string, Uint8Array>();

function tagPrefix(tag: string): Uint8Array {
  let prefix = tagPrefixes.get(tag);
  if (!prefix) {
    const t = sha256(utf8(tag));
    prefix = concatBytes(t, t);
    tagPrefixes.set(tag, prefix);
  }
  return prefix;
}

/** `H(tag, m) = SHA256(SHA256(tag) ‖ SHA256(tag) ‖ m)` (BIP340 tagged hash). */
export function taggedHash(tag: string, ...message: Uint8Array[]): Uint8Array {
  if (typeof tag !== 'string' || tag.length === 0) throw new TypeError('tag must be a non-empty string');
  return sha256(tagPrefix(tag), ...message);
}

/** `Hs(tag, m) = int(H(tag, m)) mod n`, rejecting 0 (docs/PROTOCOL.md §3). */
export function hashToScalar(tag: string, ...message: Uint8Array[]): bigint {
  const h = taggedHash(tag, ...message);
  const s = BigInt('0x' + Buffer.from(h).toString('hex')) % CURVE_ORDER;
  if (s === 0n) throw new RangeError('hash to scalar gave 0');
  return s;
}

/** Tags of docs/PROTOCOL.md §6. */
export const TAG = {
  label: 'custodes/v1/label',
  envelopeKey: 'custodes/v1/envelope-key',
  bind: 'custodes/v1/bind',
  dleq: 'custodes/v1/dleq',
  warrant: 'custodes/v1/warrant',
  warrantCommit: 'custodes/v1/warrant-commit',
  result: 'custodes/v1/result',
  resultKey: 'custodes/v1/result-key',
  record: (kind: string) => `custodes/v1/${kind}`,
} as const;
