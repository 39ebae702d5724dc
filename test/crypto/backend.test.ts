/**
 * Both libsecp256k1 backends behind group.ts (native addon and WASM) give
 * noble's results, bit for bit: random points and scalars through mul /
 * mulPublic / mulBase / add / encode / decode / BIP340, each compared with
 * @noble/secp256k1 called directly (the reference), and the protocol run end
 * to end under all three backends.
 */
import * as secp from '@noble/secp256k1';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { backendLoadError, backendName, useBackend } from '../../shared/src/crypto/backend';
import type { BackendName } from '../../shared/src/crypto/backend';
import {
  add,
  CURVE_ORDER,
  decodePoint,
  encodePoint,
  GENERATOR,
  hasEvenY,
  IDENTITY,
  isIdentity,
  liftX,
  mul,
  mulBase,
  mulPublic,
  pointEquals,
  scalarToBytes,
  schnorrPublicKey,
  schnorrSign,
  schnorrVerify,
  subtract,
  xOnly,
} from '../../shared/src/crypto/group';
import { combineAndOpen, createPartial, dealShares, parseEnvelope, sealEnvelope, verifyBinding, verifyPartial } from '@custodes/shared/crypto';
import { ceremonyFiles, parsePublicKeySet, parseShareFile } from '@custodes/shared/records';

const { Point } = secp;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const scalar = fc.bigInt({ min: 1n, max: CURVE_ORDER - 1n });
const RUNS = 40;

const initial = backendName();
afterAll(() => useBackend(initial));

describe('group backend selection', () => {
  it('loads libsecp256k1 natively (secp256k1 addon) by default, with WASM (tiny-secp256k1) loaded beside it', () => {
    expect(backendLoadError('libsecp256k1-wasm')).toBeNull();
    expect(backendLoadError('libsecp256k1-native')).toBeNull();
    expect(initial).toBe('libsecp256k1-native');
  });

  it('switches by name and refuses unknown names', () => {
    useBackend('libsecp256k1-wasm');
    expect(backendName()).toBe('libsecp256k1-wasm');
    useBackend('noble');
    expect(backendName()).toBe('noble');
    expect(() => useBackend('openssl' as BackendName)).toThrow(RangeError);
    useBackend(initial);
  });
});

