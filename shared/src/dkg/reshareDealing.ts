/**
 * A reshare dealing (docs/PROTOCOL.md §3.9): old custodian i, at point p_i
 * with share x_i, shares x_i again among the new committee.
 *
 *   f_i(Z) = x_i + a_1·Z + … + a_{t_N−1}·Z^{t_N−1};  C_{i,k} = a_k·G (C_{i,0} = x_i·G = X_i)
 *   s_{i,j} = f_i(q_j);  enc_{i,j} = s_{i,j} + pad_{i,j} mod n
 *   pad_{i,j} = int(H("custodes/v1/reshare ecdh", SHA256(ser33(secnonce_i·hostkey_j))
 *               ‖ pubnonce_i ‖ hostkey_j ‖ u32(q_j) ‖ ctx)) mod n      (dkg/pad.ts)
 *
 *   dealing = u8(i) ‖ pubnonce_i (33) ‖ C_{i,0} … C_{i,t_N−1} (33·t_N)
 *             ‖ enc_{i,j} for j in the new committee's rank order (32·n_N)
 *
 * No proof of possession: C_{i,0} must equal the logged X_i, so a dealer can
 * only deal the share it holds, never a chosen one. Dealings come from the
 * log and are attacker-controlled where they are parsed.
 */
import { abytes, concatBytes, equalBytes, u32 } from '../crypto/bytes';
import { decodePoint, encodePoint, modN, mul, mulBase, pointEquals, scalarFromBytes, scalarToBytes } from '../crypto/group';
import type { GroupPoint } from '../crypto/group';
import { taggedHash } from '../crypto/hash';
import { verificationShare } from '../crypto/shares';
import { chunks, POINT_LEN, scalarOrNull, SCALAR_LEN } from './codec';
import { DkgError, ReshareError } from './errors';
import { padFromSharedPoint } from './pad';
import { hostSeckeyScalar } from './params';
import { RESHARE_TAG } from './reshareParams';
import type { ResolvedParams } from './reshareParams';
import { evalPolynomial, mulBaseOrIdentity } from './vss';

/** A dealing decoded once; its constant term is already checked against X_i. */
interface ParsedDealing {
  readonly dealer: number;
  readonly pubnonce: Uint8Array;
  readonly R: GroupPoint;
  readonly commitments: readonly GroupPoint[];
  readonly encShares: readonly bigint[];
}

/** 1 + 33 + 33·t_N + 32·n_N. */
function dealingLength(rp: ResolvedParams): number {
  return 1 + POINT_LEN + POINT_LEN * rp.params.newThreshold + SCALAR_LEN * rp.receivers.length;
}

// ## Pads

/** u32(q_j) ‖ ctx: the recipient's point first (BIP ChillDKG's multi-recipient KEM). */
function padContext(rp: ResolvedParams, point: number): Uint8Array {
  return concatBytes(u32(point), rp.ctx);
}

/** pad_{i,j} from the ECDH point S = secnonce_i·hostkey_j = hostsec_j·pubnonce_i. */
function resharePad(rp: ResolvedParams, S: GroupPoint, pubnonce: Uint8Array, receiver: number): bigint {
  const r = rp.receivers[receiver]!;
  return padFromSharedPoint(RESHARE_TAG.ecdh, S, pubnonce, r.hostKey, padContext(rp, r.point));
}

// ## Dealing

/**
 * Old custodian `dealer` deals its 32-byte `share` x_i. `random` is 32
 * fresh random bytes; the coefficients and the nonce are derived from
 * seed = H("custodes/v1/reshare seed", x_i ‖ random ‖ ctx), so the same pads
 * never encrypt two different sets of sub-shares. Throws SHARE_MISMATCH if
 * x_i·G ≠ X_i (a custodian with a bad share must not deal), BAD_PARAMS if
 * `dealer` is not in the old committee.
 */
function dealWith(rp: ResolvedParams, share: Uint8Array, dealer: number, random: Uint8Array): Uint8Array {
  abytes(share, 32, 'share');
  abytes(random, 32, 'random');
  if (random.every((b) => b === 0)) throw new RangeError('random must not be all zero');
  const me = rp.old.get(dealer);
  if (!me) throw new ReshareError('BAD_PARAMS', `custodian ${dealer} is not in the old committee`);
  const x = scalarFromBytes(share, 'share');
  if (x === 0n || !pointEquals(mulBase(x), me.X)) {
    throw new ReshareError('SHARE_MISMATCH', `the share of custodian ${dealer} does not match its public share`, { dealer });
  }
  const seed = taggedHash(RESHARE_TAG.seed, share, random, rp.ctx);
  const coefficients = [x];
  for (let k = 1; k < rp.params.newThreshold; k++) {
    coefficients.push(scalarFromBytes(taggedHash(RESHARE_TAG.coeffs, seed, u32(k)), 'reshare coefficient'));
  }
  const secnonce = scalarFromBytes(taggedHash(RESHARE_TAG.secnonce, seed), 'secnonce');
  if (secnonce === 0n) throw new Error('reshare nonce is zero (negligible probability)');
  const pubnonce = encodePoint(mulBase(secnonce));
  const commitments = coefficients.map((a, k) => (k === 0 ? me.X : mulBaseOrIdentity(a)));
  const encShares = rp.receivers.map((r, j) => {
    const s = evalPolynomial(coefficients, BigInt(r.point));
    const S = mul(decodePoint(r.hostKey, 'hostKey'), secnonce);
    return modN(s + resharePad(rp, S, pubnonce, j));
  });
  coefficients.fill(0n);
  return concatBytes(Uint8Array.of(dealer), pubnonce, ...commitments.map(encodePoint), ...encShares.map(scalarToBytes));
}

