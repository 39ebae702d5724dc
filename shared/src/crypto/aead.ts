/**
 * Key derivation and AEAD of the envelope (docs/PROTOCOL.md §3.2 steps 3–4), via node:crypto.
 */
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { abytes, concatBytes, u32, utf8 } from './bytes';
import { TAG } from './hash';

export const KEY_LENGTH = 32;
export const NONCE_LENGTH = 12;
export const TAG_LENGTH = 16;

/** `k = HKDF-SHA256(ikm = ser33(Z), salt = Rx, info = "custodes/v1/envelope-key" ‖ u32(e) ‖ ℓ, L = 32)`. */
export function envelopeKey(sharedPoint33: Uint8Array, Rx: Uint8Array, epoch: number, labelHash: Uint8Array): Uint8Array {
  abytes(sharedPoint33, 33, 'Z');
  abytes(Rx, 32, 'Rx');
  abytes(labelHash, 32, 'labelHash');
  const info = concatBytes(utf8(TAG.envelopeKey), u32(epoch), labelHash);
  return new Uint8Array(hkdfSync('sha256', sharedPoint33, Rx, info, KEY_LENGTH));
}

/** AES-256-GCM; returns ciphertext ‖ 16-byte tag. */
export function aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  abytes(key, KEY_LENGTH, 'key');
  abytes(nonce, NONCE_LENGTH, 'nonce');
  abytes(plaintext, undefined, 'plaintext');
  abytes(aad, undefined, 'aad');
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH });
  cipher.setAAD(aad);
  return concatBytes(cipher.update(plaintext), cipher.final(), cipher.getAuthTag());
}

/** AES-256-GCM open; returns null when the tag does not verify (the combination check of §3.4). */
export function aeadOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null {
  abytes(key, KEY_LENGTH, 'key');
  abytes(nonce, NONCE_LENGTH, 'nonce');
  abytes(sealed, undefined, 'ciphertext');
  abytes(aad, undefined, 'aad');
  if (sealed.length < TAG_LENGTH) return null;
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
  const body = decipher.update(sealed.subarray(0, sealed.length - TAG_LENGTH));
  try {
    return concatBytes(body, decipher.final());
  } catch {
    return null; // only the tag check throws here
  }
}
