/**
 * The envelope: Schnorr-signed ElGamal with a label (docs/PROTOCOL.md §3.2).
 */
import { randomBytes } from 'node:crypto';
import { ProtocolError } from '../errors';
import { aeadOpen, aeadSeal, envelopeKey, NONCE_LENGTH } from './aead';
import { abytes, base64ToBytes, bytesToBase64, bytesToHex, concatBytes, hexToBytes, u32 } from './bytes';
import { sha256, taggedHash, TAG } from './hash';
import {
  apoint,
  encodePoint,
  evenYScalar,
  isIdentity,
  liftX,
  mul,
  scalarToBytes,
  schnorrSign,
  schnorrVerify,
  xOnly,
} from './group';
import type { GroupPoint } from './group';
import { assertLabel, labelHash } from './label';
import type { Label } from './label';

export const ENVELOPE_FORMAT = 'custodes.envelope.v1';
export const MAX_EPOCH = 0xffffffff;

/** Envelope JSON (docs/PROTOCOL.md §3.2). */
export interface Envelope {
  format: typeof ENVELOPE_FORMAT;
  epoch: number;
  label: Label;
  R: string; // hex32, x-only
  nonce: string; // base64, 12 bytes
  ciphertext: string; // base64, ciphertext ‖ tag
  proof: string; // hex64, BIP340
}

/** An envelope decoded once, with its derived values. */
export interface ParsedEnvelope {
  envelope: Envelope;
  epoch: number;
  Rx: Uint8Array;
  R: GroupPoint;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
  proof: Uint8Array;
  labelHash: Uint8Array;
  /** μ, whose hex is the envelope id. */
  mu: Uint8Array;
  id: string;
}

/** Fixed randomness for known-answer tests only. */
export interface SealRandomness {
  r?: bigint;
  nonce?: Uint8Array;
  aux?: Uint8Array;
}

/** `Rx ‖ u32(e) ‖ ℓ`, the AEAD associated data. */
function boundContext(Rx: Uint8Array, epoch: number, lh: Uint8Array): Uint8Array {
  return concatBytes(Rx, u32(epoch), lh);
}

/** `μ = H("custodes/v1/bind", Rx ‖ u32(e) ‖ ℓ ‖ SHA256(nonce ‖ c))`. */
function bindingMessage(Rx: Uint8Array, epoch: number, lh: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return taggedHash(TAG.bind, boundContext(Rx, epoch, lh), sha256(nonce, ciphertext));
}

function checkEpoch(epoch: unknown): number {
  if (typeof epoch !== 'number' || !Number.isInteger(epoch)) throw new TypeError('epoch must be an integer');
  if (epoch < 0 || epoch > MAX_EPOCH) throw new RangeError('epoch must fit in u32');
  return epoch;
}

/** Seals `plaintext` to group key `Y` of `epoch` under `label` (docs/PROTOCOL.md §3.2 steps 1–6). */
export function sealEnvelope(
  plaintext: Uint8Array,
  groupKey: GroupPoint,
  epoch: number,
  label: Label,
  randomness: SealRandomness = {},
): Envelope {
  abytes(plaintext, undefined, 'plaintext');
  if (isIdentity(apoint(groupKey, 'groupKey'))) throw new RangeError('groupKey must not be the point at infinity');
  checkEpoch(epoch);
  assertLabel(label);
  if (typeof randomness !== 'object' || randomness === null) throw new TypeError('randomness must be an object');
  // 1. r uniform; R = r·G normalised to even y so it travels x-only.
  const { k: r, P: R } = evenYScalar(randomness.r);
  const Rx = xOnly(R);
  const lh = labelHash(label);
  // 2–3. Z = r·Y; k = HKDF(ser33(Z), Rx, info).
  const Z = mul(groupKey, r);
  const key = envelopeKey(encodePoint(Z), Rx, epoch, lh);
  // 4. AES-256-GCM with aad = Rx ‖ u32(e) ‖ ℓ.
  const nonce = randomness.nonce ?? new Uint8Array(randomBytes(NONCE_LENGTH));
  abytes(nonce, NONCE_LENGTH, 'nonce');
  const ciphertext = aeadSeal(key, nonce, plaintext, boundContext(Rx, epoch, lh));
  key.fill(0);
  // 5–6. μ and the binding proof: a BIP340 signature by r.
  const mu = bindingMessage(Rx, epoch, lh, nonce, ciphertext);
  const proof = schnorrSign(mu, scalarToBytes(r), randomness.aux);
  return {
    format: ENVELOPE_FORMAT,
    epoch,
    label: { subject: label.subject, category: label.category, time: label.time },
    R: bytesToHex(Rx),
    nonce: bytesToBase64(nonce),
    ciphertext: bytesToBase64(ciphertext),
    proof: bytesToHex(proof),
  };
}

