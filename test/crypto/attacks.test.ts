/**
 * One negative test per attack on docs/PROTOCOL.md §3 (goals 4, 5 and 9 of §1), each
 * asserting the exact failure: `false`, `null` or a ProtocolError code.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bytesToHex,
  checkThreshold,
  combineAndOpen,
  createPartial,
  CURVE_ORDER,
  dealShares,
  decodePoint,
  encodePoint,
  hexToBytes,
  lagrangeCoefficients,
  liftX,
  mulBase,
  parseEnvelope,
  parsePartial,
  randomSecretKey,
  schnorrSign,
  sealEnvelope,
  utf8,
  verifyBinding,
  verifyPartial,
} from '@custodes/shared/crypto';
import type { Envelope, Label, ParsedEnvelope, Partial } from '@custodes/shared/crypto';
import { parsePublicKeySet, parseShareFile } from '@custodes/shared/records';
import { ceremony, expectProtocolError, flipBase64, flipHex, hex32, invMod, seal, shareOf } from './helpers';
import type { Fixture } from './helpers';

const LABEL: Label = { subject: 'acct:alice@example.org', category: 'messages', time: 1764115200 };
const OTHER: Label = { subject: 'acct:bob@example.org', category: 'messages', time: 1764115200 };
const TEXT = 'meet at the usual place';
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

let f: Fixture;
let envelope: Envelope;
let env: ParsedEnvelope;
/** Honest partials of custodians 1..5 for `env` (index i at position i−1). */
let P: Partial[];
const partial = (i: number): Partial => P[i - 1]!;
const X = (i: number) => f.keys.verificationShares.get(i)!;

beforeAll(() => {
  f = ceremony(3, 5, 1);
  ({ envelope, env } = seal(f, TEXT, LABEL));
  P = [1, 2, 3, 4, 5].map((i) => createPartial(shareOf(f, i).share, i, env));
});

describe('envelope binding (§3.2, §1 goal 4)', () => {
  it('relabelled envelope: binding fails, and even honest partials for it do not decrypt', () => {
    for (const label of [OTHER, { ...LABEL, category: 'photos' }, { ...LABEL, time: LABEL.time + 1 }]) {
      const forged = parseEnvelope({ ...envelope, label });
      expect(verifyBinding(forged)).toBe(false);
      // Custodians that skipped the binding check would release D_i = x_i·R; the key
      // and AAD still bind ℓ, so t valid partials fail the tag: DECRYPT_FAILED.
      const released = [1, 2, 3].map((i) => createPartial(shareOf(f, i).share, i, forged));
      expectProtocolError(() => combineAndOpen(forged, released, 3, f.keys.verificationShares), 'DECRYPT_FAILED');
      // Partials for the genuine envelope are bound to its μ: each is blamed.
      expectProtocolError(
        () => combineAndOpen(forged, [partial(1), partial(2), partial(3)], 3, f.keys.verificationShares),
        'NOT_ENOUGH_PARTIALS',
        /have 0; bad partials from custodian 1, 2, 3$/,
      );
    }
  });

  it('R reused under another label: R and proof copied onto another label and ciphertext fail the binding', () => {
    const other = sealEnvelope(utf8('decoy'), f.keys.groupKey, 1, OTHER);
    // Another label and ciphertext, the victim's R and proof.
    expect(verifyBinding(parseEnvelope({ ...other, R: envelope.R, proof: envelope.proof }))).toBe(false);
    // Another label only, with the victim's nonce and ciphertext.
    expect(verifyBinding(parseEnvelope({ ...envelope, label: OTHER }))).toBe(false);
    // A fresh proof by anyone not knowing r does not verify under R either.
    const forged = parseEnvelope({ ...envelope, label: OTHER });
    const bogus = bytesToHex(schnorrSign(forged.mu, randomSecretKey()));
    expect(verifyBinding(parseEnvelope({ ...envelope, label: OTHER, proof: bogus }))).toBe(false);
    // The genuine envelope still verifies.
    expect(verifyBinding(env)).toBe(true);
  });

  it('tampered ciphertext, nonce, epoch, proof or R: verifyBinding is false', () => {
    const cases: Record<string, Envelope> = {
      'ciphertext (first byte)': { ...envelope, ciphertext: flipBase64(envelope.ciphertext, 0) },
      'ciphertext (tag)': { ...envelope, ciphertext: flipBase64(envelope.ciphertext, -1) },
      'ciphertext (truncated)': { ...envelope, ciphertext: Buffer.from(envelope.ciphertext, 'base64').subarray(1).toString('base64') },
      nonce: { ...envelope, nonce: flipBase64(envelope.nonce, 5) },
      'epoch + 1': { ...envelope, epoch: envelope.epoch + 1 },
      'epoch 0': { ...envelope, epoch: 0 },
      'proof (R part)': { ...envelope, proof: flipHex(envelope.proof, 31) },
      'proof (s part)': { ...envelope, proof: flipHex(envelope.proof, 63) },
      'R (another valid x)': { ...envelope, R: bytesToHex(encodePoint(mulBase(12345n)).subarray(1)) },
    };
    for (const [what, tampered] of Object.entries(cases)) {
      expect(verifyBinding(parseEnvelope(tampered)), what).toBe(false);
    }
    // An R with no point on the curve cannot even be parsed.
    expectProtocolError(() => parseEnvelope({ ...envelope, R: hex32(5n) }), 'BAD_FORMAT', /R is not a point on secp256k1/);
  });

  it('an envelope sealed to another group key: valid partials, DECRYPT_FAILED, nobody blamed', () => {
    const stranger = ceremony(3, 5, 1);
    const { env: alien } = seal(stranger, TEXT, LABEL);
    expect(verifyBinding(alien)).toBe(true);
    const released = [1, 2, 3].map((i) => createPartial(shareOf(f, i).share, i, alien));
    expectProtocolError(() => combineAndOpen(alien, released, 3, f.keys.verificationShares), 'DECRYPT_FAILED', /valid partials do not open/);
  });
});

