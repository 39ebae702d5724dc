/**
 * Session parameters of a reshare (docs/PROTOCOL.md §3.9): old epoch O
 * (threshold t_O, its custodians' indices and public shares X_i) into new
 * epoch N (threshold t_N, its custodians' indices and host keys), keeping
 * the group key Y. Their byte form is the start of the recovery data, and
 * its hash is the context every pad, complaint and signature binds:
 *
 *   params = u32(O) ‖ u32(N) ‖ session (16) ‖ u8(t_O) ‖ u8(t_N) ‖ ser33(Y)
 *            ‖ u8(n_O) ‖ (u8(i) ‖ ser33(X_i)) × n_O      (indices ascending)
 *            ‖ u8(n_N) ‖ (u8(j) ‖ ser33(hostkey_j)) × n_N (indices ascending)
 *   ctx    = H("custodes/v1/reshare", params)
 *
 * A custodian's evaluation point is its RANK in its epoch (§3.1,
 * crypto/points.ts): p_i in O for a dealer, q_j in N for a receiver.
 */
import { abytes, concatBytes, equalBytes, u32 } from '../crypto/bytes';
import { decodePoint } from '../crypto/group';
import type { GroupPoint } from '../crypto/group';
import { taggedHash } from '../crypto/hash';
import { evaluationPoints } from '../crypto/points';
import { MAX_CUSTODIANS } from '../crypto/shares';
import { POINT_LEN, readU32 } from './codec';
import { ReshareError } from './errors';

/** Tags of §3.9 (docs/PROTOCOL.md §6). */
const RESHARE_TAG = {
  context: 'custodes/v1/reshare',
  seed: 'custodes/v1/reshare seed',
  coeffs: 'custodes/v1/reshare coeffs',
  secnonce: 'custodes/v1/reshare secnonce',
  ecdh: 'custodes/v1/reshare ecdh',
  complaint: 'custodes/v1/reshare complaint',
  transcript: 'custodes/v1/reshare transcript',
} as const;

const SESSION_LEN = 16;
const MAX_EPOCH = 0xffffffff;

interface OldCustodian {
  readonly index: number;
  /** X_i, ser33: the public share logged for epoch O. */
  readonly publicShare: Uint8Array;
}

interface NewCustodian {
  readonly index: number;
  /** The ChillDKG host public key (ser33) the sub-shares are encrypted to and the certificate is signed by. */
  readonly hostKey: Uint8Array;
}

/** Requires O < N; 1 ≤ t ≤ n ≤ 255 for both epochs; each committee strictly ascending by index. */
interface ReshareParams {
  readonly oldEpoch: number;
  readonly newEpoch: number;
  /** The 16 bytes of the session's UUID (uuidBytes). */
  readonly session: Uint8Array;
  readonly oldThreshold: number;
  readonly newThreshold: number;
  /** Y, ser33. */
  readonly groupKey: Uint8Array;
  readonly oldCommittee: readonly OldCustodian[];
  readonly newCommittee: readonly NewCustodian[];
}

/** Parameters with their points decoded once, the evaluation points and the context hash. */
interface ResolvedParams {
  readonly params: ReshareParams;
  readonly bytes: Uint8Array;
  readonly ctx: Uint8Array;
  readonly Y: GroupPoint;
  /** Old index → (p_i, X_i). */
  readonly old: ReadonlyMap<number, { readonly point: number; readonly X: GroupPoint }>;
  /** New custodians in rank order: q_j = position + 1. */
  readonly receivers: readonly { readonly index: number; readonly point: number; readonly hostKey: Uint8Array }[];
}

// ## Argument checks

const bad = (message: string, cause?: unknown) => new ReshareError('BAD_PARAMS', message, cause === undefined ? {} : { cause });

function aint(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`${name} must be an integer`);
  return value;
}

/** TypeError unless `params` has the shape of ReshareParams (values: validateReshareParams). */
function areshareParams(params: unknown): ReshareParams {
  if (typeof params !== 'object' || params === null) throw new TypeError('params must be an object');
  const p = params as Record<string, unknown>;
  for (const k of ['oldEpoch', 'newEpoch', 'oldThreshold', 'newThreshold']) aint(p[k], `params.${k}`);
  abytes(p.session, undefined, 'params.session');
  abytes(p.groupKey, undefined, 'params.groupKey');
  for (const [name, key] of [
    ['oldCommittee', 'publicShare'],
    ['newCommittee', 'hostKey'],
  ] as const) {
    const list = p[name];
    if (!Array.isArray(list)) throw new TypeError(`params.${name} must be an array`);
    list.forEach((c: unknown, i) => {
      if (typeof c !== 'object' || c === null) throw new TypeError(`params.${name}[${i}] must be an object`);
      aint((c as Record<string, unknown>).index, `params.${name}[${i}].index`);
      abytes((c as Record<string, unknown>)[key], undefined, `params.${name}[${i}].${key}`);
    });
  }
  return params as ReshareParams;
}

function point(bytes: Uint8Array, name: string): GroupPoint {
  try {
    if (bytes.length !== POINT_LEN) throw new RangeError(`${name} must be ${POINT_LEN} bytes`);
    return decodePoint(bytes, name);
  } catch (err) {
    if (err instanceof RangeError) throw bad(`${name} is not a point on secp256k1`, err);
    throw err;
  }
}