describe.each(['libsecp256k1-native', 'libsecp256k1-wasm'] as const)('group backend %s', (backend) => {

  it('mulBase, mul, mulPublic, add, subtract match noble on random scalars and points', () => {
    useBackend(backend);
    fc.assert(
      fc.property(scalar, scalar, scalar, (a, b, k) => {
        // a + b ≡ 0 makes P + Q the point at infinity, which has no encoding (the edge cases cover it).
        fc.pre((a + b) % CURVE_ORDER !== 0n);
        const ref = Point.BASE.multiply(a);
        const P = mulBase(a);
        expect(P.equals(ref)).toBe(true);
        expect(hex(encodePoint(P))).toBe(hex(ref.toBytes(true)));
        expect(hasEvenY(P)).toBe((ref.toAffine().y & 1n) === 0n);
        const Q = mulBase(b);
        const refQ = Point.BASE.multiply(b);
        // From a WASM-made point and from a noble-made point (no cached encoding).
        for (const base of [P, ref]) {
          expect(hex(encodePoint(mul(base, k)))).toBe(hex(ref.multiply(k).toBytes(true)));
          expect(hex(encodePoint(mulPublic(base, k)))).toBe(hex(ref.multiplyUnsafe(k).toBytes(true)));
        }
        expect(hex(encodePoint(add(P, Q)))).toBe(hex(ref.add(refQ).toBytes(true)));
        expect(hex(encodePoint(add(P, refQ)))).toBe(hex(ref.add(refQ).toBytes(true)));
        expect(pointEquals(subtract(add(P, Q), Q), ref)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('edge cases: ∞, P + (−P), P + P, k = 1 and n − 1, mulPublic by 0', () => {
    useBackend(backend);
    const P = mulBase(12345n);
    const minusP = mulBase(CURVE_ORDER - 12345n);
    expect(isIdentity(add(P, minusP))).toBe(true);
    expect(pointEquals(add(P, P), Point.BASE.multiply(24690n))).toBe(true);
    expect(pointEquals(mul(P, 1n), P)).toBe(true);
    expect(pointEquals(mul(P, CURVE_ORDER - 1n), minusP)).toBe(true);
    expect(isIdentity(mulPublic(P, 0n))).toBe(true);
    expect(isIdentity(mulPublic(IDENTITY, 5n))).toBe(true);
    expect(pointEquals(add(IDENTITY, P), P)).toBe(true);
    expect(pointEquals(mulBase(1n), GENERATOR)).toBe(true);
    expect(() => mul(P, 0n)).toThrow(RangeError);
    expect(() => mulBase(CURVE_ORDER)).toThrow(RangeError);
  });

  it('decodePoint and liftX accept and reject exactly what noble does', () => {
    useBackend(backend);
    const cases: Uint8Array[] = [];
    for (let k = 0; k < 60; k++) {
      const x = new Uint8Array(randomBytes(32));
      cases.push(Uint8Array.from([2 + (k & 1), ...x])); // about half are not on the curve
    }
    const p = Point.CURVE().p;
    cases.push(Uint8Array.from([2, ...scalarToBytesP(p)]).subarray(0, 33)); // x = p
    cases.push(Uint8Array.from([3, ...scalarToBytesP(p - 1n)]));
    cases.push(new Uint8Array(33).fill(2)); // x = 0x0202…
    cases.push(Uint8Array.from([2, ...new Uint8Array(32)])); // x = 0
    for (const c of cases) {
      let ref: string | null;
      try {
        ref = hex(Point.fromBytes(c).toBytes(true));
      } catch {
        ref = null;
      }
      if (ref === null) expect(() => decodePoint(c)).toThrow(RangeError);
      else expect(hex(encodePoint(decodePoint(c)))).toBe(ref);
      if (c[0] === 2) {
        if (ref === null) expect(() => liftX(c.subarray(1))).toThrow(RangeError);
        else expect(hex(xOnly(liftX(c.subarray(1))))).toBe(hex(c.subarray(1)));
      }
    }
  });

  it('BIP340: same public keys and signatures as noble (fixed aux), each verifies the other', () => {
    useBackend(backend);
    fc.assert(
      fc.property(scalar, fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (k, msg, aux) => {
        const sk = scalarToBytes(k);
        expect(hex(schnorrPublicKey(sk))).toBe(hex(secp.schnorr.getPublicKey(sk)));
        const sig = schnorrSign(msg, sk, aux);
        expect(hex(sig)).toBe(hex(secp.schnorr.sign(msg, sk, aux)));
        expect(schnorrVerify(sig, msg, schnorrPublicKey(sk))).toBe(true);
        expect(secp.schnorr.verify(sig, msg, schnorrPublicKey(sk))).toBe(true);
        const bad = Uint8Array.from(sig);
        bad[63]! ^= 1;
        expect(schnorrVerify(bad, msg, schnorrPublicKey(sk))).toBe(secp.schnorr.verify(bad, msg, schnorrPublicKey(sk)));
      }),
      { numRuns: RUNS },
    );
  });

  it('BIP340 verify: s ≥ n, r ≥ n, keys off the curve and other-length messages answer as noble does', () => {
    useBackend(backend);
    const sk = scalarToBytes(987654321n);
    const pk = schnorrPublicKey(sk);
    const msg = new Uint8Array(32).fill(7);
    const sig = schnorrSign(msg, sk);
    const n = scalarToBytesP(CURVE_ORDER);
    const sHigh = Uint8Array.from([...sig.subarray(0, 32), ...n]);
    const rHigh = Uint8Array.from([...n, ...sig.subarray(32)]);
    const offCurve = new Uint8Array(32).fill(0xff); // x ≥ p
    for (const [s, m, k] of [
      [sHigh, msg, pk],
      [rHigh, msg, pk],
      [sig, msg, offCurve],
      [sig, msg, new Uint8Array(32)],
    ] as const) {
      expect(schnorrVerify(s, m, k)).toBe(secp.schnorr.verify(s, m, k));
    }
    // Random x-only keys: about half have no point (lift_x fails), the rest do not match.
    for (let k = 0; k < 40; k++) {
      const key = new Uint8Array(randomBytes(32));
      expect(schnorrVerify(sig, msg, key)).toBe(secp.schnorr.verify(sig, msg, key));
    }
    // Non-32-byte messages stay on noble (BIP340 allows any length).
    const long = new Uint8Array(45).fill(1);
    const sigLong = schnorrSign(long, sk, new Uint8Array(32));
    expect(hex(sigLong)).toBe(hex(secp.schnorr.sign(long, sk, new Uint8Array(32))));
    expect(schnorrVerify(sigLong, long, pk)).toBe(true);
  });

  it('the protocol gives the same bytes under both backends (seal with fixed randomness, partials, combination)', () => {
    const run = () => {
      const files = ceremonyFiles(dealShares(3, 5, [11n, 22n, 33n]), 1);
      const keys = parsePublicKeySet(files.publicKeySet);
      const shares = files.shares.map((s) => parseShareFile(s));
      const label = { subject: 'acct:x@example.org', category: 'messages', time: 1764115200 };
      const envelope = sealEnvelope(new Uint8Array([1, 2, 3]), keys.groupKey, 1, label, { r: 424242n, nonce: new Uint8Array(12), aux: new Uint8Array(32) });
      const env = parseEnvelope(JSON.parse(JSON.stringify(envelope)));
      expect(verifyBinding(env)).toBe(true);
      const partials = shares.slice(1, 4).map((s, k) => createPartial(s.share, s.index, env, BigInt(1000 + k)));
      for (const p of partials) expect(verifyPartial(p, keys.verificationShares.get(p.index)!, env)).toBe(true);
      const opened = combineAndOpen(env, partials, 3, keys.verificationShares);
      return JSON.stringify({ files, envelope, partials, key: hex(opened.key), plaintext: hex(opened.plaintext) });
    };
    useBackend(backend);
    const fast = run();
    useBackend('noble');
    const reference = run();
    useBackend(backend);
    expect(fast).toBe(reference);
  });
});

/** BIP340's own verification vectors (bitcoin/bips bip-0340/test-vectors.csv, rows 0–14: 32-byte messages). */
describe('BIP340 test vectors', () => {
  const rows = readFileSync(new URL('../vectors/bip340.csv', import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(','));
  const bytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

  it('has the 15 rows', () => expect(rows.length).toBe(15));

  it.each(['libsecp256k1-native', 'libsecp256k1-wasm', 'noble'] as const)('%s signs and verifies every row as the BIP expects', (backend) => {
    useBackend(backend);
    for (const [index, sk, pk, aux, msg, sig, result, comment] of rows) {
      const expected = result === 'TRUE';
      expect(schnorrVerify(bytes(sig!), bytes(msg!), bytes(pk!)), `row ${index}: ${comment}`).toBe(expected);
      if (sk) {
        expect(hex(schnorrPublicKey(bytes(sk))).toUpperCase(), `row ${index}`).toBe(pk);
        expect(hex(schnorrSign(bytes(msg!), bytes(sk), bytes(aux!))).toUpperCase(), `row ${index}`).toBe(sig);
      }
    }
  });
});

function scalarToBytesP(v: bigint): Uint8Array {
  return Uint8Array.from(Buffer.from(v.toString(16).padStart(64, '0'), 'hex'));
}