describe('forged DLEQ partials (§3.3, §1 goal 5)', () => {
  const N = CURVE_ORDER.toString(16);
  /** x = 5 has no point on secp256k1 (x³ + 7 is not a square mod p). */
  const OFF_CURVE = '02' + hex32(5n);

  it('the honest partials verify (control)', () => {
    for (let i = 1; i <= 5; i++) expect(verifyPartial(partial(i), X(i), env)).toBe(true);
  });

  it('each forgery is rejected by verifyPartial (false) and parsePartial flags the malformed ones (null)', () => {
    const p1 = partial(1);
    const upper = (s: string) => s.toUpperCase();
    const forgeries: Record<string, { p: Partial; malformed: boolean }> = {
      "another custodian's D": { p: { ...p1, D: partial(2).D }, malformed: false },
      'D + G (a wrong decryption share)': { p: { ...p1, D: bytesToHex(encodePoint(decodePoint(hexToBytes(p1.D)).add(mulBase(1n)))) }, malformed: false },
      'c = n': { p: { ...p1, c: N }, malformed: true },
      'c = 2^256 − 1': { p: { ...p1, c: 'f'.repeat(64) }, malformed: true },
      'z = n': { p: { ...p1, z: N }, malformed: true },
      'z = n + z (same residue)': { p: { ...p1, z: hex32(CURVE_ORDER + BigInt('0x' + p1.z)).slice(-64) }, malformed: false },
      'c + 1': { p: { ...p1, c: hex32((BigInt('0x' + p1.c) + 1n) % CURVE_ORDER) }, malformed: false },
      'z + 1': { p: { ...p1, z: hex32((BigInt('0x' + p1.z) + 1n) % CURVE_ORDER) }, malformed: false },
      'c = 0, z = 0': { p: { ...p1, c: hex32(0n), z: hex32(0n) }, malformed: false },
      'c and z swapped': { p: { ...p1, c: p1.z, z: p1.c }, malformed: false },
      'D at infinity (33 zero bytes)': { p: { ...p1, D: '00'.repeat(33) }, malformed: true },
      'D at infinity (SEC1 "00")': { p: { ...p1, D: '00' }, malformed: true },
      'D with x = 0': { p: { ...p1, D: '02' + '00'.repeat(32) }, malformed: true },
      'D off the curve (x = 5)': { p: { ...p1, D: OFF_CURVE }, malformed: true },
      'D with x ≥ p': { p: { ...p1, D: '02' + 'ff'.repeat(32) }, malformed: true },
      'D with prefix 04': { p: { ...p1, D: '04' + p1.D.slice(2) }, malformed: true },
      'D with prefix 05': { p: { ...p1, D: '05' + p1.D.slice(2) }, malformed: true },
      'D with the other y (prefix flipped)': { p: { ...p1, D: (p1.D.startsWith('02') ? '03' : '02') + p1.D.slice(2) }, malformed: false },
      'D uncompressed (65 bytes)': { p: { ...p1, D: bytesToHex(decodePoint(hexToBytes(p1.D)).toBytes(false)) }, malformed: true },
      'D x-only (32 bytes)': { p: { ...p1, D: p1.D.slice(2) }, malformed: true },
      'D with a trailing byte (34 bytes)': { p: { ...p1, D: p1.D + '00' }, malformed: true },
      'D upper-case hex': { p: { ...p1, D: upper(p1.D) }, malformed: true },
      'c upper-case hex': { p: { ...p1, c: upper(p1.c) }, malformed: true },
      'z with 0x prefix': { p: { ...p1, z: '0x' + p1.z.slice(2) }, malformed: true },
      'index 0': { p: { ...p1, index: 0 }, malformed: true },
      'extra field': { p: { ...p1, extra: 1 } as Partial, malformed: true },
    };
    for (const [what, { p, malformed }] of Object.entries(forgeries)) {
      expect(verifyPartial(p, X(1), env), what).toBe(false);
      expect(parsePartial(p) === null, what).toBe(malformed);
    }
  });

  it('a partial verified against the wrong verification share, or for another envelope, is false', () => {
    expect(verifyPartial(partial(1), X(2), env)).toBe(false);
    expect(verifyPartial({ ...partial(2), index: 1 }, X(1), env)).toBe(false);
    const { env: second } = seal(f, 'another', LABEL);
    expect(verifyPartial(partial(1), X(1), second)).toBe(false);
    // An honest proof for D = x_1·R' (another envelope's R), replayed here.
    expect(verifyPartial(createPartial(shareOf(f, 1).share, 1, second), X(1), env)).toBe(false);
  });
});

