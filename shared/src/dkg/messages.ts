/**
 * The ChillDKG wire formats, byte for byte as the BIP's reference
 * (chilldkg.py, encpedpop.py, simplpedpop.py `to_bytes`/`from_bytes`); each
 * layer's fields follow the inner layer's:
 *
 *   pmsg1 = com (33·t) ‖ pop (64) ‖ pubnonce (33) ‖ enc_shares (32·n)
 *   cmsg1 = coms_to_secrets (33·n) ‖ sum_coms_to_nonconst_terms (33·(t−1))
 *           ‖ pops (64·n) ‖ pubnonces (33·n) ‖ enc_secshares (32·n)
 *   pmsg2 = sig (64)                cmsg2 = cert = sig_0 ‖ … ‖ sig_{n−1} (64·n)
 *   cinv  = enc_partial_secshares (32·n) ‖ partial_pubshares (33·n)
 *   recovery data = eq_input ‖ cert, with
 *   eq_input = u32(t) ‖ sum_coms (33·t) ‖ hostpubkeys (33·n) ‖ pubnonces (33·n)
 *              ‖ enc_secshares (32·n)
 *
 * Points are 33 bytes with ∞ as zeros; scalars must be < n. Messages come
 * from the network and are attacker-controlled: a wrong total length is a
 * RangeError (the BIP's ValueError: the transport framed it wrongly), a bad
 * field inside is a MalformedMessage, which the caller turns into blame.
 * Pubnonces and pops are carried as bytes: the BIP checks them only where
 * they are used (ECDH, pop verification), which decides whom to blame.
 */
import { abytes, concatBytes, u32 } from '../crypto/bytes';
import { scalarToBytes } from '../crypto/group';
import type { GroupPoint } from '../crypto/group';
import { chunks, decodePointOrInfinity, encodePointOrInfinity, POINT_LEN, readU32, scalarOrNull, SCALAR_LEN, SIG_LEN } from './codec';

/** A field of a received message does not parse (the BIP's MsgParseError); carries the BIP's reason. */
class MalformedMessage extends Error {}

// ## Field readers

function readPoints(bytes: Uint8Array, offset: number, count: number, reason: string): GroupPoint[] {
  return chunks(bytes, offset, POINT_LEN, count).map((b, i) => {
    try {
      return decodePointOrInfinity(b, `point ${i}`);
    } catch (err) {
      if (err instanceof RangeError) throw new MalformedMessage(reason, { cause: err });
      throw err;
    }
  });
}

function readScalars(bytes: Uint8Array, offset: number, count: number, reason: string): bigint[] {
  return chunks(bytes, offset, SCALAR_LEN, count).map((b) => {
    const k = scalarOrNull(b);
    if (k === null) throw new MalformedMessage(reason);
    return k;
  });
}

function alength(bytes: Uint8Array, length: number, name: string): void {
  abytes(bytes, undefined, name);
  if (bytes.length !== length) throw new RangeError(`${name} must be ${length} bytes, got ${bytes.length}`);
}

const points = (ps: readonly GroupPoint[]) => ps.map(encodePointOrInfinity);
const scalars = (ks: readonly bigint[]) => ks.map(scalarToBytes);

// ## Participant message 1

interface Pmsg1 {
  readonly com: readonly GroupPoint[];
  readonly pop: Uint8Array;
  readonly pubnonce: Uint8Array;
  readonly encShares: readonly bigint[];
}

const pmsg1Length = (t: number, n: number) => 33 * t + 64 + 33 + 32 * n;

function encodePmsg1(m: Pmsg1): Uint8Array {
  return concatBytes(...points(m.com), m.pop, m.pubnonce, ...scalars(m.encShares));
}

function parsePmsg1(bytes: Uint8Array, t: number, n: number, name = 'pmsg1'): Pmsg1 {
  alength(bytes, pmsg1Length(t, n), name);
  const com = readPoints(bytes, 0, t, 'invalid VSS commitment');
  let off = 33 * t;
  const pop = bytes.slice(off, off + SIG_LEN);
  off += SIG_LEN;
  const pubnonce = bytes.slice(off, off + POINT_LEN);
  off += POINT_LEN;
  const encShares = readScalars(bytes, off, n, 'invalid encrypted secret share');
  return { com, pop, pubnonce, encShares };
}

// ## Coordinator message 1

interface Cmsg1 {
  readonly comsToSecrets: readonly GroupPoint[];
  readonly sumComsToNonconstTerms: readonly GroupPoint[];
  readonly pops: readonly Uint8Array[];
  readonly pubnonces: readonly Uint8Array[];
  readonly encSecshares: readonly bigint[];
}

const cmsg1Length = (t: number, n: number) => 162 * n + 33 * (t - 1);

function encodeCmsg1(m: Cmsg1): Uint8Array {
  return concatBytes(
    ...points(m.comsToSecrets),
    ...points(m.sumComsToNonconstTerms),
    ...m.pops,
    ...m.pubnonces,
    ...scalars(m.encSecshares),
  );
}

