/**
 * Both libsecp256k1 backends behind group.ts (native addon and WASM) give
 * noble's results, bit for bit: random points and scalars through mul /
 * mulPublic / mulBase / add / encode / decode / BIP340 of a group built over
 * each (createGroup), each compared with @noble/secp256k1 called directly (the
 * reference), and the protocol run end to end in a child process per backend
 * (CUSTODES_CRYPTO_BACKEND, chosen once at start-up as in a service).
 */
import { execFileSync } from 'node:child_process';
import * as secp from '@noble/secp256k1';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backendLoadError, backendName, DEFAULT_BACKEND, loadBackend } from '../../shared/src/crypto/backend';
import type { Backend, BackendName } from '../../shared/src/crypto/backend';
import {
  createGroup,
  CURVE_ORDER,
  encodePoint,
  GENERATOR,
  hasEvenY,
  IDENTITY,
  isIdentity,
  pointEquals,
  scalarToBytes,
  subtract,
  xOnly,
} from '../../shared/src/crypto/group';

const { Point } = secp;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const scalar = fc.bigInt({ min: 1n, max: CURVE_ORDER - 1n });
const RUNS = 40;

describe('group backend selection', () => {
  it('loads libsecp256k1 natively (secp256k1 addon) by default, with WASM (tiny-secp256k1) loaded beside it', () => {
    expect(backendLoadError('libsecp256k1-wasm')).toBeNull();
    expect(backendLoadError('libsecp256k1-native')).toBeNull();
    expect(backendName()).toBe('libsecp256k1-native');
    expect(DEFAULT_BACKEND).toBe(loadBackend('libsecp256k1-native'));
  });

  it('gives each backend by name, and refuses unknown names', () => {
    for (const name of ['libsecp256k1-native', 'libsecp256k1-wasm', 'noble'] as const) {
      expect(loadBackend(name).name).toBe(name);
      expect(createGroup(loadBackend(name)).backend).toBe(name);
    }
    expect(loadBackend('noble').lib).toBeNull();
    expect(loadBackend('libsecp256k1-wasm').lib).not.toBe(loadBackend('libsecp256k1-native').lib);
    expect(() => loadBackend('openssl' as BackendName)).toThrow(new RangeError('unknown backend openssl'));
    expect(() => createGroup(null as unknown as Backend)).toThrow(TypeError);
  });

  it("building another backend's group leaves the process's group as it was", () => {
    createGroup(loadBackend('noble'));
    expect(backendName()).toBe('libsecp256k1-native');
    expect(Object.isFrozen(DEFAULT_BACKEND)).toBe(true);
  });
});