describe('combination (§3.4, §1 goal 5)', () => {
  it('duplicate indices: DUPLICATE_INDEX naming the index', () => {
    expectProtocolError(
      () => combineAndOpen(env, [partial(1), partial(2), partial(1)], 3, f.keys.verificationShares),
      'DUPLICATE_INDEX',
      /custodian 1 appears more than once/,
    );
    expectProtocolError(
      () => combineAndOpen(env, [partial(1), partial(2), { ...partial(3), index: 2 }, partial(4)], 3, f.keys.verificationShares),
      'DUPLICATE_INDEX',
      /custodian 2 appears more than once/,
    );
    expectProtocolError(() => lagrangeCoefficients([4, 1, 4]), 'DUPLICATE_INDEX', /point 4 appears more than once/);
  });

  it('a bad partial among t+1: the fast path fails, blame names exactly that index, the envelope opens from the others', () => {
    const bad = { ...partial(2), D: partial(5).D };
    const out = combineAndOpen(env, [partial(1), bad, partial(3), partial(4)], 3, f.keys.verificationShares);
    expect(decode(out.plaintext)).toBe(TEXT);
    expect(out.blamed).toEqual([2]);
    expect(out.used).toEqual([1, 3, 4]);
  });

  it('a bad partial in any fast-path position is blamed exactly; one past the first t is never needed', () => {
    for (let bad = 1; bad <= 3; bad++) {
      const set = [1, 2, 3, 4].map((i) => (i === bad ? { ...partial(i), D: partial(5).D } : partial(i)));
      const out = combineAndOpen(env, set, 3, f.keys.verificationShares);
      expect(decode(out.plaintext)).toBe(TEXT);
      expect(out.blamed).toEqual([bad]);
      expect(out.used).toEqual([1, 2, 3, 4].filter((i) => i !== bad));
    }
    // §3.4: proofs are checked only when the tag fails, so a bad 4th partial is unused, not blamed.
    const late = combineAndOpen(env, [partial(1), partial(2), partial(3), { ...partial(4), D: partial(5).D }], 3, f.keys.verificationShares);
    expect(late.used).toEqual([1, 2, 3]);
    expect(late.blamed).toEqual([]);
    // Likewise a correct D_i with a broken proof: the tag confirms Z, so the fast path accepts it.
    const sloppy = combineAndOpen(env, [{ ...partial(1), z: partial(1).c }, partial(2), partial(3)], 3, f.keys.verificationShares);
    expect(decode(sloppy.plaintext)).toBe(TEXT);
    expect(sloppy.blamed).toEqual([]);
    // Malformed (off-curve D): blamed while parsing, before the fast path.
    const out = combineAndOpen(env, [{ ...partial(1), D: '02' + hex32(5n) }, partial(2), partial(3), partial(4)], 3, f.keys.verificationShares);
    expect(out.blamed).toEqual([1]);
    expect(out.used).toEqual([2, 3, 4]);
  });

  it('two bad partials among t+2 are both blamed; with only t−1 good ones, NOT_ENOUGH_PARTIALS names them', () => {
    const set = [partial(1), { ...partial(2), D: partial(3).D }, partial(3), { ...partial(4), c: partial(5).c }, partial(5)];
    const out = combineAndOpen(env, set, 3, f.keys.verificationShares);
    expect(decode(out.plaintext)).toBe(TEXT);
    expect(out.blamed).toEqual([2, 4]);
    expect(out.used).toEqual([1, 3, 5]);
    expectProtocolError(
      () => combineAndOpen(env, set.slice(0, 4), 3, f.keys.verificationShares),
      'NOT_ENOUGH_PARTIALS',
      /need 3 valid partials, have 2; bad partials from custodian 2, 4$/,
    );
  });

  it('a partial from an index outside the key set is blamed, not trusted', () => {
    const stranger = { ...partial(1), index: 6 };
    const out = combineAndOpen(env, [stranger, partial(2), partial(3), partial(4)], 3, f.keys.verificationShares);
    expect(out.blamed).toEqual([6]);
    expect(out.used).toEqual([2, 3, 4]);
  });

  it('hostile D_3 chosen so that Σ λ_i·D_i = ∞: no crash, custodian 3 blamed, opens from the others', () => {
    // D_3 = −(λ_1·D_1 + λ_2·D_2)·λ_3⁻¹, so the fast-path sum is the point at infinity.
    const lambdas = lagrangeCoefficients([1, 2, 3]);
    const D = (i: number) => decodePoint(hexToBytes(partial(i).D));
    const partialSum = D(1).multiply(lambdas.get(1)!).add(D(2).multiply(lambdas.get(2)!));
    const D3 = partialSum.negate().multiply(invMod(lambdas.get(3)!));
    expect(D3.multiply(lambdas.get(3)!).add(partialSum).is0()).toBe(true);
    const hostile = { ...partial(3), D: bytesToHex(encodePoint(D3)) };
    const out = combineAndOpen(env, [partial(1), partial(2), hostile, partial(4)], 3, f.keys.verificationShares);
    expect(decode(out.plaintext)).toBe(TEXT);
    expect(out.blamed).toEqual([3]);
    expect(out.used).toEqual([1, 2, 4]);
  });
});