const ENVELOPE_KEYS = ['ciphertext', 'epoch', 'format', 'label', 'nonce', 'proof', 'R'].sort();

/**
 * Decodes an envelope (attacker-controlled) strictly. Throws ProtocolError
 * BAD_FORMAT naming the field; does not check the binding proof.
 */
export function parseEnvelope(input: unknown): ParsedEnvelope {
  try {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new TypeError('envelope must be an object');
    const keys = Object.keys(input).sort();
    if (keys.length !== ENVELOPE_KEYS.length || keys.some((k, i) => k !== ENVELOPE_KEYS[i])) {
      throw new RangeError(`envelope must have exactly ${ENVELOPE_KEYS.join(', ')}`);
    }
    const e = input as Record<string, unknown>;
    if (e.format !== ENVELOPE_FORMAT) throw new RangeError(`format must be ${ENVELOPE_FORMAT}`);
    const epoch = checkEpoch(e.epoch);
    assertLabel(e.label);
    const Rx = hexToBytes(e.R as string, 32, 'R');
    const R = liftX(Rx, 'R');
    const nonce = base64ToBytes(e.nonce as string, 'nonce');
    abytes(nonce, NONCE_LENGTH, 'nonce');
    const ciphertext = base64ToBytes(e.ciphertext as string, 'ciphertext');
    if (ciphertext.length < 16) throw new RangeError('ciphertext is shorter than its tag');
    const proof = hexToBytes(e.proof as string, 64, 'proof');
    const lh = labelHash(e.label);
    const mu = bindingMessage(Rx, epoch, lh, nonce, ciphertext);
    const envelope: Envelope = {
      format: ENVELOPE_FORMAT,
      epoch,
      label: { subject: e.label.subject, category: e.label.category, time: e.label.time },
      R: e.R as string,
      nonce: e.nonce as string,
      ciphertext: e.ciphertext as string,
      proof: e.proof as string,
    };
    return { envelope, epoch, Rx, R, nonce, ciphertext, proof, labelHash: lh, mu, id: bytesToHex(mu) };
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError('BAD_FORMAT', `malformed envelope: ${(err as Error).message}`);
  }
}

/**
 * Throws TypeError unless `env` has the shape parseEnvelope returns: passing the
 * raw JSON (or anything else) is a caller's bug, not an invalid envelope.
 */
export function assertParsedEnvelope(env: unknown): asserts env is ParsedEnvelope {
  const msg = 'env must be a ParsedEnvelope (from parseEnvelope)';
  if (typeof env !== 'object' || env === null) throw new TypeError(msg);
  const e = env as Record<string, unknown>;
  for (const f of ['Rx', 'nonce', 'ciphertext', 'proof', 'labelHash', 'mu']) {
    if (!(e[f] instanceof Uint8Array)) throw new TypeError(msg);
  }
  if (typeof e.epoch !== 'number') throw new TypeError(msg);
  apoint(e.R, 'env.R');
}

/** The binding proof verifies: BIP340.verify(proof, μ, Rx) (docs/PROTOCOL.md §3.2 step 6). */
export function verifyBinding(env: ParsedEnvelope): boolean {
  assertParsedEnvelope(env);
  return schnorrVerify(env.proof, env.mu, env.Rx);
}

/** The envelope id `hex(μ)`. */
export function envelopeId(envelope: unknown): string {
  return parseEnvelope(envelope).id;
}

/** Derives k from the shared point Z and opens the AEAD; null if the tag fails. */
export function openWithSharedPoint(env: ParsedEnvelope, Z: GroupPoint): { key: Uint8Array; plaintext: Uint8Array } | null {
  assertParsedEnvelope(env);
  // Hostile partials can sum to ∞ (no encoding); that is a failed open, not a crash.
  if (isIdentity(apoint(Z, 'Z'))) return null;
  const key = envelopeKey(encodePoint(Z), env.Rx, env.epoch, env.labelHash);
  const plaintext = aeadOpen(key, env.nonce, env.ciphertext, boundContext(env.Rx, env.epoch, env.labelHash));
  return plaintext ? { key, plaintext } : null;
}

/** Opens with a per-envelope key k (what the coordinator hands on). */
export function openWithKey(env: ParsedEnvelope, key: Uint8Array): Uint8Array | null {
  assertParsedEnvelope(env);
  return aeadOpen(key, env.nonce, env.ciphertext, boundContext(env.Rx, env.epoch, env.labelHash));
}
