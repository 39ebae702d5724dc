/**
 * BIP340 with a tag prefix: the BIP's `schnorr_sign(msg, seckey, aux_rand,
 * tag_prefix)` (secp256k1lab/bip340.py), where the tags "BIP0340/aux",
 * "/nonce" and "/challenge" become `tag_prefix + "/aux"` and so on.
 *
 * Why not group.ts's schnorrSign: ChillDKG's proof of possession is signed
 * under the prefix "BIP DKG/pop message" (BIP, SimplPedPop step 1), so that a
 * pop can never be replayed as an ordinary BIP340 signature; libsecp256k1 and
 * noble only sign with "BIP0340". With the prefix "BIP0340" this is BIP340
 * itself (test/dkg checks it against group.ts and the BIP340 vectors).
 */
import { abytes, concatBytes, equalBytes } from '../crypto/bytes';
import { taggedHash } from '../crypto/hash';
import {
  GENERATOR,
  hasEvenY,
  isIdentity,
  liftX,
  modN,
  mulBase,
  mulPublic,
  negateScalar,
  scalarToBytes,
  subtract,
  xOnly,
} from '../crypto/group';
import type { GroupPoint } from '../crypto/group';
import { bytesToBigint, scalarOrNull } from './codec';

function atagPrefix(tagPrefix: unknown): string {
  if (typeof tagPrefix !== 'string' || tagPrefix.length === 0) throw new TypeError('tagPrefix must be a non-empty string');
  return tagPrefix;
}

/**
 * BIP340 Sign with tags under `tagPrefix`. Requires secretKey ∈ [1, n) as
 * 32 bytes big-endian and 32 bytes of `aux`.
 */
function schnorrSignPrefixed(message: Uint8Array, secretKey: Uint8Array, aux: Uint8Array, tagPrefix: string): Uint8Array {
  abytes(message, undefined, 'message');
  abytes(secretKey, 32, 'secretKey');
  abytes(aux, 32, 'aux');
  atagPrefix(tagPrefix);
  const d0 = scalarOrNull(secretKey);
  if (d0 === null || d0 === 0n) throw new RangeError('secretKey must be in [1, n)');
  const P = mulBase(d0);
  // BIP340: sign with the key whose point has even y, so the x-only key verifies.
  const d = hasEvenY(P) ? d0 : negateScalar(d0);
  const masked = taggedHash(`${tagPrefix}/aux`, aux);
  const dBytes = scalarToBytes(d);
  const t = masked.map((b, i) => b ^ dBytes[i]!);
  const Px = xOnly(P);
  const k0 = modN(bytesToBigint(taggedHash(`${tagPrefix}/nonce`, t, Px, message)));
  if (k0 === 0n) throw new Error('BIP340 nonce is zero (negligible probability)');
  const R = mulBase(k0);
  const k = hasEvenY(R) ? k0 : negateScalar(k0);
  const Rx = xOnly(R);
  const e = modN(bytesToBigint(taggedHash(`${tagPrefix}/challenge`, Rx, Px, message)));
  return concatBytes(Rx, scalarToBytes(modN(k + e * d)));
}

/** BIP340 Verify with tags under `tagPrefix` (arguments in group.ts schnorrVerify's order); false for anything malformed or invalid. */
function schnorrVerifyPrefixed(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array, tagPrefix: string): boolean {
  atagPrefix(tagPrefix);
  if (!(message instanceof Uint8Array)) return false;
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
  let P: GroupPoint;
  try {
    P = liftX(publicKey, 'publicKey'); // BIP340: fail if lift_x(pk) fails
  } catch (err) {
    if (err instanceof RangeError) return false;
    throw err;
  }
  const rx = signature.subarray(0, 32);
  const s = scalarOrNull(signature.subarray(32));
  if (s === null) return false; // BIP340: fail if s ≥ n
  const e = modN(bytesToBigint(taggedHash(`${tagPrefix}/challenge`, rx, publicKey, message)));
  const R = subtract(mulPublic(GENERATOR, s), mulPublic(P, e));
  // BIP340: fail if R = ∞, y(R) odd or x(R) ≠ r; r ≥ p never equals an x(R) < p.
  if (isIdentity(R) || !hasEvenY(R)) return false;
  return equalBytes(xOnly(R), rx);
}

export { schnorrSignPrefixed, schnorrVerifyPrefixed };
