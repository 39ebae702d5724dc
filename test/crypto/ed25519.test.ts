/**
 * Ed25519 on raw keys (shared/src/crypto/ed25519.ts; docs/PROTOCOL.md §4.3):
 * the RFC 8032 §7.1 test vectors, every signature bit and every message byte
 * flipped, junk arguments (TypeError for a wrong type, RangeError for a wrong
 * length), and `false`, never a throw, for a malformed signature or a key that
 * is not a curve point.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, ed25519PublicKey, ed25519SecretKey, ed25519Sign, ed25519Verify, hexToBytes } from '@custodes/shared/crypto';

/** RFC 8032 §7.1, TEST 1–3 (secret key, public key, message, signature). */
const RFC8032 = [
  {
    sk: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    pk: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    msg: '',
    sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    sk: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    pk: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    msg: '72',
    sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    sk: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    pk: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    msg: 'af82',
    sig: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
];

describe('RFC 8032 §7.1 vectors', () => {
  it.each(RFC8032.map((v, i) => [i + 1, v] as const))('TEST %i: public key, deterministic signature, verification', (_, v) => {
    const sk = hexToBytes(v.sk);
    const msg = hexToBytes(v.msg);
    expect(bytesToHex(ed25519PublicKey(sk))).toBe(v.pk);
    expect(bytesToHex(ed25519Sign(msg, sk))).toBe(v.sig);
    expect(ed25519Verify(hexToBytes(v.sig), msg, hexToBytes(v.pk))).toBe(true);
  });
});

describe('verification fails for any change', () => {
  const sk = ed25519SecretKey();
  const pk = ed25519PublicKey(sk);
  const msg = new TextEncoder().encode('custodes.example/log\n2\n16IMqpmEHsTmuH6aEUmkwbU3P7SiBZqc6m/lZ1ZONVU=\n');
  const sig = ed25519Sign(msg, sk);

  it('every bit of the signature', () => {
    for (let bit = 0; bit < 512; bit++) {
      const bad = sig.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      expect(ed25519Verify(bad, msg, pk), `bit ${bit}`).toBe(false);
    }
  });

  it('every byte of the message, and another key', () => {
    for (let i = 0; i < msg.length; i++) {
      const bad = msg.slice();
      bad[i]! ^= 0x20;
      expect(ed25519Verify(sig, bad, pk), `byte ${i}`).toBe(false);
    }
    expect(ed25519Verify(sig, msg, ed25519PublicKey(ed25519SecretKey()))).toBe(false);
  });

  it('false, not a throw, for a signature of the wrong length or a key that is not a point', () => {
    expect(ed25519Verify(sig.slice(0, 63), msg, pk)).toBe(false);
    expect(ed25519Verify(new Uint8Array(72), msg, pk)).toBe(false);
    expect(ed25519Verify(new Uint8Array(0), msg, pk)).toBe(false);
    // y = 2 has no x on edwards25519: not the encoding of a point.
    const notAPoint = new Uint8Array(32);
    notAPoint[0] = 2;
    expect(ed25519Verify(sig, msg, notAPoint)).toBe(false);
  });
});

describe('junk arguments are the caller’s bug', () => {
  const sk = ed25519SecretKey();
  it.each([
    ['a 31-byte secret key', () => ed25519PublicKey(new Uint8Array(31)), RangeError],
    ['a 33-byte secret key', () => ed25519Sign(new Uint8Array(1), new Uint8Array(33)), RangeError],
    ['a hex string as secret key', () => ed25519Sign(new Uint8Array(1), 'ab' as unknown as Uint8Array), TypeError],
    ['a string message', () => ed25519Sign('m' as unknown as Uint8Array, sk), TypeError],
    ['null signature', () => ed25519Verify(null as unknown as Uint8Array, new Uint8Array(1), new Uint8Array(32)), TypeError],
    ['a 31-byte public key', () => ed25519Verify(new Uint8Array(64), new Uint8Array(1), new Uint8Array(31)), RangeError],
    ['NaN message', () => ed25519Verify(new Uint8Array(64), Number.NaN as unknown as Uint8Array, new Uint8Array(32)), TypeError],
  ])('%s', (_, fn, type) => {
    expect(fn).toThrow(type);
  });
});
