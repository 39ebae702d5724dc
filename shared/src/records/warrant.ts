/**
 * Warrants (docs/PROTOCOL.md §4.1): signatures by court and investigator, the salted
 * commitment, and the public cover sheet logged as a `warrant` entry (§4.2).
 */
import { randomBytes } from 'node:crypto';
import { abytes, bytesToHex, concatBytes, hexToBytes, utf8 } from '../crypto/bytes';
import { taggedHash, TAG } from '../crypto/hash';
import { canonicalJson } from './jcs';
import type { SignedWarrant, Warrant, WarrantEntry } from './schemas';
import { signRecord, unsignedRecord, verifyRecordSignature } from './signing';

/** The warrant body without any signature fields. */
export function warrantBody(warrant: Warrant | SignedWarrant): Warrant {
  return unsignedRecord(warrant) as Warrant;
}

/** `commitment = H("custodes/v1/warrant-commit", salt32 ‖ JCS(warrant))`. */
export function warrantCommitment(warrant: Warrant | SignedWarrant, salt: string | Uint8Array): string {
  const s = typeof salt === 'string' ? hexToBytes(salt, 32, 'salt') : abytes(salt, 32, 'salt');
  return bytesToHex(taggedHash(TAG.warrantCommit, concatBytes(s, utf8(canonicalJson(warrantBody(warrant))))));
}

/** A fresh 32-byte salt (hex). */
export function newSalt(): string {
  return randomBytes(32).toString('hex');
}

/** BIP340 over H("custodes/v1/warrant", JCS(warrant)) (§3.5 with kind `warrant`). */
export function signWarrant(warrant: Warrant | SignedWarrant, secretKey: Uint8Array | string, aux?: Uint8Array): string {
  return signRecord(warrantBody(warrant), 'warrant', secretKey, aux);
}

export function verifyWarrantSignature(warrant: Warrant | SignedWarrant, signature: unknown, publicKey: unknown): boolean {
  return verifyRecordSignature(warrantBody(warrant), 'warrant', signature, publicKey);
}

/** The public cover sheet: no subjects, no signatures (they would let anyone test guesses). */
export function warrantCoverSheet(warrant: Warrant | SignedWarrant, commitment: string): WarrantEntry {
  const scope: unknown = typeof warrant === 'object' && warrant !== null ? warrant.scope : undefined;
  if (typeof scope !== 'object' || scope === null || !Array.isArray((scope as { subjects?: unknown }).subjects)) {
    throw new TypeError('warrant must be a parsed warrant (WarrantSchema)');
  }
  return {
    type: 'warrant',
    warrantId: warrant.id,
    commitment,
    agency: warrant.agency,
    court: warrant.court,
    legalAuthority: warrant.legalAuthority,
    categories: [...warrant.scope.categories],
    subjectCount: warrant.scope.subjects.length,
    notBefore: warrant.scope.notBefore,
    notAfter: warrant.scope.notAfter,
    issuedAt: warrant.issuedAt,
    expiresAt: warrant.expiresAt,
    sealedUntil: warrant.sealedUntil,
    maxEnvelopes: warrant.maxEnvelopes,
  };
}