function committeePoints(indices: readonly number[], name: string): Map<number, number> {
  if (indices.length === 0 || indices.length > MAX_CUSTODIANS) throw bad(`${name} must have 1 to ${MAX_CUSTODIANS} custodians`);
  if (indices.some((x, k) => x < 1 || x > MAX_CUSTODIANS || (k > 0 && x <= indices[k - 1]!))) {
    throw bad(`${name} indices must be strictly ascending in [1, ${MAX_CUSTODIANS}]`);
  }
  return evaluationPoints(indices);
}

// ## Validation and encoding

/**
 * Checks the values (BAD_PARAMS naming the first problem), decodes the
 * points and computes the evaluation points and ctx. TypeError for a wrong shape.
 */
function resolveParams(params: ReshareParams): ResolvedParams {
  const p = areshareParams(params);
  if (p.session.length !== SESSION_LEN) throw bad(`session must be ${SESSION_LEN} bytes`);
  if (p.oldEpoch < 0 || p.newEpoch > MAX_EPOCH || p.oldEpoch >= p.newEpoch) throw bad('need 0 ≤ oldEpoch < newEpoch ≤ 2^32 − 1');
  const nO = p.oldCommittee.length;
  const nN = p.newCommittee.length;
  if (!(p.oldThreshold >= 1 && p.oldThreshold <= nO)) throw bad(`need 1 ≤ t_O ≤ n_O, got t_O = ${p.oldThreshold}, n_O = ${nO}`);
  if (!(p.newThreshold >= 1 && p.newThreshold <= nN)) throw bad(`need 1 ≤ t_N ≤ n_N, got t_N = ${p.newThreshold}, n_N = ${nN}`);
  const oldPoints = committeePoints(
    p.oldCommittee.map((c) => c.index),
    'oldCommittee',
  );
  const newPoints = committeePoints(
    p.newCommittee.map((c) => c.index),
    'newCommittee',
  );
  const Y = point(p.groupKey, 'groupKey');
  const old = new Map(p.oldCommittee.map((c) => [c.index, { point: oldPoints.get(c.index)!, X: point(c.publicShare, `public share of ${c.index}`) }] as const));
  p.newCommittee.forEach((c) => point(c.hostKey, `host key of ${c.index}`));
  p.newCommittee.forEach((c, k) => {
    const twin = p.newCommittee.findIndex((d) => equalBytes(d.hostKey, c.hostKey));
    if (twin !== k) throw bad(`custodians ${p.newCommittee[twin]!.index} and ${c.index} have the same host key`);
  });
  const receivers = p.newCommittee.map((c) => ({ index: c.index, point: newPoints.get(c.index)!, hostKey: c.hostKey }));
  const bytes = encodeParams(p);
  return { params: p, bytes, ctx: taggedHash(RESHARE_TAG.context, bytes), Y, old, receivers };
}

/** The params bytes of the header (values already checked). */
function encodeParams(p: ReshareParams): Uint8Array {
  const u8 = (x: number) => Uint8Array.of(x);
  return concatBytes(
    u32(p.oldEpoch),
    u32(p.newEpoch),
    p.session,
    u8(p.oldThreshold),
    u8(p.newThreshold),
    p.groupKey,
    u8(p.oldCommittee.length),
    ...p.oldCommittee.flatMap((c) => [u8(c.index), c.publicShare]),
    u8(p.newCommittee.length),
    ...p.newCommittee.flatMap((c) => [u8(c.index), c.hostKey]),
  );
}

/**
 * Reads params from the start of `bytes`; returns them and the offset just
 * after. RECOVERY_DATA if too short (values are checked by resolveParams).
 */
function decodeParams(bytes: Uint8Array): { params: ReshareParams; end: number } {
  const short = () => new ReshareError('RECOVERY_DATA', 'recovery data is too short for its parameters');
  let at = 0;
  const take = (len: number) => {
    if (at + len > bytes.length) throw short();
    const out = bytes.slice(at, at + len);
    at += len;
    return out;
  };
  const oldEpoch = readU32(take(4), 0);
  const newEpoch = readU32(take(4), 0);
  const session = take(SESSION_LEN);
  const oldThreshold = take(1)[0]!;
  const newThreshold = take(1)[0]!;
  const groupKey = take(POINT_LEN);
  const committee = () => Array.from({ length: take(1)[0]! }, () => ({ index: take(1)[0]!, key: take(POINT_LEN) }));
  const oldCommittee = committee().map((c) => ({ index: c.index, publicShare: c.key }));
  const newCommittee = committee().map((c) => ({ index: c.index, hostKey: c.key }));
  return { params: { oldEpoch, newEpoch, session, oldThreshold, newThreshold, groupKey, oldCommittee, newCommittee }, end: at };
}

/** The 16 bytes of a lower-case RFC 9562 UUID (the session id of §4.2 entries). */
function uuidBytes(uuid: string): Uint8Array {
  if (typeof uuid !== 'string') throw new TypeError('uuid must be a string');
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(uuid)) throw new RangeError('uuid must be a lower-case UUID');
  return Uint8Array.from(Buffer.from(uuid.replaceAll('-', ''), 'hex'));
}

/** The inverse of uuidBytes. */
function uuidString(bytes: Uint8Array): string {
  const h = Buffer.from(abytes(bytes, SESSION_LEN, 'session')).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export {
  decodeParams,
  RESHARE_TAG,
  resolveParams,
  uuidBytes,
  uuidString,
  type NewCustodian,
  type OldCustodian,
  type ReshareParams,
  type ResolvedParams,
};