describe('ceremony files (§3.1)', () => {
  it('a share that does not match its commitments: parseShareFile throws BAD_SHARE', () => {
    const file = f.files.shares[0]!;
    const plusOne = hex32((BigInt('0x' + file.share) + 1n) % CURVE_ORDER);
    expectProtocolError(() => parseShareFile({ ...file, share: plusOne }), 'BAD_SHARE', /share 1 does not match its Feldman commitments/);
    expectProtocolError(() => parseShareFile({ ...file, share: f.files.shares[1]!.share }), 'BAD_SHARE', /share 1 /);
    expectProtocolError(() => parseShareFile({ ...file, index: 2 }), 'BAD_SHARE', /share 2 /);
    expectProtocolError(() => parseShareFile({ ...file, share: hex32(0n) }), 'BAD_SHARE');
    // Commitments of another ceremony (consistent with their own group key).
    const other = ceremony(3, 5, 1).files.publicKeySet;
    expectProtocolError(() => parseShareFile({ ...file, commitments: other.commitments, groupKey: other.groupKey }), 'BAD_SHARE');
    // The share itself out of range is a format error, not a silent reduction mod n.
    expectProtocolError(() => parseShareFile({ ...file, share: CURVE_ORDER.toString(16) }), 'BAD_FORMAT', /share must be less than n/);
    expect(parseShareFile(file).index).toBe(1);
  });

  it('public.json with a verification share that does not match: BAD_FORMAT', () => {
    const pub = f.files.publicKeySet;
    const vs = pub.verificationShares;
    expectProtocolError(
      () => parsePublicKeySet({ ...pub, verificationShares: { ...vs, '2': bytesToHex(encodePoint(mulBase(7n))) } }),
      'BAD_FORMAT',
      /verification share 2 does not match the commitments/,
    );
    expectProtocolError(
      () => parsePublicKeySet({ ...pub, verificationShares: { ...vs, '1': vs['2']!, '2': vs['1']! } }),
      'BAD_FORMAT',
      /verification share 1 does not match/,
    );
    const { '5': _dropped, ...four } = vs;
    expectProtocolError(() => parsePublicKeySet({ ...pub, verificationShares: four }), 'BAD_FORMAT', /one verification share per custodian/);
    // Indices {1,2,3,4,6}: custodian 6 has rank 5, so its share sits at point 5 (§3.1) and X_5 is its share.
    expect(parsePublicKeySet({ ...pub, verificationShares: { ...four, '6': vs['5']! } }).verificationShares.get(6)).toEqual(parsePublicKeySet(pub).verificationShares.get(5));
    expectProtocolError(() => parsePublicKeySet({ ...pub, verificationShares: { ...four, '9': vs['4']! } }), 'BAD_FORMAT', /verification share 9 does not match the commitments/);
    expectProtocolError(() => parsePublicKeySet({ ...pub, groupKey: pub.commitments[1]! }), 'BAD_FORMAT', /groupKey must equal commitments\[0\]/);
    expectProtocolError(() => parsePublicKeySet({ ...pub, commitments: pub.commitments.slice(0, 2) }), 'BAD_FORMAT', /exactly t commitments/);
    expect(parsePublicKeySet(pub).verificationShares.size).toBe(5);
  });

  it('threshold rules: t ≤ n/2, n > 255, t > n are rejected by checkThreshold, dealShares and the file parsers', () => {
    const bad: [number, number, RegExp][] = [
      [2, 4, /more than half/],
      [1, 3, /more than half/],
      [3, 6, /more than half/],
      [0, 1, /more than half/],
      [128, 256, /total must be in \[1, 255\], got 256/],
      [256, 256, /total must be in \[1, 255\]/],
      [4, 3, /threshold 4 exceeds total 3/],
      [1, 0, /total must be in \[1, 255\], got 0/],
    ];
    for (const [t, n, msg] of bad) {
      expect(() => checkThreshold(t, n), `${t}-of-${n}`).toThrow(RangeError);
      expect(() => checkThreshold(t, n), `${t}-of-${n}`).toThrow(msg);
      expect(() => dealShares(t, n), `${t}-of-${n}`).toThrow(msg);
    }
    for (const [t, n] of [[1, 1], [2, 3], [3, 4], [128, 255], [255, 255]] as const) expect(() => checkThreshold(t, n)).not.toThrow();
    const pub = f.files.publicKeySet;
    expectProtocolError(() => parsePublicKeySet({ ...pub, threshold: 2, commitments: pub.commitments.slice(0, 2) }), 'BAD_FORMAT', /more than half/);
    expectProtocolError(() => parseShareFile({ ...f.files.shares[0]!, threshold: 6 }), 'BAD_FORMAT', /threshold 6 exceeds total 5/);
    expectProtocolError(() => parseShareFile({ ...f.files.shares[0]!, total: 256 }), 'BAD_FORMAT', /total/);
  });
});

// Keep liftX referenced: the off-curve constant above is checked once here.
describe('test constants', () => {
  it('x = 5 is off the curve and x = 1 is on it', () => {
    expect(() => liftX(hexToBytes(hex32(5n)))).toThrow(RangeError);
    expect(liftX(hexToBytes(hex32(1n))).is0()).toBe(false);
  });
});
