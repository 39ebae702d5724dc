/**
 * Ed25519 (RFC 8032) on raw 32-byte keys, through node:crypto: the log's
 * checkpoint key and the witnesses' cosigning keys (docs/PROTOCOL.md §4.3).
 * Records keep BIP340 (§3.5); Ed25519 signs only signed notes, because the
 * transparency ecosystem (C2SP signed-note, tlog-cosignature, Go's
 * sumdb/note) verifies nothing else.
 *
 * node:crypto takes keys as KeyObjects, so a raw seed is wrapped in the fixed
 * PKCS#8 prefix of RFC 8410 §7 and a raw public key in the SPKI prefix of
 * RFC 8410 §4.
 */
import { createPrivateKey, createPublicKey, randomBytes, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { abytes } from './bytes';

// ## Parameters

const KEY_SIZE = 32;
const SIGNATURE_SIZE = 64;
/** RFC 8410 §7: SEQUENCE { INTEGER 0, AlgorithmIdentifier { 1.3.101.112 }, OCTET STRING { OCTET STRING seed } }. */
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);
/** RFC 8410 §4: SEQUENCE { AlgorithmIdentifier { 1.3.101.112 }, BIT STRING key }. */
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

// ## Keys

function privateKeyObject(secretKey: Uint8Array): KeyObject {
  abytes(secretKey, KEY_SIZE, 'secretKey');
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' });
}

/** A fresh 32-byte Ed25519 secret key (the RFC 8032 seed). */
function ed25519SecretKey(): Uint8Array {
  return new Uint8Array(randomBytes(KEY_SIZE));
}

/** The 32-byte public key of a 32-byte secret key (RFC 8032 §5.1.5). */
function ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
  const spki = createPublicKey(privateKeyObject(secretKey)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(SPKI_PREFIX.length));
}

// ## Sign and verify

/** The 64-byte Ed25519 signature of `message` (RFC 8032 §5.1.6; deterministic). */
function ed25519Sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  abytes(message, undefined, 'message');
  return new Uint8Array(sign(null, message, privateKeyObject(secretKey)));
}

/**
 * True iff `signature` is a valid Ed25519 signature of `message` under
 * `publicKey` (RFC 8032 §5.1.7, as OpenSSL checks it). False for a malformed
 * signature or a public key that is not a point; throws only for wrong types.
 */
function ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  abytes(signature, undefined, 'signature');
  abytes(message, undefined, 'message');
  abytes(publicKey, KEY_SIZE, 'publicKey');
  if (signature.length !== SIGNATURE_SIZE) return false;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
  } catch {
    return false; // not an encoding of a curve point: no signature verifies under it
  }
  return verify(null, message, key, signature);
}

export { ed25519PublicKey, ed25519SecretKey, ed25519Sign, ed25519Verify };
