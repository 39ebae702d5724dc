/**
 * Complaints (docs/PROTOCOL.md §3.9): new custodian j shows that dealer i's
 * sub-share for it is bad without revealing its host secret. It publishes the
 * ECDH point S = hostsec_j·pubnonce_i with a Chaum–Pedersen proof that
 * log_G hostkey_j = log_{pubnonce_i} S (the shape of §3.3):
 *
 *   A = w·G, B = w·pubnonce_i
 *   c = Hs("custodes/v1/reshare complaint", ctx ‖ u8(j) ‖ u8(i) ‖ hostkey_j
 *          ‖ pubnonce_i ‖ ser33(S) ‖ ser33(A) ‖ ser33(B));  z = w + c·hostsec_j
 *   complaint = u8(j) ‖ u8(i) ‖ ser33(S) (33) ‖ c (32) ‖ z (32)    (99 bytes)
 *
 * Anyone verifies the proof, recomputes pad_{i,j} from S, decrypts s_{i,j}
 * and checks it against the dealing's commitments: a sub-share that fails
 * convicts the dealer; a proof that fails or a sub-share that holds convicts
 * the complainer. S only opens sub-shares sent to j under this one nonce.
 */
import { abytes, concatBytes } from '../crypto/bytes';
import { decodePoint, encodePoint, GENERATOR, isIdentity, modN, mul, mulBase, mulPublic, randomScalar, scalarToBytes, subtract } from '../crypto/group';
import type { GroupPoint } from '../crypto/group';
import { hashToScalar } from '../crypto/hash';
import { chunks, POINT_LEN, scalarOrNull, SCALAR_LEN } from './codec';
import { ReshareError } from './errors';
import { checkDealing, openSubshare, receiverOf } from './reshareDealing';
import type { ParsedDealing } from './reshareDealing';
import { RESHARE_TAG } from './reshareParams';
import type { ResolvedParams } from './reshareParams';

const COMPLAINT_LEN = 2 + POINT_LEN + 2 * SCALAR_LEN;

/** Who a complaint convicts. */
type Convicted = 'dealer' | 'complainer';

function challenge(rp: ResolvedParams, j: number, i: number, hostKey: Uint8Array, pubnonce: Uint8Array, S: GroupPoint, A: GroupPoint, B: GroupPoint): bigint {
  return hashToScalar(RESHARE_TAG.complaint, rp.ctx, Uint8Array.of(j, i), hostKey, pubnonce, encodePoint(S), encodePoint(A), encodePoint(B));
}

/**
 * The complaint of the holder of `hostseckey` against `dealing` (made
 * whether or not the sub-share is bad: verifyComplaint decides). `w` may be
 * fixed for known-answer tests only.
 */
function complaintWith(rp: ResolvedParams, hostseckey: Uint8Array, d: ParsedDealing, w: bigint = randomScalar()): Uint8Array {
  const { position, d: sk } = receiverOf(rp, hostseckey);
  const r = rp.receivers[position]!;
  const S = mul(d.R, sk);
  const A = mulBase(w);
  const B = mul(d.R, w);
  const c = challenge(rp, r.index, d.dealer, r.hostKey, d.pubnonce, S, A, B);
  const z = modN(w + c * sk);
  return concatBytes(Uint8Array.of(r.index, d.dealer), encodePoint(S), scalarToBytes(c), scalarToBytes(z));
}

/** Holder position and S of a complaint whose proof verifies; null for anything else. */
function provenPoint(rp: ResolvedParams, d: ParsedDealing, complaint: Uint8Array): { position: number; S: GroupPoint } | null {
  if (complaint.length !== COMPLAINT_LEN || complaint[1] !== d.dealer) return null;
  const position = rp.receivers.findIndex((r) => r.index === complaint[0]);
  if (position < 0) return null;
  const r = rp.receivers[position]!;
  let S: GroupPoint;
  try {
    S = decodePoint(complaint.subarray(2, 2 + POINT_LEN), 'S');
  } catch (err) {
    if (err instanceof RangeError) return null;
    throw err;
  }
  const [c, z] = chunks(complaint, 2 + POINT_LEN, SCALAR_LEN, 2).map(scalarOrNull);
  if (c === null || z === null || c === undefined || z === undefined) return null;
  const H = decodePoint(r.hostKey, 'hostKey');
  const A = subtract(mulPublic(GENERATOR, z), mulPublic(H, c));
  const B = subtract(mulPublic(d.R, z), mulPublic(S, c));
  if (isIdentity(A) || isIdentity(B)) return null;
  return challenge(rp, r.index, d.dealer, r.hostKey, d.pubnonce, S, A, B) === c ? { position, S } : null;
}

/**
 * Who `complaint` against `dealing` convicts: 'dealer' if the dealing fails
 * its public checks or the proven sub-share fails its commitment;
 * 'complainer' if the complaint is malformed, names another dealer or a
 * non-member, its proof fails, or the sub-share is good.
 */
function judgeComplaint(rp: ResolvedParams, dealing: Uint8Array, complaint: Uint8Array): Convicted {
  abytes(dealing, undefined, 'dealing');
  abytes(complaint, undefined, 'complaint');
  let d: ParsedDealing;
  try {
    d = checkDealing(rp, dealing);
  } catch (err) {
    if (err instanceof ReshareError) return 'dealer';
    throw err;
  }
  const proven = provenPoint(rp, d, complaint);
  if (proven === null) return 'complainer';
  return openSubshare(rp, d, proven.position, proven.S) === null ? 'dealer' : 'complainer';
}

export { COMPLAINT_LEN, complaintWith, judgeComplaint, type Convicted };
