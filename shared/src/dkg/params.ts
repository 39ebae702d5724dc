/**
 * Host keys and session parameters (BIP ChillDKG, "DKG Parties and Inputs";
 * chilldkg.py `hostpubkey_gen`, `params_validate`, `params_hash`).
 *
 * A participant is its 33-byte compressed host public key; the ordered list of
 * the n host public keys and the threshold t are the session parameters, and
 * a participant's identifier is its position in that list.
 */
import { abytes, concatBytes, equalBytes, u32 } from '../crypto/bytes';
import { CURVE_ORDER, decodePoint, encodePoint, mulBase } from '../crypto/group';
import { bytesToBigint } from './codec';
import { DkgError } from './errors';
import { DKG_TAG, dkgHash } from './tags';

/** BIP `SessionParams`: requires 1 ≤ t ≤ n ≤ 2^32 − 1, hostpubkeys distinct valid points. */
interface SessionParams {
  readonly hostpubkeys: readonly Uint8Array[];
  readonly t: number;
}

const MAX_PARTICIPANTS = 0xffffffff;

// ## Argument checks

/** TypeError unless `params` has the shape of SessionParams (values are checked by validateParams). */
function aparams(params: unknown): SessionParams {
  if (typeof params !== 'object' || params === null) throw new TypeError('params must be an object');
  const { hostpubkeys, t } = params as Record<string, unknown>;
  if (!Array.isArray(hostpubkeys)) throw new TypeError('params.hostpubkeys must be an array');
  hostpubkeys.forEach((pk, i) => abytes(pk, undefined, `params.hostpubkeys[${i}]`));
  if (typeof t !== 'number' || !Number.isInteger(t)) throw new TypeError('params.t must be an integer');
  return params as SessionParams;
}

/** The 32-byte host secret key as a scalar; HOST_SECKEY unless it is in [1, n). */
function hostSeckeyScalar(hostseckey: Uint8Array): bigint {
  abytes(hostseckey, 32, 'hostseckey');
  const d = bytesToBigint(hostseckey);
  if (d === 0n || d >= CURVE_ORDER) throw new DkgError('HOST_SECKEY', 'Host secret key is out of range');
  return d;
}

// ## Host keys

/**
 * BIP `hostpubkey_gen`: the plain compressed public key (BIP327
 * IndividualPubkey) of a 32-byte host secret key. RangeError for a wrong
 * length; HOST_SECKEY if int(hostseckey) ∉ [1, n).
 */
function hostpubkeyGen(hostseckey: Uint8Array): Uint8Array {
  return encodePoint(mulBase(hostSeckeyScalar(hostseckey)));
}

// ## Session parameters

/**
 * BIP `params_validate`, in its order: THRESHOLD_OR_COUNT unless
 * 1 ≤ t ≤ n ≤ 2^32 − 1; INVALID_HOSTPUBKEY (first bad one) unless each is a
 * compressed point; DUPLICATE_HOSTPUBKEY (first and second position) for a repeat.
 */
function validateParams(params: SessionParams): void {
  const { hostpubkeys, t } = aparams(params);
  if (!(t >= 1 && t <= hostpubkeys.length && hostpubkeys.length <= MAX_PARTICIPANTS)) {
    throw new DkgError('THRESHOLD_OR_COUNT', `need 1 ≤ t ≤ n ≤ 2^32 − 1, got t = ${t}, n = ${hostpubkeys.length}`);
  }
  hostpubkeys.forEach((pk, i) => {
    try {
      // A wrong length is a participant's bad key too (it came from them), not a caller's bug.
      if (pk.length !== 33) throw new RangeError(`hostpubkeys[${i}] must be 33 bytes`);
      decodePoint(pk, `hostpubkeys[${i}]`);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      throw new DkgError('INVALID_HOSTPUBKEY', `host public key of participant ${i} is invalid`, { participant: i, cause: err });
    }
  });
  const seen = new Map<string, number>();
  hostpubkeys.forEach((pk, i) => {
    const key = Buffer.from(pk).toString('hex');
    const first = seen.get(key);
    if (first !== undefined) {
      throw new DkgError('DUPLICATE_HOSTPUBKEY', `participants ${first} and ${i} have the same host public key`, {
        participants: [first, i],
      });
    }
    seen.set(key, i);
  });
}

/**
 * BIP `params_hash`: H("BIP DKG/params_hash", u32(t) ‖ hostpubkeys[0] ‖ … ‖
 * hostpubkeys[n−1]), 32 bytes, for an out-of-band comparison of the parameters.
 */
function paramsHash(params: SessionParams): Uint8Array {
  validateParams(params);
  return dkgHash(DKG_TAG.paramsHash, u32(params.t), ...params.hostpubkeys);
}

/** The identifier of `hostpubkey` in the list, or −1. */
function participantIndex(hostpubkeys: readonly Uint8Array[], hostpubkey: Uint8Array): number {
  return hostpubkeys.findIndex((pk) => equalBytes(pk, hostpubkey));
}

/** u32(t) ‖ hostpubkeys: the BIP's `serialize_enc_context`, also the params hash input. */
function encContext(t: number, hostpubkeys: readonly Uint8Array[]): Uint8Array {
  return concatBytes(u32(t), ...hostpubkeys);
}

export {
  aparams,
  encContext,
  hostpubkeyGen,
  hostSeckeyScalar,
  MAX_PARTICIPANTS,
  paramsHash,
  participantIndex,
  validateParams,
  type SessionParams,
};
