/**
 * Results sealed to the investigator (shared/src/crypto/sealed.ts; docs/PROTOCOL.md §3.7,
 * "Results sealed to the investigator"): round trips, and every wrong key,
 * context or flipped bit fails to open (null, never a throw).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  base64ToBytes,
  bytesToBase64,
  bytesToHex,
  CURVE_ORDER,
  hexToBytes,
  mulBase,
  openSealedResult,
  randomSecretKey,
  resultContext,
  scalarFromBytes,
  scalarToBytes,
  schnorrPublicKey,
  sealToInvestigator,
  utf8,
  xOnly,
} from '@custodes/shared/crypto';
import type { SealedResult } from '@custodes/shared/crypto';

const REQUEST = '2b7e1516-28ae-4d2a-a6ab-f7158809cf4f';
const ENVELOPE = 'ab'.repeat(32);

function investigator(): { sk: Uint8Array; pk: string } {
  const sk = randomSecretKey();
  return { sk, pk: bytesToHex(schnorrPublicKey(sk)) };
}

/** A secret key whose d·G has the given y parity (BIP340 keys come in both). */
function keyWithParity(odd: boolean): { sk: Uint8Array; pk: string } {
  for (;;) {
    const k = investigator();
    const P = mulBase(scalarFromBytes(k.sk));
    if ((P.toAffine().y & 1n) === (odd ? 1n : 0n)) return k;
  }
}

/** Flips bit `bit` of the bytes of a base64 or hex field. */
function flip(sealed: SealedResult, field: keyof SealedResult, bit: number): SealedResult {
  const bytes = field === 'E' ? hexToBytes(sealed.E, 32) : base64ToBytes(sealed[field]);
  bytes[bit >> 3]! ^= 1 << (bit & 7);
  return { ...sealed, [field]: field === 'E' ? bytesToHex(bytes) : bytesToBase64(bytes) };
}

describe('sealToInvestigator / openSealedResult', () => {
  const ctx = resultContext(REQUEST, ENVELOPE);

  it('round trips, empty and large plaintexts too; output is exactly { E, nonce, ciphertext }', () => {
    const inv = investigator();
    for (const m of [new Uint8Array(0), utf8('hello alice'), new Uint8Array(70_000).fill(7)]) {
      const sealed = sealToInvestigator(m, inv.pk, ctx);
      expect(Object.keys(sealed).sort()).toEqual(['E', 'ciphertext', 'nonce']);
      expect(sealed.E).toMatch(/^[0-9a-f]{64}$/);
      expect(base64ToBytes(sealed.nonce)).toHaveLength(12);
      expect(base64ToBytes(sealed.ciphertext)).toHaveLength(m.length + 16);
      expect(openSealedResult(JSON.parse(JSON.stringify(sealed)), inv.sk, ctx)).toEqual(m);
    }
  });

  it('property: any plaintext, key and ids round trip; fresh E and nonce each time', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uuid(), fc.string({ minLength: 1, maxLength: 64 }).filter((x) => !x.includes('\0')), (m, requestId, envelopeId) => {
        const inv = investigator();
        const c = resultContext(requestId, envelopeId);
        const a = sealToInvestigator(m, inv.pk, c);
        const b = sealToInvestigator(m, inv.pk, c);
        expect(a.E).not.toBe(b.E);
        expect(a.nonce).not.toBe(b.nonce);
        expect(openSealedResult(a, inv.sk, c)).toEqual(m);
      }),
      { numRuns: 50 },
    );
  });

  it('works for a secret key whose point has odd y (the key is used as n − d) and even y', () => {
    for (const odd of [true, false]) {
      const inv = keyWithParity(odd);
      const sealed = sealToInvestigator(utf8('parity'), inv.pk, ctx);
      expect(openSealedResult(sealed, inv.sk, ctx)).toEqual(utf8('parity'));
      // n − d has the same x-only key and opens it too.
      const negated = scalarToBytes(CURVE_ORDER - scalarFromBytes(inv.sk));
      expect(openSealedResult(sealed, negated, ctx)).toEqual(utf8('parity'));
    }
  });

  it('another investigator key does not open it', () => {
    const inv = investigator();
    const sealed = sealToInvestigator(utf8('for alice'), inv.pk, ctx);
    for (let k = 0; k < 5; k++) expect(openSealedResult(sealed, investigator().sk, ctx)).toBeNull();
  });

  it('another request or envelope (the context) does not open it', () => {
    const inv = investigator();
    const sealed = sealToInvestigator(utf8('bound'), inv.pk, ctx);
    const others = [
      resultContext('3b7e1516-28ae-4d2a-a6ab-f7158809cf4f', ENVELOPE),
      resultContext(REQUEST, 'cd'.repeat(32)),
      resultContext(ENVELOPE, REQUEST), // ids swapped
      resultContext(`${REQUEST}a`, ENVELOPE.slice(1)), // the boundary moved
      new Uint8Array(0),
    ];
    for (const c of others) expect(openSealedResult(sealed, inv.sk, c)).toBeNull();
  });

  it('resultContext separates the two ids: moving the boundary changes it', () => {
    expect(resultContext('ab', 'c')).not.toEqual(resultContext('a', 'bc'));
    expect(resultContext('a', 'b')).toHaveLength(32);
  });

  it('every flipped bit of E, nonce or ciphertext fails to open', () => {
    const inv = investigator();
    const sealed = sealToInvestigator(utf8('flip me'), inv.pk, ctx);
    for (const field of ['E', 'nonce', 'ciphertext'] as const) {
      const bits = (field === 'E' ? 32 : base64ToBytes(sealed[field]).length) * 8;
      for (let bit = 0; bit < bits; bit++) {
        expect(openSealedResult(flip(sealed, field, bit), inv.sk, ctx), `${field} bit ${bit}`).toBeNull();
      }
    }
    expect(openSealedResult(sealed, inv.sk, ctx)).toEqual(utf8('flip me'));
  });

  it('an E that is not an x coordinate on the curve is refused (null)', () => {
    const inv = investigator();
    const sealed = sealToInvestigator(utf8('curve'), inv.pk, ctx);
    // x = 5: 5³ + 7 = 132 is not a square mod p. x = p (≥ p) is not a field element.
    const offCurve = ['00'.repeat(31) + '05', 'ff'.repeat(28) + 'fffffc2f', 'ff'.repeat(32)];
    for (const E of offCurve) expect(openSealedResult({ ...sealed, E }, inv.sk, ctx)).toBeNull();
  });

  it('fixed randomness gives fixed output (for known-answer tests); an odd-y e is normalised', () => {
    const inv = investigator();
    const nonce = new Uint8Array(12).fill(1);
    for (const e of [1n, 2n, 3n, CURVE_ORDER - 1n]) {
      const a = sealToInvestigator(utf8('kat'), inv.pk, ctx, { e, nonce });
      const b = sealToInvestigator(utf8('kat'), inv.pk, ctx, { e: CURVE_ORDER - e, nonce });
      expect(a).toEqual(b); // e and n − e give the same even-y E
      expect(a.E).toBe(bytesToHex(xOnly(mulBase(e))));
      expect(openSealedResult(a, inv.sk, ctx)).toEqual(utf8('kat'));
    }
  });
});