// ## Public checks

/**
 * Parses a dealing and checks what anyone can: the length for these
 * parameters, a dealer of the old committee (`expectedDealer` if given),
 * pubnonce and commitments points (not ∞), encrypted sub-shares < n
 * (BAD_DEALING), and C_{i,0} = X_i (DEALING_CONSTANT_MISMATCH).
 */
function checkDealing(rp: ResolvedParams, dealing: Uint8Array, expectedDealer?: number): ParsedDealing {
  abytes(dealing, undefined, 'dealing');
  const dealer = dealing[0] ?? 0;
  const fail = (message: string, cause?: unknown) =>
    new ReshareError('BAD_DEALING', `dealing of custodian ${dealer}: ${message}`, cause === undefined ? { dealer } : { dealer, cause });
  if (expectedDealer !== undefined && dealer !== expectedDealer) throw fail(`expected a dealing of custodian ${expectedDealer}`);
  const me = rp.old.get(dealer);
  if (!me) throw fail('not a custodian of the old epoch');
  if (dealing.length !== dealingLength(rp)) throw fail(`must be ${dealingLength(rp)} bytes, got ${dealing.length}`);
  const t = rp.params.newThreshold;
  let R: GroupPoint;
  let commitments: GroupPoint[];
  try {
    R = decodePoint(dealing.subarray(1, 1 + POINT_LEN), 'pubnonce');
    commitments = chunks(dealing, 1 + POINT_LEN, POINT_LEN, t).map((b, k) => decodePoint(b, `commitment ${k}`));
  } catch (err) {
    if (err instanceof RangeError) throw fail(err.message, err);
    throw err;
  }
  const encShares = chunks(dealing, 1 + POINT_LEN * (t + 1), SCALAR_LEN, rp.receivers.length).map(scalarOrNull);
  if (encShares.some((s) => s === null)) throw fail('an encrypted sub-share is not below n');
  if (!pointEquals(commitments[0]!, me.X)) {
    throw new ReshareError('DEALING_CONSTANT_MISMATCH', `dealing of custodian ${dealer}: C_0 is not its public share X_${dealer}`, { dealer });
  }
  return { dealer, pubnonce: dealing.slice(1, 1 + POINT_LEN), R, commitments, encShares: encShares as bigint[] };
}

/** Σ_k q^k·C_{i,k}: what s_{i,j}·G must be (the §3.1 formula at the receiver's point). */
function expectedSubshare(d: ParsedDealing, point: number): GroupPoint {
  return verificationShare(d.commitments, point);
}

/** s_{i,j} decrypted with the ECDH point S; null if it fails its commitment. */
function openSubshare(rp: ResolvedParams, d: ParsedDealing, receiver: number, S: GroupPoint): bigint | null {
  const s = modN(d.encShares[receiver]! - resharePad(rp, S, d.pubnonce, receiver));
  return pointEquals(mulBaseOrIdentity(s), expectedSubshare(d, rp.receivers[receiver]!.point)) ? s : null;
}

/** The receiver position (rank − 1) of the holder of `hostseckey`; HOST_SECKEY if none. */
function receiverOf(rp: ResolvedParams, hostseckey: Uint8Array): { position: number; d: bigint } {
  let d: bigint;
  try {
    d = hostSeckeyScalar(hostseckey);
  } catch (err) {
    if (err instanceof DkgError) throw new ReshareError('HOST_SECKEY', err.message, { cause: err });
    throw err;
  }
  const pk = encodePoint(mulBase(d));
  const position = rp.receivers.findIndex((r) => equalBytes(r.hostKey, pk));
  if (position < 0) throw new ReshareError('HOST_SECKEY', 'the host secret key is not one of the new committee');
  return { position, d };
}

export { checkDealing, dealingLength, dealWith, expectedSubshare, openSubshare, receiverOf, resharePad, type ParsedDealing };
