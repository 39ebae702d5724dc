/**
 * Results sealed to the investigator (docs/PROTOCOL.md §3.7, "Results sealed to the
 * investigator"): ECIES to the investigator's registered x-only BIP340 key, so
 * the coordinator never keeps a plaintext at rest. It reuses the envelope's
 * construction (docs/PROTOCOL.md §3.2 steps 1–4) with the investigator's key in place
 * of the group key and a context that binds request and envelope.
 *
 *   e uniform, E = e·G with even y (carried x-only as Ex); P = lift_x(investigator)
 *   Z = e·P
 *   k = HKDF-SHA256(ikm = ser33(Z), salt = Ex, info = "custodes/v1/result-key" ‖ ctx, L = 32)
 *   c = AES-256-GCM(k, nonce, m, aad = ctx)
 *   ctx = H("custodes/v1/result", utf8(requestId) ‖ 0x00 ‖ utf8(envelopeId))
 *
 * Opening: d is the investigator's secret key; BIP340 keys may have an odd-y
 * d·G, so d' = d or n − d with d'·G = P; Z = d'·E.
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import { aeadOpen, aeadSeal, KEY_LENGTH, NONCE_LENGTH, TAG_LENGTH } from './aead';
import { abytes, astring, base64ToBytes, bytesToBase64, bytesToHex, concatBytes, hexToBytes, utf8 } from './bytes';
import { taggedHash, TAG } from './hash';
import { encodePoint, evenYScalar, hasEvenY, liftX, mul, mulBase, negateScalar, scalarFromBytes, xOnly } from './group';

// ## Format

/** A sealed result as JSON: `E` hex32 (x-only), `nonce` base64 (12 bytes), `ciphertext` base64 (ciphertext ‖ tag). */
export interface SealedResult {
  E: string;
  nonce: string;
  ciphertext: string;
}

/** Fixed randomness for known-answer tests only. */
export interface SealedRandomness {
  e?: bigint;
  nonce?: Uint8Array;
}

const SEALED_KEYS = ['E', 'ciphertext', 'nonce'];
/** Bounds what an opener decodes from attacker-controlled input (results are envelope plaintexts). */
const MAX_CIPHERTEXT_BASE64 = 64 * 1024 * 1024;

// ## Context

/**
 * `ctx = H("custodes/v1/result", utf8(requestId) ‖ 0x00 ‖ utf8(envelopeId))`, 32 bytes.
 * Requires neither id to contain NUL, so the pair is read back unambiguously.
 */
export function resultContext(requestId: string, envelopeId: string): Uint8Array {
  astring(requestId, 'requestId');
  astring(envelopeId, 'envelopeId');
  if (requestId.length === 0 || requestId.includes('\0')) throw new RangeError('requestId must be non-empty without NUL');
  if (envelopeId.length === 0 || envelopeId.includes('\0')) throw new RangeError('envelopeId must be non-empty without NUL');
  return taggedHash(TAG.result, utf8(requestId), Uint8Array.of(0), utf8(envelopeId));
}

/** `k = HKDF-SHA256(ikm = ser33(Z), salt = Ex, info = "custodes/v1/result-key" ‖ ctx, L = 32)`. */
function resultKey(Z33: Uint8Array, Ex: Uint8Array, context: Uint8Array): Uint8Array {
  const info = concatBytes(utf8(TAG.resultKey), context);
  return new Uint8Array(hkdfSync('sha256', Z33, Ex, info, KEY_LENGTH));
}

// ## Seal and open

/**
 * Seals `plaintext` to the investigator's x-only key (hex32) under `context`
 * (resultContext of the request and envelope). Throws RangeError if the key is
 * not an x coordinate on secp256k1.
 */
export function sealToInvestigator(
  plaintext: Uint8Array,
  investigatorXOnlyHex: string,
  context: Uint8Array,
  randomness: SealedRandomness = {},
): SealedResult {
  abytes(plaintext, undefined, 'plaintext');
  abytes(context, undefined, 'context');
  const P = liftX(hexToBytes(investigatorXOnlyHex, 32, 'investigator'), 'investigator');
  if (typeof randomness !== 'object' || randomness === null) throw new TypeError('randomness must be an object');
  // As in docs/PROTOCOL.md §3.2 step 1: E normalised to even y so it travels x-only.
  const { k: e, P: E } = evenYScalar(randomness.e);
  const Ex = xOnly(E);
  const key = resultKey(encodePoint(mul(P, e)), Ex, context); // mul: constant time in the secret e (group.ts)
  const nonce = randomness.nonce ?? new Uint8Array(randomBytes(NONCE_LENGTH));
  abytes(nonce, NONCE_LENGTH, 'nonce');
  const ciphertext = aeadSeal(key, nonce, plaintext, context);
  key.fill(0);
  return { E: bytesToHex(Ex), nonce: bytesToBase64(nonce), ciphertext: bytesToBase64(ciphertext) };
}

/** Decodes a sealed result (attacker-controlled); null if it is malformed in any way. */
function decodeSealed(sealed: unknown): { Ex: Uint8Array; nonce: Uint8Array; ciphertext: Uint8Array } | null {
  if (typeof sealed !== 'object' || sealed === null || Array.isArray(sealed)) return null;
  const keys = Object.keys(sealed).sort();
  if (keys.length !== SEALED_KEYS.length || keys.some((k, i) => k !== SEALED_KEYS[i])) return null;
  const s = sealed as Record<string, unknown>;
  if (typeof s.E !== 'string' || typeof s.nonce !== 'string' || typeof s.ciphertext !== 'string') return null;
  if (s.ciphertext.length > MAX_CIPHERTEXT_BASE64) return null;
  try {
    const Ex = hexToBytes(s.E, 32, 'E');
    const nonce = base64ToBytes(s.nonce, 'nonce');
    const ciphertext = base64ToBytes(s.ciphertext, 'ciphertext');
    if (nonce.length !== NONCE_LENGTH || ciphertext.length < TAG_LENGTH) return null;
    return { Ex, nonce, ciphertext };
  } catch {
    return null; // only the codecs throw here, on malformed text
  }
}

/**
 * Opens a sealed result with the investigator's 32-byte secret key under
 * `context`. Returns null for anything that does not open: malformed JSON
 * fields, E not on the curve, another key or context, any flipped bit.
 * Throws only for a caller's bug (wrong types, a secret key out of range).
 */
export function openSealedResult(sealed: unknown, investigatorSecretKey: Uint8Array, context: Uint8Array): Uint8Array | null {
  abytes(investigatorSecretKey, 32, 'investigatorSecretKey');
  abytes(context, undefined, 'context');
  let d = scalarFromBytes(investigatorSecretKey, 'investigatorSecretKey');
  if (d === 0n) throw new RangeError('investigatorSecretKey must not be 0');
  const parts = decodeSealed(sealed);
  if (!parts) return null;
  let E;
  try {
    E = liftX(parts.Ex, 'E');
  } catch (err) {
    if (err instanceof RangeError) return null; // not an x coordinate on secp256k1
    throw err;
  }
  // BIP340: the public key is lift_x of x(d·G), so use the d whose point has even y.
  if (!hasEvenY(mulBase(d))) d = negateScalar(d);
  const key = resultKey(encodePoint(mul(E, d)), parts.Ex, context);
  const plaintext = aeadOpen(key, parts.nonce, parts.ciphertext, context);
  key.fill(0);
  return plaintext;
}