function parseCmsg1(bytes: Uint8Array, t: number, n: number): Cmsg1 {
  alength(bytes, cmsg1Length(t, n), 'cmsg1');
  let off = 0;
  const comsToSecrets = readPoints(bytes, off, n, 'invalid commitment to secret');
  off += 33 * n;
  const sumComsToNonconstTerms = readPoints(bytes, off, t - 1, 'invalid sum commitment to non-constant term');
  off += 33 * (t - 1);
  const pops = chunks(bytes, off, SIG_LEN, n);
  off += 64 * n;
  const pubnonces = chunks(bytes, off, POINT_LEN, n);
  off += 33 * n;
  const encSecshares = readScalars(bytes, off, n, 'invalid encrypted secret shares');
  return { comsToSecrets, sumComsToNonconstTerms, pops, pubnonces, encSecshares };
}

// ## Round 2: signatures and the certificate

function parsePmsg2(bytes: Uint8Array, name = 'pmsg2'): Uint8Array {
  alength(bytes, SIG_LEN, name);
  return bytes;
}

/** The certificate: the n signatures in participant order. */
function parseCmsg2(bytes: Uint8Array, n: number): Uint8Array[] {
  alength(bytes, SIG_LEN * n, 'cmsg2');
  return chunks(bytes, 0, SIG_LEN, n);
}

// ## Investigation message

interface Cinv {
  readonly encPartialSecshares: readonly bigint[];
  readonly partialPubshares: readonly GroupPoint[];
}

const cinvLength = (n: number) => 65 * n;

function encodeCinv(m: Cinv): Uint8Array {
  return concatBytes(...scalars(m.encPartialSecshares), ...points(m.partialPubshares));
}

function parseCinv(bytes: Uint8Array, n: number): Cinv {
  alength(bytes, cinvLength(n), 'cinv');
  const encPartialSecshares = readScalars(bytes, 0, n, 'invalid encrypted partial secshare');
  const partialPubshares = readPoints(bytes, 32 * n, n, 'invalid partial pubshare');
  return { encPartialSecshares, partialPubshares };
}

// ## Transcript and recovery data

interface Transcript {
  readonly t: number;
  readonly sumComs: readonly GroupPoint[];
  readonly hostpubkeys: readonly Uint8Array[];
  readonly pubnonces: readonly Uint8Array[];
  readonly encSecshares: readonly bigint[];
}

/** eq_input, the transcript all participants sign (BIP "Facilitating Backup and Recovery"). */
function encodeEqInput(x: Transcript): Uint8Array {
  return concatBytes(u32(x.t), ...points(x.sumComs), ...x.hostpubkeys, ...x.pubnonces, ...scalars(x.encSecshares));
}

/**
 * BIP `deserialize_recovery_data`: t from the first 4 bytes, then n from the
 * remaining length (33 + 33 + 32 + 64 bytes per participant). Returns the
 * transcript, its bytes (what the certificate signs) and the certificate;
 * MalformedMessage for anything that does not parse.
 */
function parseRecoveryData(bytes: Uint8Array): { transcript: Transcript; eqInput: Uint8Array; cert: Uint8Array[] } {
  abytes(bytes, undefined, 'recoveryData');
  if (bytes.length < 4) throw new MalformedMessage('recovery data shorter than 4 bytes');
  const t = readU32(bytes, 0);
  // Compare before multiplying out: t is attacker-chosen up to 2^32 − 1.
  if ((bytes.length - 4) / 33 < t) throw new MalformedMessage('recovery data too short for t commitments');
  const sumComs = readPoints(bytes, 4, t, 'invalid sum commitment');
  let off = 4 + 33 * t;
  const rest = bytes.length - off;
  const perParticipant = 33 + 33 + 32 + 64;
  if (rest % perParticipant !== 0) throw new MalformedMessage('recovery data has a partial participant');
  const n = rest / perParticipant;
  const hostpubkeys = chunks(bytes, off, POINT_LEN, n);
  off += 33 * n;
  const pubnonces = chunks(bytes, off, POINT_LEN, n);
  off += 33 * n;
  const encSecshares = readScalars(bytes, off, n, 'invalid encrypted secret share');
  off += 32 * n;
  return {
    transcript: { t, sumComs, hostpubkeys, pubnonces, encSecshares },
    eqInput: bytes.slice(0, off),
    cert: chunks(bytes, off, SIG_LEN, n),
  };
}

export {
  cinvLength,
  cmsg1Length,
  encodeCinv,
  encodeCmsg1,
  encodeEqInput,
  encodePmsg1,
  MalformedMessage,
  parseCinv,
  parseCmsg1,
  parseCmsg2,
  parsePmsg1,
  parsePmsg2,
  parseRecoveryData,
  pmsg1Length,
  type Cinv,
  type Cmsg1,
  type Pmsg1,
  type Transcript,
};