describe.each(['libsecp256k1-native', 'libsecp256k1-wasm'] as const)('group backend %s', (backend) => {
  const g = createGroup(loadBackend(backend));

  it('mulBase, mul, mulPublic, add, subtract match noble on random scalars and points', () => {
    fc.assert(
      fc.property(scalar, scalar, scalar, (a, b, k) => {
        // a + b ≡ 0 makes P + Q the point at infinity, which has no encoding (the edge cases cover it).
        fc.pre((a + b) % CURVE_ORDER !== 0n);
        const ref = Point.BASE.multiply(a);
        const P = g.mulBase(a);
        expect(P.equals(ref)).toBe(true);
        expect(hex(encodePoint(P))).toBe(hex(ref.toBytes(true)));
        expect(hasEvenY(P)).toBe((ref.toAffine().y & 1n) === 0n);
        const Q = g.mulBase(b);
        const refQ = Point.BASE.multiply(b);
        // From a WASM-made point and from a noble-made point (no cached encoding).
        for (const base of [P, ref]) {
          expect(hex(encodePoint(g.mul(base, k)))).toBe(hex(ref.multiply(k).toBytes(true)));
          expect(hex(encodePoint(g.mulPublic(base, k)))).toBe(hex(ref.multiplyUnsafe(k).toBytes(true)));
        }
        expect(hex(encodePoint(g.add(P, Q)))).toBe(hex(ref.add(refQ).toBytes(true)));
        expect(hex(encodePoint(g.add(P, refQ)))).toBe(hex(ref.add(refQ).toBytes(true)));
        expect(pointEquals(subtract(g.add(P, Q), Q), ref)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('edge cases: ∞, P + (−P), P + P, k = 1 and n − 1, mulPublic by 0', () => {
    const P = g.mulBase(12345n);
    const minusP = g.mulBase(CURVE_ORDER - 12345n);
    expect(isIdentity(g.add(P, minusP))).toBe(true);
    expect(pointEquals(g.add(P, P), Point.BASE.multiply(24690n))).toBe(true);
    expect(pointEquals(g.mul(P, 1n), P)).toBe(true);
    expect(pointEquals(g.mul(P, CURVE_ORDER - 1n), minusP)).toBe(true);
    expect(isIdentity(g.mulPublic(P, 0n))).toBe(true);
    expect(isIdentity(g.mulPublic(IDENTITY, 5n))).toBe(true);
    expect(pointEquals(g.add(IDENTITY, P), P)).toBe(true);
    expect(pointEquals(g.mulBase(1n), GENERATOR)).toBe(true);
    expect(() => g.mul(P, 0n)).toThrow(RangeError);
    expect(() => g.mulBase(CURVE_ORDER)).toThrow(RangeError);
  });

  it('decodePoint and liftX accept and reject exactly what noble does', () => {
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
      if (ref === null) expect(() => g.decodePoint(c)).toThrow(RangeError);
      else expect(hex(encodePoint(g.decodePoint(c)))).toBe(ref);
      if (c[0] === 2) {
        if (ref === null) expect(() => g.liftX(c.subarray(1))).toThrow(RangeError);
        else expect(hex(xOnly(g.liftX(c.subarray(1))))).toBe(hex(c.subarray(1)));
      }
    }
  });

  it('BIP340: same public keys and signatures as noble (fixed aux), each verifies the other', () => {
    fc.assert(
      fc.property(scalar, fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (k, msg, aux) => {
        const sk = scalarToBytes(k);
        expect(hex(g.schnorrPublicKey(sk))).toBe(hex(secp.schnorr.getPublicKey(sk)));
        const sig = g.schnorrSign(msg, sk, aux);
        expect(hex(sig)).toBe(hex(secp.schnorr.sign(msg, sk, aux)));
        expect(g.schnorrVerify(sig, msg, g.schnorrPublicKey(sk))).toBe(true);
        expect(secp.schnorr.verify(sig, msg, g.schnorrPublicKey(sk))).toBe(true);
        const bad = Uint8Array.from(sig);
        bad[63]! ^= 1;
        expect(g.schnorrVerify(bad, msg, g.schnorrPublicKey(sk))).toBe(secp.schnorr.verify(bad, msg, g.schnorrPublicKey(sk)));
      }),
      { numRuns: RUNS },
    );
  });

  it('BIP340 verify: s ≥ n, r ≥ n, keys off the curve and other-length messages answer as noble does', () => {
    const sk = scalarToBytes(987654321n);
    const pk = g.schnorrPublicKey(sk);
    const msg = new Uint8Array(32).fill(7);
    const sig = g.schnorrSign(msg, sk);
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
      expect(g.schnorrVerify(s, m, k)).toBe(secp.schnorr.verify(s, m, k));
    }
    // Random x-only keys: about half have no point (lift_x fails), the rest do not match.
    for (let k = 0; k < 40; k++) {
      const key = new Uint8Array(randomBytes(32));
      expect(g.schnorrVerify(sig, msg, key)).toBe(secp.schnorr.verify(sig, msg, key));
    }
    // Non-32-byte messages stay on noble (BIP340 allows any length).
    const long = new Uint8Array(45).fill(1);
    const sigLong = g.schnorrSign(long, sk, new Uint8Array(32));
    expect(hex(sigLong)).toBe(hex(secp.schnorr.sign(long, sk, new Uint8Array(32))));
    expect(g.schnorrVerify(sigLong, long, pk)).toBe(true);
  });
});

/**
 * The whole protocol (ceremony, sealing with fixed randomness, partials,
 * combination) under each backend as a process chooses it at start-up: one
 * child process per CUSTODES_CRYPTO_BACKEND value, each printing its bytes.
 */
describe('the protocol under each backend', () => {
  const FIXTURE = new URL('./fixtures/protocol-bytes.ts', import.meta.url).pathname;
  const runIn = (choice: string | undefined): { backend: string; bytes: string } => {
    const env = { ...process.env };
    delete env.CUSTODES_CRYPTO_BACKEND;
    if (choice !== undefined) env.CUSTODES_CRYPTO_BACKEND = choice;
    return JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', FIXTURE], { env, encoding: 'utf8', timeout: 60_000 }));
  };

  it('gives the same bytes natively, in WASM and on noble', () => {
    const native = runIn(undefined);
    const wasm = runIn('wasm');
    const noble = runIn('noble');
    expect([native.backend, wasm.backend, noble.backend]).toEqual(['libsecp256k1-native', 'libsecp256k1-wasm', 'noble']);
    expect(wasm.bytes).toBe(noble.bytes);
    expect(native.bytes).toBe(noble.bytes);
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
    const { schnorrPublicKey, schnorrSign, schnorrVerify } = createGroup(loadBackend(backend));
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
